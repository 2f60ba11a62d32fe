"""One XLA CPU device per core: the count chosen, when it is set, and what is refused.
JAX fixes the count when it starts, hence fresh subprocesses for everything that sets it."""

import json
import os
import subprocess
import sys
import textwrap

import pytest

from metarl_jax.core.errors import ConfigError
from metarl_jax.training.cpu_devices import configure_cpu_devices, seed_device_count


@pytest.mark.parametrize(
    ("num_seeds", "cores", "expected"),
    [(8, 2, 2), (3, 2, 2), (5, 2, 2), (1, 16, 1), (12, 8, 6), (7, 7, 7), (8, 1, 1), (6, 4, 3), (7, 4, 4), (5, 4, 3)],
)
def test_seed_device_count_gives_the_fewest_seeds_per_device(num_seeds, cores, expected):
    assert seed_device_count(num_seeds, cores) == expected


def _child(code: str, **env: str) -> dict:
    clean = {k: v for k, v in os.environ.items() if k not in ("XLA_FLAGS", "JAX_NUM_CPU_DEVICES")}
    proc = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        env={**clean, "JAX_PLATFORMS": "cpu", **env},
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_default_is_one_device_per_core_as_the_seeds_use_them():
    out = _child(
        """
        import json, jax
        from metarl_jax.training.seed_layout import SeedLayout
        from metarl_jax.training import cpu_devices
        cpu_devices.available_cores = lambda: 4  # as on a 4-core machine
        count = cpu_devices.configure_cpu_devices(6)
        used = [len(SeedLayout.for_run(n).devices) for n in (4, 9)]
        print(json.dumps([count, jax.device_count(), *used]))
        """
    )
    assert out == [3, 3, 2, 3]  # 6 seeds on 4 cores: 3 devices; benches with 4 or 9 seeds use 2 or 3


def test_an_explicit_count_wins_and_a_preset_one_is_kept():
    explicit = """
        import json, jax
        from metarl_jax.training.cpu_devices import configure_cpu_devices
        print(json.dumps([configure_cpu_devices(8, 4), jax.device_count()]))
        """
    assert _child(explicit) == [4, 4]
    kept = """
        import json, jax
        from metarl_jax.training.cpu_devices import configure_cpu_devices
        print(json.dumps([configure_cpu_devices(8), jax.device_count()]))
        """
    assert _child(kept, XLA_FLAGS="--xla_force_host_platform_device_count=4") == [None, 4]
    assert _child(kept, JAX_NUM_CPU_DEVICES="1") == [None, 1]


def test_a_count_jax_cannot_take_is_refused_in_one_clear_error():
    # In this process JAX already runs with its count fixed (pinned to 1 by conftest).
    assert configure_cpu_devices(8) is None
    assert configure_cpu_devices(8, 1) is None  # the count already fixed: nothing to do
    with pytest.raises(ConfigError, match="set the CPU device count once"):
        configure_cpu_devices(8, 2)
    with pytest.raises(ConfigError, match=">= 1"):
        configure_cpu_devices(8, 0)
    out = _child(
        """
        import json, jax, jax.numpy as jnp
        from metarl_jax.core.errors import ConfigError
        from metarl_jax.training.cpu_devices import configure_cpu_devices
        jnp.zeros(1).block_until_ready()  # JAX has started
        try:
            configure_cpu_devices(8, 2)
            err = None
        except ConfigError as e:
            err = str(e)
        print(json.dumps([configure_cpu_devices(8), err, jax.device_count()]))
        """
    )
    assert out[0] is None and out[2] == 1
    assert "fresh process" in out[1]


def test_older_jax_without_the_config_gets_the_xla_flag():
    out = _child(
        """
        import json, os, types, jax
        from metarl_jax.training import cpu_devices
        cpu_devices.jax = types.SimpleNamespace(config=object())  # a JAX without jax_num_cpu_devices
        count = cpu_devices.configure_cpu_devices(8, 2)
        print(json.dumps([count, os.environ["XLA_FLAGS"], jax.device_count()]))
        """,
        XLA_FLAGS="--xla_cpu_enable_fast_math=false",
    )
    assert out == [2, "--xla_cpu_enable_fast_math=false --xla_force_host_platform_device_count=2", 2]
