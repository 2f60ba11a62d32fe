"""One XLA CPU device per core, so seed-sharded training uses every core of a CPU machine.

XLA:CPU runs one device's training loop (small GEMMs and elementwise ops, step after step)
on about one core, however many the machine has. Split into devices, the seed-sharded update
runs one shard per core. Default two-step training on a 2-core Xeon: 3.9e5 trials/s on one
device, 7.5e5-8.1e5 on two, with bit-identical parameters (benchmarks/README.md).
The count must be chosen before JAX starts its backends, i.e. before any JAX computation.
"""

from __future__ import annotations

import os

import jax

from metarl_jax.core.errors import ConfigError, check_positive_int
from metarl_jax.training.seed_layout import seed_layout

FORCE_FLAG = "xla_force_host_platform_device_count"


def available_cores() -> int:
    """Cores this process may run on (its CPU affinity where the OS reports one)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows
        return os.cpu_count() or 1


def seed_device_count(num_seeds: int, cores: int) -> int:
    """Devices for ``num_seeds`` seeds on ``cores`` cores: the fewest giving the smallest
    number of seeds per device, pad seeds included (:func:`seed_layout`): 8 seeds on 2
    cores: 2; 5 on 2: 2 (3 + 3 with one pad seed); 6 on 4: 3."""
    return seed_layout(num_seeds, cores)[0]


def preset_cpu_devices() -> str | None:
    """Where the CPU device count was already chosen (XLA_FLAGS, JAX_NUM_CPU_DEVICES or
    ``jax.config``), or None when it is JAX's default (one device)."""
    if FORCE_FLAG in os.environ.get("XLA_FLAGS", ""):
        return f"XLA_FLAGS (--{FORCE_FLAG})"
    preset = getattr(jax.config, "jax_num_cpu_devices", -1)  # JAX_NUM_CPU_DEVICES sets it too
    if preset != -1:
        return f"jax_num_cpu_devices={preset} (or JAX_NUM_CPU_DEVICES)"
    return None


def configure_cpu_devices(num_seeds: int, requested: int | None = None) -> int | None:
    """Split the CPU into ``requested`` XLA devices, by default one per core (as many as
    :func:`seed_device_count` uses for ``num_seeds``), before JAX starts. Returns the count
    set, or None where it was left alone: chosen elsewhere (:func:`preset_cpu_devices`) or
    JAX already running. An explicit request other than a count already fixed raises
    ConfigError (field ``cpu_devices``)."""
    if requested is not None:
        check_positive_int("cpu_devices", requested)
    preset = preset_cpu_devices()
    if preset is not None:
        _refuse_unless_already(requested, f"conflicts with {preset}: set the CPU device count once")
        return None
    count = requested if requested is not None else seed_device_count(num_seeds, available_cores())
    if not hasattr(jax.config, "jax_num_cpu_devices"):  # older JAX: the flag, read when JAX starts
        os.environ["XLA_FLAGS"] = f"{os.environ.get('XLA_FLAGS', '')} --{FORCE_FLAG}={count}".strip()
        return count
    try:
        jax.config.update("jax_num_cpu_devices", count)
    except RuntimeError:  # backends already initialised: the count is fixed for this process
        _refuse_unless_already(requested, "must be chosen before JAX starts; run in a fresh process")
        return None
    return count


def _refuse_unless_already(requested: int | None, why: str) -> None:
    """ConfigError when an explicit count differs from the CPU device count already fixed."""
    if requested is not None and requested != len(jax.devices("cpu")):
        raise ConfigError("cpu_devices", requested, why) from None  # not a RuntimeError from JAX
