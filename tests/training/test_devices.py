"""Seed axis sharded across 4 forced CPU devices: really sharded, equal to one device.
XLA_FLAGS must be set before JAX is imported, hence a subprocess."""

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np

from metarl_jax import pipeline
from metarl_jax.training.a2c import make_train
from metarl_jax.training.loop import seed_keys
from metarl_jax.training.run import list_checkpoints, load_checkpoint

ROOT = Path(__file__).resolve().parents[2]

CHILD = textwrap.dedent(
    """
    import dataclasses, json, sys
    import jax, jax.numpy as jnp, numpy as np
    from metarl_jax.envs import make
    from metarl_jax.training.seed_layout import shard_seeds
    from metarl_jax.training.a2c import make_train
    from metarl_jax.training.config import TrainConfig
    from metarl_jax.training.loop import seed_keys

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
        "max_abs_diff": max(
            float(np.max(np.abs(np.asarray(a) - np.asarray(b))))
            for a, b in zip(jax.tree.leaves(sharded.params), jax.tree.leaves(single.params))
        ),
        "allclose": all(
            np.allclose(np.asarray(a), np.asarray(b), rtol=1e-4, atol=1e-6)
            for a, b in zip(jax.tree.leaves(sharded.params), jax.tree.leaves(single.params))
        ),
        "metrics_allclose": bool(np.allclose(m_sharded["loss"], m_single["loss"], rtol=1e-4, atol=1e-6)),
    }
    print(json.dumps(out))
    """
)


def _env():
    return dict(os.environ, XLA_FLAGS="--xla_force_host_platform_device_count=4", JAX_PLATFORMS="cpu")


def test_four_devices_shard_seeds_and_match_one_device():
    proc = subprocess.run([sys.executable, "-c", CHILD], capture_output=True, text=True, env=_env(), timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out["sharded_devices"] == 4
    assert out["single_devices"] == 1
    assert out["allclose"], out
    assert out["metrics_allclose"], out


def test_uneven_seeds_are_padded_and_train_as_on_one_device(tmp_path):
    """3 seeds on 2 devices train as 2 + 2 with a pad seed; what the run keeps (metrics,
    checkpoint, summary) is the 3 real seeds, equal to training them on one device."""
    argv = ["--smoke", "--quiet", "--num-seeds", "3", "--run-dir", str(tmp_path / "run")]
    env = dict(os.environ, XLA_FLAGS="--xla_force_host_platform_device_count=2", JAX_PLATFORMS="cpu")
    cmd = [sys.executable, str(ROOT / "experiments" / "two_step.py"), *argv]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    run_dir = tmp_path / "run"
    config = json.loads((run_dir / "config.json").read_text())
    assert config["seed_layout"] == {"devices": 2, "seeds_per_device": 2, "pad_seeds": 1}
    rows = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]
    assert all(row["seeds"] == [0, 1, 2] and len(row["loss_seeds"]) == 3 for row in rows)
    assert [s["seed"] for s in json.loads((run_dir / "summary.json").read_text())["seeds"]] == [0, 1, 2]

    # The same config trained here, on this process's single device, without padding.
    setup = pipeline.parse(pipeline.EXPERIMENTS["two_step"](), argv, "two_step.py")
    fns = make_train(setup.train, setup.env, setup.env_params)
    state = fns.init(seed_keys(setup.train))
    done = 0
    while done < setup.train.num_updates:
        active = min(setup.train.chunk_size, setup.train.num_updates - done)
        state, _ = fns.update_chunk(state, jnp.int32(active))
        done += active
    saved = load_checkpoint(list_checkpoints(run_dir / "checkpoints")[-1], fns.init(seed_keys(setup.train)))
    assert int(np.asarray(saved.update)[0]) == setup.train.num_updates
    for a, b in zip(jax.tree.leaves(saved.params), jax.tree.leaves(state.params)):
        assert a.shape[0] == 3
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-4, atol=1e-6)
