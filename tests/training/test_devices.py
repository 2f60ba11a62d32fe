"""Seed axis sharded across 4 forced CPU devices: really sharded, equal to one device.
XLA_FLAGS must be set before JAX is imported, hence a subprocess."""

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

CHILD = textwrap.dedent(
    """
    import dataclasses, json, sys
    import jax, jax.numpy as jnp, numpy as np
    from metarl_jax.envs import make
    from metarl_jax.pipeline import shard_seeds
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


def test_num_seeds_must_divide_device_count():
    cmd = [sys.executable, str(ROOT / "experiments" / "two_step.py"), "--smoke", "--num-seeds", "3"]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=_env(), timeout=300)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "--num-seeds=3" in lines[0] and "device count (4)" in lines[0]
