"""The one place that wires train -> evaluate -> analyse -> plot -> summary.

An experiment is a small spec (env, defaults, analysis, figures); every
experiment script calls :func:`main` with its spec.
"""

from __future__ import annotations

import dataclasses
import sys
import time
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

from metarl_jax.envs.base import ConfigError
from metarl_jax.training.cli import config_error_exit, parse_flags
from metarl_jax.training.config import (
    RunConfig,
    TrainConfig,
    to_dict,
    validate_run_config,
    validate_train_config,
)


@dataclasses.dataclass(frozen=True)
class Experiment:
    """What differs between experiments; the pipeline does the rest."""

    name: str
    env_name: str
    description: str
    train_defaults: TrainConfig
    env_overrides: dict[str, Any]
    smoke_train: dict[str, Any]
    smoke_env: dict[str, Any]
    baselines: Callable[[Any], dict[str, Any]]  # env params -> {name: Policy}
    analyse_seed: Callable[[dict[str, np.ndarray], Any], dict[str, Any]]  # step arrays of one seed -> metrics
    summary_metrics: tuple[str, ...]
    plot: Callable[[Path], None]  # redraws every figure from the run directory's files


def aggregate(values: Sequence[Any]) -> dict[str, Any]:
    """Mean and SEM over seeds; booleans as the fraction of seeds; None when empty."""
    vals = [v for v in values if v is not None]
    if vals and all(isinstance(v, (bool, np.bool_)) for v in vals):
        return {"fraction": float(np.mean(vals))}
    arr = np.array([float(v) for v in vals], dtype=float)
    arr = arr[np.isfinite(arr)]
    if arr.size == 0:
        return {"mean": None, "sem": None}
    sem = float(np.std(arr, ddof=1) / np.sqrt(arr.size)) if arr.size > 1 else 0.0
    return {"mean": float(arr.mean()), "sem": sem}


def per_seed_results(arrays: dict[str, np.ndarray], spec: Experiment, env_params: Any) -> list[dict[str, Any]]:
    return [spec.analyse_seed({k: v[i] for k, v in arrays.items()}, env_params) for i in range(len(arrays["reward"]))]


def parse(spec: Experiment, argv: Sequence[str] | None, prog: str):
    """Flags -> validated (TrainConfig, RunConfig, env, env params); exit 2 on a bad value."""
    from metarl_jax.envs.registry import make

    env, env_defaults = make(spec.env_name, **spec.env_overrides)
    (train_cfg, run_cfg, env_params), _ = parse_flags(
        prog,
        spec.description,
        argv,
        [("training", spec.train_defaults), ("run", RunConfig()), ("environment", env_defaults)],
        smoke_overrides=[spec.smoke_train, {}, spec.smoke_env],
    )
    try:
        env.validate(env_params)
        validate_train_config(train_cfg)
        validate_run_config(run_cfg, train_cfg)
    except ConfigError as err:
        config_error_exit(prog, err)
    return train_cfg, run_cfg, env, env_params


