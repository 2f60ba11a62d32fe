"""``python -m metarl_jax.multihost``: train one experiment seed-sharded across processes and
machines (:mod:`metarl_jax.training.distributed`), then evaluate it as its script would.

One process per machine (or several on one machine, as the tests do):

    python -m metarl_jax.multihost \\
        --coordinator-address HOST0:12345 --num-processes 2 --process-id 0 \\
        --num-seeds 16 --out runs/two_step_multihost        # on HOST0
    python -m metarl_jax.multihost \\
        --coordinator-address HOST0:12345 --num-processes 2 --process-id 1 \\
        --num-seeds 16 --out runs/two_step_multihost        # on HOST1

``--experiment`` (any registered experiment) picks the experiment whose defaults, evaluation
and figures are used; every training and env flag of its script is accepted. ``--num-seeds``
must be divisible by the total device count. Process 0 writes a run directory like the
script's (``config.json`` with its ``seed_layout``, ``metrics.jsonl``, ``checkpoints/``) plus
``distributed.json`` (processes, devices, throughput); then, unless ``--no-eval``, it
evaluates the run in a fresh single-process Python (``--eval-run``: the script's own
``--eval-only --resume``), which writes ``eval.npz``, ``analysis.json``, ``figures/`` and
``summary.json`` exactly as a one-process run would.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any, Sequence

import jax
import numpy as np

from metarl_jax.pipeline import main as pipeline_main
from metarl_jax.pipeline.setup import config_record, validated_env
from metarl_jax.registry import EXPERIMENTS
from metarl_jax.training.a2c import make_train
from metarl_jax.training.checkpoint import save_checkpoint
from metarl_jax.training.cli import parse_flags
from metarl_jax.training.config import RunConfig
from metarl_jax.training.distributed import gather, initialize, local_seed_indices, shard_seeds_global, train
from metarl_jax.training.loop import seed_keys
from metarl_jax.training.run_dir import write_json
from metarl_jax.training.seed_layout import SeedLayout

PROG = "python -m metarl_jax.multihost"


def _parse(argv: Sequence[str] | None, prog: str):
    pre = argparse.ArgumentParser(prog=prog, add_help=False)
    pre.add_argument("--coordinator-address", help="HOST:PORT of process 0 (omit for one process)")
    pre.add_argument("--num-processes", type=int, default=1)
    pre.add_argument("--process-id", type=int, default=0)
    pre.add_argument(
        "--experiment", default="two_step", choices=sorted(EXPERIMENTS), help="defaults, evaluation and figures"
    )
    pre.add_argument("--out", type=Path, help="run directory process 0 writes (omit: train only, write nothing)")
    pre.add_argument("--no-eval", action="store_true", help="train and checkpoint only (no evaluation or figures)")
    pre.add_argument("--eval-run", type=Path, help=argparse.SUPPRESS)  # the fresh evaluation process
    dist, rest = pre.parse_known_args(argv)
    if "-h" in rest or "--help" in rest:
        pre.print_help()
    spec = EXPERIMENTS[dist.experiment]()
    if dist.eval_run is not None:
        return dist, spec, None, None, None
    env, env_defaults = spec.env_and_defaults()
    (train_cfg, env_params), _ = parse_flags(
        prog, __doc__.splitlines()[0], rest, [("training", spec.train_defaults), ("environment", env_defaults)]
    )
    env = validated_env(prog, spec, env, train_cfg, env_params)
    if dist.process_id == 0 and dist.out is not None and (dist.out / "config.json").exists():
        sys.stderr.write(f"{prog}: error: --out={dist.out}: already holds a run (config.json); choose another\n")
        raise SystemExit(2)
    return dist, spec, env, env_params, train_cfg


def evaluate_run(experiment: str, run_dir: Path) -> int:
    """Evaluate, analyse and plot a finished run directory in a fresh single-process Python
    (``--eval-only --resume``: the experiment script's own path); its exit status."""
    cmd = [sys.executable, "-m", "metarl_jax.multihost", "--experiment", experiment, "--eval-run", str(run_dir)]
    return subprocess.run(cmd, check=False).returncode


def main(argv: Sequence[str] | None = None, prog: str = PROG) -> int:
    """Train one experiment's config seed-sharded across every process's devices; process 0
    writes the run directory, then evaluates it and draws its figures."""
    dist, spec, env, env_params, config = _parse(argv, prog)
    if dist.eval_run is not None:
        return pipeline_main(spec, ["--eval-only", "--resume", str(dist.eval_run), "--quiet"])
    if dist.coordinator_address:
        initialize(dist.coordinator_address, dist.num_processes, dist.process_id)
    n_dev = jax.device_count()
    if config.num_seeds % n_dev:
        sys.stderr.write(
            f"{prog}: error: --num-seeds={config.num_seeds}: must be divisible by the device count ({n_dev}) "
            f"of all {jax.process_count()} processes\n"
        )
        return 2
    layout = SeedLayout(config.num_seeds, tuple(jax.devices()), config.num_seeds)
    run_id = uuid.uuid4().hex
    lead = jax.process_index() == 0
    out = dist.out if lead else None
    if out:
        out.mkdir(parents=True, exist_ok=True)
        (out / "metrics.jsonl").write_text("")
        record = config_record(spec, config, RunConfig(run_dir=str(out)), env_params, layout, run_id)
        write_json(out / "config.json", record | {"processes": jax.process_count()})

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
    save_checkpoint(out / "checkpoints", final, config.num_updates, run_id)
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
