"""One run, generic over tasks: train (or resume, or skip with --eval-only), evaluate every
agent on the same episodes, analyse, plot, summarise; and the scripts' :func:`main`."""

from __future__ import annotations

import signal
import sys
import threading
import time
from pathlib import Path
from typing import Any, Callable, Sequence

import jax
import numpy as np

from metarl_jax.agents.rollout import make_rollout
from metarl_jax.core.cache import enable_compile_cache
from metarl_jax.evaluation import evaluate_network, evaluate_policy
from metarl_jax.pipeline.outputs import begin_evaluation, end_evaluation, record_config, save_arrays, save_eval_arrays
from metarl_jax.pipeline.recording import evaluate_recorded, record_fields
from metarl_jax.pipeline.setup import EXIT_BAD_CONFIG, EXIT_NON_FINITE, parse, select_variant
from metarl_jax.pipeline.spec import Experiment, Setup
from metarl_jax.pipeline.summary import analyse, analyse_neural, build_summary, summary_line
from metarl_jax.training.a2c import make_train
from metarl_jax.training.checkpoint import restore_latest
from metarl_jax.training.claim import RunDirClaim, claim_run_dir
from metarl_jax.training.loop import (
    NonFiniteStop,
    TrainingInterrupted,
    describe_frozen,
    frozen_seeds,
    seed_keys,
    train,
)
from metarl_jax.training.run_dir import RunDirError, read_metrics, truncate_metrics, write_json
from metarl_jax.training.seed_layout import SeedLayout


def progress_evaluator(setup: Setup, rollout: Callable[..., Any]) -> Callable[[Any], dict[str, Any]] | None:
    """Evaluation during training (the current params, frozen; the evaluation keys and
    episode count): per-seed metrics, stored in the metrics row of the chunk where it ran."""
    if not setup.spec.progress_points:
        return None
    greedy = setup.train.eval_policy == "greedy"
    keys = ("reward_per_trial", *setup.spec.summary_metrics, *setup.spec.progress_extra)

    def evaluate(state: Any) -> dict[str, Any]:
        arrays = evaluate_network(rollout, state.params, state.seed_key, setup.train.eval_episodes, greedy)
        results = [
            setup.spec.analyse_seed({k: v[i] for k, v in arrays.items()}, setup.eval_params)
            for i in range(setup.train.num_seeds)
        ]
        return {k: [r.get(k) for r in results] for k in keys} | {"update": int(jax.device_get(state.update)[0])}

    return evaluate


def evaluate_all(
    setup: Setup, rollout: Callable[..., Any], state: Any, metarl: dict[str, np.ndarray] | None = None
) -> dict[str, dict[str, np.ndarray]]:
    """Meta-RL agent (``metarl``: its arrays if already evaluated) and every baseline on the
    same evaluation episodes (paired)."""
    greedy = setup.train.eval_policy == "greedy"
    n = setup.train.eval_episodes
    keys = state.seed_key
    arrays = {"metarl": metarl if metarl is not None else evaluate_network(rollout, state.params, keys, n, greedy)}
    baselines = setup.spec.smoke_baselines if (setup.run.smoke and setup.spec.smoke_baselines) else setup.spec.baselines
    for name, policy in baselines(setup.eval_params).items():
        arrays[name] = evaluate_policy(setup.env, setup.eval_params, policy, keys, n)
    return arrays


def restore_or_start(setup: Setup, state: Any, layout: SeedLayout) -> tuple[Any, str | None]:
    """Resume: the latest intact checkpoint of this run (metrics.jsonl cut back to it). New
    run: config.json. Returns the state to continue from and the run's id."""
    train_cfg, run_cfg, run_dir = setup.train, setup.run, setup.run_dir
    run_id = record_config(setup, layout)
    if not run_cfg.resume:
        return state, run_id
    restored = restore_latest(run_dir, state, run_id)
    if restored is None and run_cfg.eval_only:
        raise RunDirError(f"--eval-only: no loadable checkpoint in {run_dir / 'checkpoints'}")
    update = 0
    if restored is not None:
        state, update = restored
    if not run_cfg.eval_only:
        truncate_metrics(run_dir / "metrics.jsonl", update)
        if not run_cfg.quiet:
            print(f"resuming {run_dir} at update {update} of {train_cfg.num_updates}")
    return state, run_id


def run_experiment(setup: Setup, claim: RunDirClaim | None = None) -> tuple[Path, dict[int, int]]:
    """Train (or resume, or skip with --eval-only), evaluate, analyse, plot, summarise.
    ``claim`` (the locked run directory) learns of each checkpoint, so a run it replaced is
    deleted once the new one has one. Returns the run directory and the seeds frozen by the
    NaN guard {seed: update}. Without ``claim``, the run directory is claimed here (and
    released at the end)."""
    if claim is None:
        claim, succeeded = claim_run_dir(setup.run_dir, setup.run.overwrite, resume=bool(setup.run.resume)), False
        try:
            result = run_experiment(setup, claim)
            succeeded = True
            return result
        finally:
            claim.release(succeeded)
    t_start = time.perf_counter()
    train_cfg, run_cfg, run_dir = setup.train, setup.run, setup.run_dir
    layout = SeedLayout.for_run(train_cfg.num_seeds)  # once per run: training, evaluation, config.json
    fns = make_train(train_cfg, setup.env, setup.env_params)
    state, run_id = restore_or_start(setup, fns.init(seed_keys(train_cfg)), layout)
    # The rollout on evaluation params, built once, so its evaluator compiles once.
    rollout = make_rollout(setup.env, setup.eval_params, fns.network, train_cfg.time_input)
    if not run_cfg.eval_only:
        state, _ = train(
            fns,
            state,
            train_cfg,
            run_cfg,
            setup.env_params.trials_per_episode,
            setup.env.num_steps(setup.env_params),
            run_dir,
            tensorboard=run_cfg.tensorboard,
            progress_eval=progress_evaluator(setup, rollout),
            progress_points=setup.spec.progress_points,
            layout=layout,
            on_checkpoint=lambda update: claim.checkpoint_written(),
            run_id=run_id,
        )
    state = layout.for_evaluation(state)  # in parallel where no pad seeds are needed
    frozen = frozen_seeds(state, train_cfg)
    initial = None  # the untrained control of --record: the initial parameters
    if record_fields(run_cfg.record):
        initial = layout.for_evaluation(fns.init(seed_keys(train_cfg))).params
    report(setup, fns.network, rollout, state, initial, frozen, time.perf_counter() - t_start)
    return run_dir, frozen


