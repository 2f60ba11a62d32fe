"""Seed-sharded training across processes and machines with ``jax.distributed``.

Every process runs the same program. :func:`initialize` starts JAX's distributed
runtime (CPU collectives through gloo, so it also works without accelerators);
``jax.devices()`` then lists the devices of every process, and the seed axis of
the training state is sharded across all of them (``Mesh`` + ``NamedSharding``),
so each process computes only the seeds on its own devices. Seeds never interact
(the whole update is inside the seed vmap), so training itself sends nothing
between processes; gathering metrics and the final state to every process does
(``process_allgather``). Seed i trains exactly as in a one-process run.

One process per machine (or several on one machine, as the tests do):

    python -m metarl_jax.training.distributed \\
        --coordinator-address HOST0:12345 --num-processes 2 --process-id 0 \\
        --num-seeds 16 --out runs/two_step_multihost        # on HOST0
    python -m metarl_jax.training.distributed \\
        --coordinator-address HOST0:12345 --num-processes 2 --process-id 1 \\
        --num-seeds 16 --out runs/two_step_multihost        # on HOST1

``--experiment`` (two_step, harlow, harlow_pixels, bandit) picks the experiment whose
defaults, evaluation and figures are used; every training and env flag of its script is
accepted. ``--num-seeds`` must be divisible by the total device count. Process 0 writes a
run directory like the script's (``config.json``, ``metrics.jsonl``, ``checkpoints/``) plus
``distributed.json`` (processes, devices, throughput); then, unless ``--no-eval``, it runs
the script's ``--eval-only --resume`` on it in a fresh single-process Python, which writes
``eval.npz``, ``analysis.json``, ``figures/`` and ``summary.json`` exactly as a
one-process run would.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Callable, Sequence

import jax
import numpy as np

from metarl_jax.envs.base import ConfigError
from metarl_jax.training.a2c import TrainFns, TrainState
from metarl_jax.training.run import is_key, keys_to_data

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
    from jax.sharding import Mesh, NamedSharding, PartitionSpec

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
    from jax.experimental import multihost_utils

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
    from metarl_jax.training.loop import chunk_row

    rows: list[dict[str, Any]] = []
    done = 0
    seeds = list(range(config.seed, config.seed + config.num_seeds))
    t_start = time.perf_counter()
    while done < config.num_updates:
        active = min(config.chunk_size, config.num_updates - done)
        t0 = time.perf_counter()
        state, metrics = fns.update_chunk(state, np.int32(active))
        metrics = gather(metrics)  # (chunk, seeds) each
        frozen_at = gather(state.frozen_at)
        dt = time.perf_counter() - t0
        done += active
        episodes = active * config.num_envs * config.num_seeds
        row: dict[str, Any] = {"updates": done, "episodes": done * config.num_envs, "seeds": seeds}
        row.update(chunk_row(metrics, active))
        row["frozen_seeds"] = [s for s, u in zip(seeds, frozen_at) if u >= 0]
        row["wall_time_s"] = time.perf_counter() - t_start
        row["chunk_time_s"] = dt
        row["trials_per_s"] = episodes * trials_per_episode / dt
        row["agent_steps_per_s"] = episodes * steps_per_episode / dt
        rows.append(row)
        if on_chunk:
            on_chunk(row)
    return state, rows


def _parse(argv: Sequence[str] | None, prog: str):
    from metarl_jax.envs.registry import make
    from metarl_jax.pipeline import EXPERIMENTS
    from metarl_jax.training.cli import config_error_exit, parse_flags
    from metarl_jax.training.config import validate_encoder, validate_train_config

    pre = argparse.ArgumentParser(prog=prog, add_help=False)
    pre.add_argument("--coordinator-address", help="HOST:PORT of process 0 (omit for one process)")
    pre.add_argument("--num-processes", type=int, default=1)
    pre.add_argument("--process-id", type=int, default=0)
    pre.add_argument(
        "--experiment", default="two_step", choices=sorted(EXPERIMENTS), help="defaults, evaluation and figures"
    )
    pre.add_argument("--out", type=Path, help="run directory process 0 writes (omit: train only, write nothing)")
    pre.add_argument("--no-eval", action="store_true", help="train and checkpoint only (no evaluation or figures)")
    dist, rest = pre.parse_known_args(argv)
    if "-h" in rest or "--help" in rest:
        pre.print_help()
    spec = EXPERIMENTS[dist.experiment]()
    env, env_defaults = make(spec.env_name, **spec.env_overrides)
    (train_cfg, env_params), _ = parse_flags(
        prog, __doc__.splitlines()[0], rest, [("training", spec.train_defaults), ("environment", env_defaults)]
    )
    if hasattr(env, "for_params"):
        env = env.for_params(env_params)
    try:
        env.validate(env_params)
        validate_train_config(train_cfg)
        validate_encoder(train_cfg, tuple(env.observation_shape(env_params)))
    except ConfigError as err:
        config_error_exit(prog, err)
    if dist.process_id == 0 and dist.out is not None and (dist.out / "config.json").exists():
        sys.stderr.write(f"{prog}: error: --out={dist.out}: already holds a run (config.json); choose another\n")
        raise SystemExit(2)
    return dist, spec, env, env_params, train_cfg


def evaluate_run(experiment: str, run_dir: Path) -> int:
    """Evaluate, analyse and plot a finished run directory in a fresh single-process Python
    (``--eval-only --resume``: the experiment script's own path); its exit status."""
    code = (
        "import sys; from metarl_jax.pipeline import EXPERIMENTS, main; "
        "sys.exit(main(EXPERIMENTS[sys.argv[1]](), sys.argv[2:]))"
    )
    cmd = [sys.executable, "-c", code, experiment, "--eval-only", "--resume", str(run_dir), "--quiet"]
    return subprocess.run(cmd, check=False).returncode


def main(argv: Sequence[str] | None = None, prog: str = "python -m metarl_jax.training.distributed") -> int:
    """Train one experiment's config seed-sharded across every process's devices; process 0
    writes the run directory, then evaluates it and draws its figures."""
    dist, spec, env, env_params, config = _parse(argv, prog)
    if dist.coordinator_address:
        initialize(dist.coordinator_address, dist.num_processes, dist.process_id)
    from metarl_jax.training.a2c import make_train
    from metarl_jax.training.config import RunConfig, to_dict
    from metarl_jax.training.loop import seed_keys
    from metarl_jax.training.run import environment_info, save_checkpoint, write_json

    n_dev = jax.device_count()
    if config.num_seeds % n_dev:
        sys.stderr.write(
            f"{prog}: error: --num-seeds={config.num_seeds}: must be divisible by the device count ({n_dev}) "
            f"of all {jax.process_count()} processes\n"
        )
        return 2
    lead = jax.process_index() == 0
    out = dist.out if lead else None
    if out:
        out.mkdir(parents=True, exist_ok=True)
        (out / "metrics.jsonl").write_text("")
        write_json(
            out / "config.json",
            {
                "experiment": spec.name,
                "env": spec.env_name,
                "train": to_dict(config),
                "run": to_dict(RunConfig(run_dir=str(out))),
                "env_params": to_dict(env_params),
                "environment": environment_info(),
                "command": sys.argv,
                "processes": jax.process_count(),
            },
        )

    def on_chunk(row: dict[str, Any]) -> None:
        if lead:
            print(f"updates {row['updates']}: reward_per_trial {row['reward_per_trial']:.3f}", flush=True)
            if out:
                with open(out / "metrics.jsonl", "a") as f:
                    f.write(json.dumps(row) + "\n")

    t0 = time.perf_counter()
    fns = make_train(config, env, env_params)
    state = shard_seeds_global(fns.init(seed_keys(config)))
    kernel = jax.tree.leaves(state.params)[0]
    mine = local_seed_indices(kernel)
    state, rows = train(fns, state, config, env_params.trials_per_episode, env.num_steps(env_params), on_chunk)
    final = gather(state)
    frozen = [config.seed + i for i, u in enumerate(np.asarray(final.frozen_at)) if u >= 0]
    processes, sharded = jax.process_count(), len(kernel.sharding.device_set)
    if dist.coordinator_address:
        jax.distributed.shutdown()  # the others may leave now; evaluation runs without them
    if not out:
        return 3 if frozen else 0
    seconds = sum(r["chunk_time_s"] for r in rows)
    episodes = config.num_updates * config.num_envs * config.num_seeds
    save_checkpoint(out / "checkpoints", final, config.num_updates)
    write_json(
        out / "distributed.json",
        {
            "process_count": processes,
            "device_count": n_dev,
            "sharded_devices": sharded,
            "seeds_of_process_0": [config.seed + i for i in mine],
            "train_wall_time_s": time.perf_counter() - t0,
            "trials_per_s": episodes * env_params.trials_per_episode / seconds if seconds else None,
            "frozen_seeds": frozen,
        },
    )
    print(f"trained: checkpoint and metrics in {out}/ (distributed.json: processes and devices)", flush=True)
    if dist.no_eval:
        return 3 if frozen else 0
    return evaluate_run(spec.name, out)


if __name__ == "__main__":
    raise SystemExit(main())
