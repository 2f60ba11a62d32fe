"""Seed axis sharded across 4 forced CPU devices: really sharded, equal to one device; an
uneven seed count padded (5 seeds train as 2 + 2 + 2), equal to one device without pads.
XLA_FLAGS must be set before JAX is imported, hence a subprocess."""

import json
import os
import subprocess
import sys
import textwrap

CHILD = textwrap.dedent(
    """
    import dataclasses, json, sys, tempfile
    from pathlib import Path
    import jax, jax.numpy as jnp, numpy as np
    from metarl_jax.registry import make
    from metarl_jax.training.a2c import make_train
    from metarl_jax.training.checkpoint import list_checkpoints, load_checkpoint
    from metarl_jax.training.config import RunConfig, TrainConfig
    from metarl_jax.training.loop import seed_keys, train
    from metarl_jax.training.seed_layout import shard_seeds

    def allclose(a, b):
        return all(
            np.allclose(np.asarray(x), np.asarray(y), rtol=1e-4, atol=1e-6)
            for x, y in zip(jax.tree.leaves(a), jax.tree.leaves(b))
        )

    assert jax.device_count() == 4, jax.devices()
    config = dataclasses.replace(TrainConfig(), num_seeds=4, num_envs=8, chunk_size=3, hidden_size=16)
    env, params = make("two_step", trials_per_episode=20)
    fns = make_train(config, env, params)

    sharded = shard_seeds(fns.init(seed_keys(config)))
    single = jax.device_put(fns.init(seed_keys(config)), jax.devices()[0])
    for _ in range(2):
        sharded, m_sharded = fns.update_chunk(sharded, jnp.int32(3))
        single, m_single = fns.update_chunk(single, jnp.int32(3))
    kernel = sharded.params["params"]["gates"]["kernel"]
    out = {
        "sharded_devices": len(kernel.sharding.device_set),
        "single_devices": len(single.params["params"]["gates"]["kernel"].sharding.device_set),
        "allclose": allclose(sharded.params, single.params),
        "metrics_allclose": bool(np.allclose(m_sharded["loss"], m_single["loss"], rtol=1e-4, atol=1e-6)),
    }

    # 5 seeds through the training loop: padded to 6 on 3 devices inside it, real seeds out.
    uneven = dataclasses.replace(config, num_seeds=5, total_episodes=8 * 6)  # 6 updates, 2 chunks
    fns = make_train(uneven, env, params)
    run_dir = Path(tempfile.mkdtemp())
    shapes = []
    fns_chunk = fns.update_chunk
    layout = lambda s: [s.update.shape[0], len(s.update.sharding.device_set)]  # seeds, devices
    fns = fns._replace(update_chunk=lambda s, n: (shapes.append(layout(s)), fns_chunk(s, n))[1])
    trained, rows = train(fns, fns.init(seed_keys(uneven)), uneven, RunConfig(quiet=True), 20, 20, run_dir)
    single = fns.init(seed_keys(uneven))
    for _ in range(2):
        single, _ = fns_chunk(single, jnp.int32(3))
    saved = load_checkpoint(list_checkpoints(run_dir / "checkpoints")[-1], fns.init(seed_keys(uneven)))
    out.update(
        padded_shapes=shapes,
        returned_seeds=int(trained.update.shape[0]),
        row_seeds=[len(r["loss_seeds"]) for r in rows],
        padded_allclose=allclose(trained.params, single.params),
        checkpoint_allclose=allclose(saved.params, single.params),
    )
    print(json.dumps(out))
    """
)


def _env(fast_compile_flag: str) -> dict[str, str]:
    # Both sides of every comparison run in the child, so it may compile at the fastest level.
    flags = f"--xla_force_host_platform_device_count=4 {fast_compile_flag}"
    return dict(os.environ, XLA_FLAGS=flags, JAX_PLATFORMS="cpu")


def test_four_devices_shard_seeds_and_match_one_device(fast_compile_flag):
    env = _env(fast_compile_flag)
    proc = subprocess.run([sys.executable, "-c", CHILD], capture_output=True, text=True, env=env, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out["sharded_devices"] == 4
    assert out["single_devices"] == 1
    assert out["allclose"], out
    assert out["metrics_allclose"], out
    # uneven seeds: the loop ran 6 (5 + a pad seed) on 3 devices; it returns, logs and saves 5
    assert out["padded_shapes"] == [[6, 3], [6, 3]], out
    assert out["returned_seeds"] == 5 and out["row_seeds"] == [5, 5], out
    assert out["padded_allclose"] and out["checkpoint_allclose"], out