def report(
    setup: Setup, network: Any, rollout: Callable[..., Any], state: Any, initial: Any, frozen: dict, elapsed: float
) -> None:
    """Evaluate every agent on the same episodes (and record the network's inside with
    --record), analyse, plot and summarise: the evaluation set, written as one."""
    t_start = time.perf_counter()
    train_cfg, run_cfg, run_dir = setup.train, setup.run, setup.run_dir
    begin_evaluation(run_dir)
    if not run_cfg.quiet:
        n = train_cfg.eval_episodes
        sys.stderr.write(f"evaluating the meta-RL agent and its baselines on {n} episodes per seed...\n")
    fields, metarl, neural_results = record_fields(run_cfg.record), None, None
    if fields:  # the same episodes, the same actions, plus the network's inside (and the untrained control's)
        recording = make_rollout(setup.env, setup.eval_params, network, train_cfg.time_input, record=True)
        metarl, neural = evaluate_recorded(recording, state.params, initial, state.seed_key, setup, fields)
        save_arrays(run_dir / "neural.npz", neural)
    arrays = evaluate_all(setup, rollout, state, metarl)
    save_eval_arrays(run_dir / "eval.npz", arrays)
    analysis = analyse(setup, arrays)
    if fields and setup.spec.analyse_neural:
        neural_results = analyse_neural(setup, arrays["metarl"], neural, analysis["metarl"])
        write_json(run_dir / "neural.json", neural_results)
    write_json(run_dir / "analysis.json", analysis)
    (run_dir / "figures").mkdir(exist_ok=True)
    setup.spec.plot(run_dir)
    rows = read_metrics(run_dir / "metrics.jsonl")
    wall = elapsed + time.perf_counter() - t_start
    end_evaluation(run_dir, build_summary(setup, analysis, state, rows, wall, frozen, neural_results))


class Interrupted(Exception):
    """SIGTERM outside the training loop (which checkpoints and raises TrainingInterrupted)."""

    def __init__(self, signum: int):
        self.signum = signum
        super().__init__(signal.Signals(signum).name)


def _raise_interrupted(signum: int, frame: Any) -> None:
    raise Interrupted(signum)


def main(spec: Experiment, argv: Sequence[str] | None = None, prog: str | None = None) -> int:
    """Entry point of an experiment script: parse, validate, claim the run directory, run,
    print where results went. Exit status: 0 ok; 2 bad config or run directory; 3 seeds went
    non-finite; 128 + signal number when interrupted (after a checkpoint where training ran)."""
    prog = prog or f"{spec.name}.py"
    spec = select_variant(spec, argv)
    setup = parse(spec, argv, prog)
    enable_compile_cache(setup.run.compile_cache)
    try:
        claim = claim_run_dir(setup.run_dir, setup.run.overwrite, resume=bool(setup.run.resume))
    except RunDirError as err:
        sys.stderr.write(f"{prog}: error: {err}\n")
        return EXIT_BAD_CONFIG
    old_term = signal.signal(signal.SIGTERM, _raise_interrupted) if _main_thread() else None
    succeeded = False
    try:
        run_dir, frozen = run_experiment(setup, claim)
        succeeded = True
    except RunDirError as err:
        sys.stderr.write(f"{prog}: error: {err}\n")
        return EXIT_BAD_CONFIG
    except TrainingInterrupted as err:
        sys.stderr.write(f"{prog}: {err}; checkpoint written. Continue with: --resume {setup.run_dir}\n")
        return 128 + err.signum
    except (KeyboardInterrupt, Interrupted) as err:
        signum = err.signum if isinstance(err, Interrupted) else signal.SIGINT
        sys.stderr.write(
            f"{prog}: interrupted by {signal.Signals(signum).name} outside training; "
            f"checkpoints in {setup.run_dir} are kept (continue with --resume {setup.run_dir})\n"
        )
        return 128 + signum
    except NonFiniteStop as err:
        sys.stderr.write(
            f"{prog}: stopped (--stop-on-nan): non-finite loss or params in {err}; "
            f"last finite state checkpointed at update {err.update} in {setup.run_dir}\n"
        )
        return EXIT_NON_FINITE
    except OSError as err:  # disk full, permissions changed under the run: checkpoints are written atomically
        sys.stderr.write(f"{prog}: error: writing to {setup.run_dir} failed ({err.strerror or err}); "
                         "the last complete checkpoint is kept\n")  # fmt: skip
        return EXIT_BAD_CONFIG
    finally:
        claim.release(succeeded)
        if old_term is not None:
            signal.signal(signal.SIGTERM, old_term)
    summary_line(run_dir)
    if frozen:
        sys.stderr.write(
            f"{prog}: error: non-finite loss or params froze {describe_frozen(frozen)}; "
            "their results come from their last finite parameters\n"
        )
        return EXIT_NON_FINITE
    return 0


def _main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()
