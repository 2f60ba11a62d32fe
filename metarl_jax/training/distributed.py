"""Seed-sharded training across processes and machines with ``jax.distributed`` (the library
half; the command line is :mod:`metarl_jax.multihost`).

Every process runs the same program. :func:`initialize` starts JAX's distributed
runtime (CPU collectives through gloo, so it also works without accelerators);
``jax.devices()`` then lists the devices of every process, and the seed axis of
the training state is sharded across all of them (``Mesh`` + ``NamedSharding``),
so each process computes only the seeds on its own devices. Seeds never interact
(the whole update is inside the seed vmap), so training itself sends nothing
between processes; gathering metrics and the final state to every process does
(``process_allgather``). Seed i trains exactly as in a one-process run.
"""

from __future__ import annotations

import time
from typing import Any, Callable, Sequence

import jax
import numpy as np
from jax.experimental import multihost_utils
from jax.sharding import Mesh, NamedSharding, PartitionSpec

from metarl_jax.core.keys import is_key, keys_to_data
from metarl_jax.training.a2c import TrainFns, TrainState
from metarl_jax.training.loop import metrics_row

SEED_AXIS = "seed"


def initialize(
    coordinator_address: str,
    num_processes: int,
    process_id: int,
    local_device_ids: Sequence[int] | None = None,
    cpu_collectives: str = "gloo",
) -> None:
    """Start JAX's distributed runtime; call before any other JAX call in the process.
    ``cpu_collectives`` picks the CPU backend's cross-process collectives (gloo or mpi)."""
    jax.config.update("jax_cpu_collectives_implementation", cpu_collectives)
    jax.distributed.initialize(
        coordinator_address=coordinator_address,
        num_processes=num_processes,
        process_id=process_id,
        local_device_ids=local_device_ids,
    )


def seed_sharding() -> jax.sharding.NamedSharding:
    """Leading (seed) axis split across every device of every process."""
    return NamedSharding(Mesh(np.array(jax.devices()), (SEED_AXIS,)), PartitionSpec(SEED_AXIS))


def shard_seeds_global(tree: Any) -> Any:
    """A host-local pytree with a leading seed axis (the same on every process, e.g. the
    output of ``fns.init(seed_keys(config))``) -> global arrays sharded over the seed axis.
    Each process places only the slices of its own devices (``make_array_from_callback``),
    which works when the devices of other processes are not addressable, unlike
    ``jax.device_put``. Typed PRNG keys are carried as key data and re-wrapped."""
    sharding = seed_sharding()

    def put(x: Any) -> jax.Array:
        if is_key(x):
            data = np.asarray(jax.random.key_data(x))
            arr = jax.make_array_from_callback(data.shape, sharding, lambda index: data[index])
            return jax.random.wrap_key_data(arr, impl=jax.random.key_impl(x))
        host = np.asarray(x)
        return jax.make_array_from_callback(host.shape, sharding, lambda index: host[index])

    return jax.tree.map(put, tree)


def gather(tree: Any) -> Any:
    """Global (seed-sharded) arrays -> the full NumPy arrays on every process (PRNG keys as
    key data). A collective: every process must call it."""
    data = keys_to_data(tree)
    if jax.process_count() == 1:
        return jax.tree.map(np.asarray, data)
    return jax.tree.map(np.asarray, multihost_utils.process_allgather(data, tiled=True))


def local_seed_indices(x: jax.Array) -> list[int]:
    """Seed indices held by this process's devices for a seed-sharded array."""
    out: set[int] = set()
    for shard in x.addressable_shards:
        out.update(range(x.shape[0])[shard.index[0]])
    return sorted(out)


def train(
    fns: TrainFns,
    state: TrainState,
    config: Any,
    trials_per_episode: int,
    steps_per_episode: int,
    on_chunk: Callable[[dict[str, Any]], None] | None = None,
) -> tuple[TrainState, list[dict[str, Any]]]:
    """Run every update of ``config`` on a seed-sharded state; per chunk, gather the metrics
    to every process and pass a row (the single-host loop's metrics.jsonl row) to ``on_chunk``."""
    rows: list[dict[str, Any]] = []
    done = 0
    t_start = time.perf_counter()
    while done < config.num_updates:
        active = min(config.chunk_size, config.num_updates - done)
        t0 = time.perf_counter()
        state, metrics = fns.update_chunk(state, np.int32(active))
        metrics = gather(metrics)  # (chunk, seeds) each
        frozen_at = gather(state.frozen_at)
        dt = time.perf_counter() - t0
        done += active
        frozen = [config.seed + i for i, u in enumerate(frozen_at) if u >= 0]
        row = metrics_row(config, done, active, metrics, frozen, time.perf_counter() - t_start, dt,
                          trials_per_episode, steps_per_episode)  # fmt: skip
        rows.append(row)
        if on_chunk:
            on_chunk(row)
    return state, rows