def run_experiment(spec: Experiment, train_cfg: TrainConfig, run_cfg: RunConfig, env: Any, env_params: Any) -> Path:
    """Train, evaluate, analyse, plot and summarise; returns the run directory."""
    t_start = time.perf_counter()
    import jax

    from metarl_jax.evaluation import evaluate_network, evaluate_policy
    from metarl_jax.training.a2c import make_train
    from metarl_jax.training.loop import seed_keys, train
    from metarl_jax.training.run import (
        default_run_name,
        environment_info,
        prepare_run_dir,
        save_checkpoint,
        write_json,
    )

    run_dir = Path(run_cfg.run_dir or Path("runs") / spec.name / (run_cfg.name or default_run_name()))
    prepare_run_dir(run_dir, run_cfg.overwrite)
    config = {
        "experiment": spec.name,
        "env": spec.env_name,
        "train": to_dict(train_cfg),
        "run": to_dict(run_cfg),
        "env_params": to_dict(env_params),
        "environment": environment_info(),
        "command": sys.argv,
    }
    write_json(run_dir / "config.json", config)
    info = config["environment"]

    trials = env_params.trials_per_episode
    steps = env.num_steps(env_params)
    fns = make_train(train_cfg, env, env_params)
    state = fns.init(seed_keys(train_cfg))
    state, rows, train_time = train(fns, state, train_cfg, run_cfg, trials, steps, run_dir)
    save_checkpoint(run_dir / "checkpoints", state, int(np.asarray(state.update)[0]))

    greedy = train_cfg.eval_policy == "greedy"
    keys = state.seed_key  # the chunk donates its input, so take the keys from the live state
    eval_arrays = {"metarl": evaluate_network(fns.rollout, state.params, keys, train_cfg.eval_episodes, greedy)}
    for name, policy in spec.baselines(env_params).items():
        eval_arrays[name] = evaluate_policy(env, env_params, policy, keys, train_cfg.eval_episodes)
    np.savez_compressed(
        run_dir / "eval.npz", **{f"{agent}__{k}": v for agent, arrs in eval_arrays.items() for k, v in arrs.items()}
    )

    seeds = list(range(train_cfg.seed, train_cfg.seed + train_cfg.num_seeds))
    analysis: dict[str, Any] = {}
    for agent, arrs in eval_arrays.items():
        results = per_seed_results(arrs, spec, env_params)
        analysis[agent] = {
            "seeds": [{"seed": s, **r} for s, r in zip(seeds, results)],
            "aggregate": {
                k: aggregate([r.get(k) for r in results]) for k in ("reward_per_trial", *spec.summary_metrics)
            },
        }
    write_json(run_dir / "analysis.json", analysis)
    spec.plot(run_dir)

    total_steps = train_cfg.num_updates * train_cfg.num_envs * train_cfg.num_seeds * steps
    summary = {
        "experiment": spec.name,
        "config": {"train": to_dict(train_cfg), "env_params": to_dict(env_params)},
        "device": info["device"],
        "wall_time_s": time.perf_counter() - t_start,
        "train_time_s": train_time,
        "agent_steps_per_s": total_steps / train_time if train_time > 0 else None,
        "trials_per_s": total_steps / steps * trials / train_time if train_time > 0 else None,
        "seeds": [
            {
                "seed": s["seed"],
                "episodes_trained": train_cfg.num_updates * train_cfg.num_envs,
                "eval_episodes": train_cfg.eval_episodes,
                "reward_per_trial": s["reward_per_trial"],
                "metrics": {k: s.get(k) for k in spec.summary_metrics},
            }
            for s in analysis["metarl"]["seeds"]
        ],
        "baselines": {
            name: {
                "reward_per_trial": a["aggregate"]["reward_per_trial"]["mean"],
                "metrics": {k: a["aggregate"][k] for k in spec.summary_metrics},
            }
            for name, a in analysis.items()
            if name != "metarl"
        },
        "aggregate": analysis["metarl"]["aggregate"],
    }
    write_json(run_dir / "summary.json", summary)
    del jax
    return run_dir


def _two_step() -> Experiment:
    from metarl_jax.analysis.two_step import analyse_seed, trial_arrays
    from metarl_jax.baselines.two_step import reference_agents
    from metarl_jax.plotting.two_step import plot_run

    return Experiment(
        name="two_step",
        env_name="two_step",
        description=(
            "Meta-RL on the Daw two-step task (Wang et al. 2018, Fig. 5): train an LSTM A2C agent on "
            "many seeds at once, evaluate with frozen weights, and plot stay probabilities."
        ),
        train_defaults=TrainConfig(),
        env_overrides={},
        smoke_train={"num_seeds": 2, "total_episodes": 64, "num_envs": 16, "chunk_size": 2, "eval_episodes": 20},
        smoke_env={"trials_per_episode": 20},
        baselines=reference_agents,
        analyse_seed=lambda arrays, params: analyse_seed(trial_arrays(arrays)),
        summary_metrics=(
            "stay_common_rewarded",
            "stay_rare_rewarded",
            "stay_common_unrewarded",
            "stay_rare_unrewarded",
            "model_based_index",
            "model_based_signature",
            "reward_main_effect",
            "regression_model_based_index",
            "regression_model_free_index",
        ),
        plot=plot_run,
    )


EXPERIMENTS: dict[str, Callable[[], Experiment]] = {"two_step": _two_step}


def main(spec: Experiment, argv: Sequence[str] | None = None, prog: str | None = None) -> int:
    """Entry point of an experiment script: parse, validate, run, print where results went."""
    prog = prog or f"{spec.name}.py"
    train_cfg, run_cfg, env, env_params = parse(spec, argv, prog)
    from metarl_jax.training.run import RunDirError

    try:
        run_dir = run_experiment(spec, train_cfg, run_cfg, env, env_params)
    except RunDirError as err:
        sys.stderr.write(f"{prog}: error: {err}\n")
        return 2
    summary_line(run_dir)
    return 0


def summary_line(run_dir: Path) -> None:
    import json

    summary = json.loads((run_dir / "summary.json").read_text())
    agg = summary["aggregate"]["reward_per_trial"]
    print(
        f"{summary['experiment']}: {len(summary['seeds'])} seeds, reward per trial "
        f"{agg['mean']:.3f} ± {agg['sem'] or 0:.3f} (SEM), trained in {summary['train_time_s']:.1f} s "
        f"({summary['trials_per_s']:.3g} trials/s), total {summary['wall_time_s']:.1f} s"
    )
    print(f"results in {run_dir}/ (summary.json, analysis.json, eval.npz, figures/)")
