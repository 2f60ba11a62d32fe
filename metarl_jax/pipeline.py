"""The one place that wires train -> evaluate -> analyse -> plot -> summary.

An experiment is a small spec (env, defaults, analysis, figures); every
experiment script calls :func:`main` with its spec. Also ``--resume DIR``
(continue from the latest checkpoint) and ``--eval-only --resume DIR``.
"""

from __future__ import annotations

import dataclasses
import json
import sys
import time
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

from metarl_jax.envs.base import ConfigError
from metarl_jax.training.cli import config_error_exit, flag, parse_flags
from metarl_jax.training.config import (
    RunConfig,
    TrainConfig,
    to_dict,
    validate_encoder,
    validate_run_config,
    validate_train_config,
)
from metarl_jax.training.seed_layout import seed_layout, shard_seeds_if_even

# Flags a resumed run may change: they do not alter training up to the checkpoint.
RESUMABLE_TRAIN_FIELDS = ("total_episodes", "eval_episodes", "eval_policy")
EXIT_BAD_CONFIG, EXIT_NON_FINITE = 2, 3


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
    baselines: Callable[[Any], dict[str, Any]]  # eval env params -> {name: Policy}
    analyse_seed: Callable[[dict[str, np.ndarray], Any], dict[str, Any]]  # step arrays of one seed -> metrics
    summary_metrics: tuple[str, ...]
    plot: Callable[[Path], Any]  # redraws every figure from the run directory's files
    eval_params: Callable[[Any], Any] = lambda params: params  # e.g. switch to held-out objects
    # Paired comparisons across agents evaluated on the same episodes -> summary["comparisons"].
    compare: Callable[[dict[str, dict[str, np.ndarray]], Any], dict[str, Any]] | None = None
    progress_points: int = 0  # evaluations during training (evenly spaced; for learning-set figures)
    progress_extra: tuple[str, ...] = ()  # per-seed metrics recorded at those points beyond summary_metrics
    smoke_baselines: Callable[[Any], dict[str, Any]] | None = None  # with --smoke, if cheaper than ``baselines``
    # Boolean flags that switch the script to another experiment: (flag field, experiment name),
    # e.g. harlow's ("pixels", "harlow_pixels") for `experiments/harlow.py --pixels`.
    variants: tuple[tuple[str, str], ...] = ()


@dataclasses.dataclass(frozen=True)
class Setup:
    """Everything a run needs, validated."""

    spec: Experiment
    train: TrainConfig
    run: RunConfig
    env: Any
    env_params: Any
    run_dir: Path


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


# --------------------------------------------------------------------------- configuration


def _fail(prog: str, message: str) -> None:
    sys.stderr.write(f"{prog}: error: {message}\n")
    raise SystemExit(EXIT_BAD_CONFIG)


def _resumed_configs(
    prog: str, resume: Path, given: set[str], train: TrainConfig, run: RunConfig, env_params: Any
) -> tuple[TrainConfig, RunConfig, Any]:
    """The saved run's configs; flags given now must agree with them (except a few)."""
    path = resume / "config.json"
    if not path.is_file():
        _fail(prog, f"--resume={resume}: not a run directory (no config.json)")
    saved = json.loads(path.read_text())
    saved_train = TrainConfig(**saved["train"])
    saved_env = env_params.replace(**saved["env_params"])
    for obj, saved_obj, kind in ((train, saved_train, "train"), (env_params, saved_env, "env")):
        for field in dataclasses.fields(obj):
            name = field.name
            if name not in given or (kind == "train" and name in RESUMABLE_TRAIN_FIELDS):
                continue
            if getattr(obj, name) != getattr(saved_obj, name):
                _fail(
                    prog,
                    f"{flag(name)}={getattr(obj, name)}: the resumed run has {getattr(saved_obj, name)} "
                    f"(only {', '.join(flag(n) for n in RESUMABLE_TRAIN_FIELDS)} may change on resume)",
                )
    updates = {n: getattr(train, n) for n in RESUMABLE_TRAIN_FIELDS if n in given}
    saved_train = dataclasses.replace(saved_train, **updates)
    saved_run = saved.get("run", {})
    run_updates = {}
    if "checkpoint_every" not in given and saved_run.get("checkpoint_every"):
        run_updates["checkpoint_every"] = saved_run["checkpoint_every"]
    run = dataclasses.replace(run, **run_updates)
    return saved_train, run, saved_env


def _variant_section(spec: Experiment) -> Any:
    """The variant switches as a flag section (so --help lists them); each defaults to
    whether ``spec`` is the experiment it selects."""
    fields = [(name, bool, dataclasses.field(default=target == spec.name)) for name, target in spec.variants]
    return dataclasses.make_dataclass("Variants", fields, frozen=True)()


def select_variant(spec: Experiment, argv: Sequence[str] | None) -> Experiment:
    """The experiment a command line asks for: a variant flag given (``--pixels``), or the
    experiment of the run that ``--resume DIR`` continues; else ``spec``."""
    args = list(sys.argv[1:] if argv is None else argv)
    names = {target for _, target in spec.variants}
    chosen = [target for name, target in spec.variants if flag(name) in args]
    resume = next((a.split("=", 1)[1] for a in args if a.startswith("--resume=")), None)
    if "--resume" in args and args.index("--resume") + 1 < len(args):
        resume = args[args.index("--resume") + 1]
    if not chosen and resume and (Path(resume) / "config.json").is_file():
        saved = json.loads((Path(resume) / "config.json").read_text()).get("experiment")
        chosen = [saved] if saved in names else []
    return EXPERIMENTS[chosen[0]]() if chosen and chosen[0] != spec.name else spec


def parse(spec: Experiment, argv: Sequence[str] | None, prog: str) -> Setup:
    """Flags -> validated Setup; exit 2 with one line on a bad value, before any compile."""
    from metarl_jax.envs.registry import make

    env, env_defaults = make(spec.env_name, **spec.env_overrides)
    sections = [("training", spec.train_defaults), ("run", RunConfig()), ("environment", env_defaults)]
    smoke = [spec.smoke_train, {}, spec.smoke_env]
    if spec.variants:
        sections.append(("variant (another experiment)", _variant_section(spec)))
        smoke.append({})
    (train_cfg, run_cfg, env_params, *_), given = parse_flags(
        prog, spec.description, argv, sections, smoke_overrides=smoke
    )
    if run_cfg.resume:
        config_path = Path(run_cfg.resume) / "config.json"
        saved = json.loads(config_path.read_text()).get("experiment") if config_path.is_file() else None
        if saved not in (None, spec.name):
            _fail(prog, f"--resume={run_cfg.resume}: that run is experiment {saved!r}, not {spec.name!r}")
        train_cfg, run_cfg, env_params = _resumed_configs(
            prog, Path(run_cfg.resume), given, train_cfg, run_cfg, env_params
        )
    if hasattr(env, "for_params"):  # action count follows params (bandit arms, Harlow fixation)
        env = env.for_params(env_params)
    try:
        env.validate(env_params)
        validate_train_config(train_cfg)
        validate_encoder(train_cfg, tuple(env.observation_shape(env_params)))
        from metarl_jax.training.cpu_devices import configure_cpu_devices

        configure_cpu_devices(train_cfg.num_seeds, run_cfg.cpu_devices)  # before JAX starts
        validate_run_config(run_cfg, train_cfg)
    except ConfigError as err:
        config_error_exit(prog, err)
    if run_cfg.resume:
        run_dir = Path(run_cfg.resume)
    else:
        from metarl_jax.training.run import default_run_name

        run_dir = Path(run_cfg.run_dir or Path("runs") / spec.name / (run_cfg.name or default_run_name()))
        if not (run_cfg.run_dir or run_cfg.name):  # two runs started in the same second
            base, i = run_dir, 1
            while run_dir.exists():
                run_dir, i = base.with_name(f"{base.name}-{i}"), i + 1
    return Setup(spec, train_cfg, run_cfg, env, env_params, run_dir)


# --------------------------------------------------------------------------- the run


def seed_layout_info(num_seeds: int) -> dict[str, int]:
    """How training lays the seeds out on this machine's devices (config.json)."""
    import jax

    devices, padded = seed_layout(num_seeds, jax.device_count())
    return {"devices": devices, "seeds_per_device": padded // devices, "pad_seeds": padded - num_seeds}


def restore_latest(run_dir: Path, template: Any) -> tuple[Any, int] | None:
    """Latest loadable checkpoint as (state, update), skipping (and reporting) damaged files."""
    from metarl_jax.training.run import CheckpointError, list_checkpoints, load_checkpoint

    for path in reversed(list_checkpoints(run_dir / "checkpoints")):
        try:
            state = load_checkpoint(path, template)
        except CheckpointError as err:
            sys.stderr.write(f"warning: skipping {err}\n")
            continue
        return state, int(np.asarray(state.update)[0])
    return None


def eval_rollout(setup: Setup, fns: Any) -> Callable[..., Any]:
    """The rollout on evaluation params (built once, so its evaluator compiles once)."""
    from metarl_jax.training.a2c import make_rollout

    return make_rollout(setup.env, setup.spec.eval_params(setup.env_params), fns.network, setup.train.time_input)


def progress_evaluator(setup: Setup, rollout: Callable[..., Any]) -> Callable[[Any], dict[str, Any]] | None:
    """Evaluation during training (the current params, frozen; the evaluation keys and
    episode count): per-seed metrics, stored in the metrics row of the chunk where it ran."""
    if not setup.spec.progress_points:
        return None
    import jax

    from metarl_jax.evaluation import evaluate_network

    eval_params = setup.spec.eval_params(setup.env_params)
    greedy = setup.train.eval_policy == "greedy"
    keys = ("reward_per_trial", *setup.spec.summary_metrics, *setup.spec.progress_extra)

    def evaluate(state: Any) -> dict[str, Any]:
        arrays = evaluate_network(rollout, state.params, state.seed_key, setup.train.eval_episodes, greedy)
        results = [
            setup.spec.analyse_seed({k: v[i] for k, v in arrays.items()}, eval_params)
            for i in range(setup.train.num_seeds)
        ]
        return {k: [r.get(k) for r in results] for k in keys} | {"update": int(jax.device_get(state.update)[0])}

    return evaluate


def evaluate_all(setup: Setup, rollout: Callable[..., Any], state: Any) -> dict[str, dict[str, np.ndarray]]:
    """Meta-RL agent and every baseline on the same evaluation episodes (paired)."""
    from metarl_jax.evaluation import evaluate_network, evaluate_policy

    eval_params = setup.spec.eval_params(setup.env_params)
    greedy = setup.train.eval_policy == "greedy"
    n = setup.train.eval_episodes
    keys = state.seed_key
    arrays = {"metarl": evaluate_network(rollout, state.params, keys, n, greedy)}
    baselines = setup.spec.smoke_baselines if (setup.run.smoke and setup.spec.smoke_baselines) else setup.spec.baselines
    for name, policy in baselines(eval_params).items():
        arrays[name] = evaluate_policy(setup.env, eval_params, policy, keys, n)
    return arrays


def analyse(setup: Setup, arrays: dict[str, dict[str, np.ndarray]]) -> dict[str, Any]:
    """Per-seed metrics and their aggregate for every agent."""
    seeds = list(range(setup.train.seed, setup.train.seed + setup.train.num_seeds))
    eval_params = setup.spec.eval_params(setup.env_params)
    keys = ("reward_per_trial", *setup.spec.summary_metrics)
    analysis: dict[str, Any] = {}
    for agent, arrs in arrays.items():
        results = [setup.spec.analyse_seed({k: v[i] for k, v in arrs.items()}, eval_params) for i in range(len(seeds))]
        analysis[agent] = {
            "seeds": [{"seed": s, **r} for s, r in zip(seeds, results)],
            "aggregate": {k: aggregate([r.get(k) for r in results]) for k in keys},
        }
    return analysis


def training_throughput(rows: list[dict[str, Any]], setup: Setup) -> tuple[float | None, float | None]:
    """(agent_steps_per_s, trials_per_s) over every chunk recorded in metrics.jsonl."""
    seconds = sum(r.get("chunk_time_s", 0.0) for r in rows)
    if not rows or seconds <= 0:
        return None, None
    updates = rows[-1]["updates"]
    episodes = updates * setup.train.num_envs * setup.train.num_seeds
    steps = episodes * setup.env.num_steps(setup.env_params)
    return steps / seconds, episodes * setup.env_params.trials_per_episode / seconds


def build_summary(
    setup: Setup, analysis: dict[str, Any], state: Any, rows: list[dict[str, Any]], wall: float, frozen: dict
) -> dict[str, Any]:
    from metarl_jax.training.run import environment_info

    update = int(np.asarray(state.update)[0])
    steps_s, trials_s = training_throughput(rows, setup)
    metrics = setup.spec.summary_metrics
    return {
        "experiment": setup.spec.name,
        "config": {"train": to_dict(setup.train), "env_params": to_dict(setup.env_params)},
        "device": environment_info()["device"],
        "wall_time_s": wall,
        "agent_steps_per_s": steps_s,
        "trials_per_s": trials_s,
        "frozen_seeds": {str(s): u for s, u in sorted(frozen.items())},
        "seeds": [
            {
                "seed": s["seed"],
                "episodes_trained": update * setup.train.num_envs,
                "eval_episodes": setup.train.eval_episodes,
                "reward_per_trial": s["reward_per_trial"],
                "metrics": {k: s.get(k) for k in metrics},
            }
            for s in analysis["metarl"]["seeds"]
        ],
        "baselines": {
            name: {
                "reward_per_trial": a["aggregate"]["reward_per_trial"]["mean"],
                "metrics": {k: a["aggregate"][k] for k in metrics},
            }
            for name, a in analysis.items()
            if name not in ("metarl", "comparisons")
        },
        "aggregate": analysis["metarl"]["aggregate"],
        **({"comparisons": analysis["comparisons"]} if "comparisons" in analysis else {}),
    }


def run_experiment(setup: Setup) -> tuple[Path, dict[int, int]]:
    """Train (or resume, or skip with --eval-only), evaluate, analyse, plot, summarise.
    Returns the run directory and the seeds frozen by the NaN guard {seed: update}."""
    t_start = time.perf_counter()
    from metarl_jax.training.a2c import make_train
    from metarl_jax.training.loop import frozen_seeds, seed_keys, train
    from metarl_jax.training.run import (
        environment_info,
        prepare_run_dir,
        read_metrics,
        truncate_metrics,
        write_json,
    )

    train_cfg, run_cfg, run_dir = setup.train, setup.run, setup.run_dir
    fns = make_train(train_cfg, setup.env, setup.env_params)
    state = fns.init(seed_keys(train_cfg))  # train() lays the seeds out on the devices
    if run_cfg.resume:
        restored = restore_latest(run_dir, state)
        if restored is None and run_cfg.eval_only:
            raise RuntimeError(f"--eval-only: no loadable checkpoint in {run_dir / 'checkpoints'}")
        update = 0
        if restored is not None:
            state, update = restored
        if not run_cfg.eval_only:
            truncate_metrics(run_dir / "metrics.jsonl", update)
            if not run_cfg.quiet:
                print(f"resuming {run_dir} at update {update} of {train_cfg.num_updates}")
    else:
        prepare_run_dir(run_dir, run_cfg.overwrite)
        write_json(
            run_dir / "config.json",
            {
                "experiment": setup.spec.name,
                "env": setup.spec.env_name,
                "train": to_dict(train_cfg),
                "run": to_dict(run_cfg),
                "env_params": to_dict(setup.env_params),
                "environment": environment_info(),
                "seed_layout": seed_layout_info(train_cfg.num_seeds),
                "command": sys.argv,
            },
        )
    rollout = eval_rollout(setup, fns)
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
        )
    state = shard_seeds_if_even(state)  # evaluation in parallel where no pad seeds are needed
    frozen = frozen_seeds(state, train_cfg)

    arrays = evaluate_all(setup, rollout, state)
    np.savez_compressed(
        run_dir / "eval.npz", **{f"{agent}__{k}": v for agent, arrs in arrays.items() for k, v in arrs.items()}
    )
    analysis = analyse(setup, arrays)
    if setup.spec.compare:
        analysis["comparisons"] = setup.spec.compare(arrays, setup.spec.eval_params(setup.env_params))
    write_json(run_dir / "analysis.json", analysis)
    (run_dir / "figures").mkdir(exist_ok=True)
    setup.spec.plot(run_dir)
    rows = read_metrics(run_dir / "metrics.jsonl")
    summary = build_summary(setup, analysis, state, rows, time.perf_counter() - t_start, frozen)
    write_json(run_dir / "summary.json", summary)
    return run_dir, frozen


# --------------------------------------------------------------------------- experiments


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


def _harlow() -> Experiment:
    from metarl_jax.analysis.harlow import analyse_seed
    from metarl_jax.baselines.harlow import reference_agents
    from metarl_jax.plotting.harlow import plot_run

    return Experiment(
        name="harlow",
        env_name="harlow",
        description=(
            "Meta-RL on Harlow's learning-set task (Harlow 1949; Wang et al. 2018, Fig. 6), symbolic "
            "objects: train on one object pool, evaluate one-shot learning on held-out objects."
        ),
        # Calibrated on the 2-core CPU: 5 seeds reach 97% on trials 2-6 with held-out objects.
        train_defaults=TrainConfig(
            num_seeds=5,
            total_episodes=256_000,
            num_envs=128,
            chunk_size=25,
            optimizer="adam",
            lr=3e-3,
            eval_episodes=2000,
        ),
        env_overrides={},
        smoke_train={"num_seeds": 2, "total_episodes": 256, "num_envs": 32, "chunk_size": 2, "eval_episodes": 50},
        smoke_env={"num_train_objects": 50, "num_test_objects": 50},
        baselines=reference_agents,
        analyse_seed=analyse_seed,
        summary_metrics=("accuracy_trial_1", "accuracy_trials_2_6", "return_fraction", "trials_completed"),
        plot=plot_run,
        eval_params=lambda params: params.replace(test_objects=True),
        progress_points=4,
        progress_extra=("accuracy_by_trial",),
        variants=(("pixels", "harlow_pixels"),),
    )


def _harlow_pixels() -> Experiment:
    from metarl_jax.analysis.harlow import analyse_pixels_seed
    from metarl_jax.baselines.harlow_pixels import reference_agents
    from metarl_jax.plotting.harlow import plot_pixels_run

    return Experiment(
        name="harlow_pixels",
        env_name="harlow_pixels",
        description=(
            "Meta-RL on Harlow's learning-set task on a rendered screen (Wang et al. 2018, Fig. 6, 3D lab "
            "version): fixate the cross, look at one of two images; a CNN + LSTM agent learns from pixels "
            "on one object pool and is evaluated on held-out objects (experiments/harlow.py --pixels)."
        ),
        # Calibrated on the 2-core CPU (README): seeds reach 91-98% on trials 2-6 with held-out
        # objects after 48-64k episodes and 98-99% after 96-128k; 4 seeds x 128k episodes train
        # in ~10 min on a busy 2-core machine (~850 episodes/s for all seeds together).
        train_defaults=TrainConfig(
            num_seeds=4,
            total_episodes=128_000,
            num_envs=128,
            chunk_size=25,
            encoder="cnn",
            time_input=True,
            optimizer="adam",
            lr=3e-3,
            eval_episodes=1000,
        ),
        env_overrides={},
        smoke_train={
            "num_seeds": 2,
            "total_episodes": 64,
            "num_envs": 16,
            "chunk_size": 2,
            "hidden_size": 16,
            "eval_episodes": 20,
        },
        smoke_env={"num_train_objects": 20, "num_test_objects": 20},
        baselines=reference_agents,
        analyse_seed=analyse_pixels_seed,
        summary_metrics=("accuracy_trial_1", "accuracy_trials_2_6", "return_fraction", "trials_completed", "timeouts"),
        plot=plot_pixels_run,
        eval_params=lambda params: params.replace(test_objects=True),
        progress_points=4,
        progress_extra=("accuracy_by_trial",),
        variants=(("pixels", "harlow_pixels"),),
    )


def _bandit_compare(arrays: dict[str, dict[str, np.ndarray]], params: Any) -> dict[str, Any]:
    """Paired differences of total reward per episode, meta-RL minus each baseline
    (every agent played the same problems: episodes of all seeds pooled)."""
    from metarl_jax.analysis.bandit import paired_difference

    totals = {name: np.asarray(a["reward"], np.float64).sum(-1).reshape(-1) for name, a in arrays.items()}
    return {
        "metarl_minus": {name: paired_difference(totals["metarl"], t) for name, t in totals.items() if name != "metarl"}
    }


def _bandit() -> Experiment:
    from metarl_jax.analysis.bandit import analyse_seed
    from metarl_jax.baselines.bandit_suite import SMOKE_TUNING, tuned_baselines
    from metarl_jax.envs.registry import make
    from metarl_jax.plotting.bandit import plot_run

    def baselines(params: Any, **tuning: Any) -> dict[str, Any]:
        env = make("bandit", num_arms=params.num_arms)[0]
        return tuned_baselines(env, params, **tuning)[0]

    return Experiment(
        name="bandit",
        env_name="bandit",
        description=(
            "Meta-RL on Bernoulli bandits (Wang et al. 2016; Duan et al. 2016): an LSTM A2C agent trained "
            "on many problems, compared on the same held-out problems with Gittins, Thompson sampling, "
            "UCB1 and greedy baselines (paired 95% CIs)."
        ),
        # Calibrated on the 2-core CPU (README, "Bandits"): 2 arms x 100 trials reach ~99.7% of
        # Gittins by 160k problems; γ 0.99 or 1.0 learns far slower, GAE(0.8) and entropy
        # annealing did not help, 256 problems per update needs more problems.
        train_defaults=TrainConfig(
            total_episodes=163_840, num_envs=64, time_input=True, lr=1e-2, gamma=0.9, eval_episodes=1250
        ),
        env_overrides={},
        smoke_train={"num_seeds": 2, "total_episodes": 64, "num_envs": 16, "chunk_size": 2, "eval_episodes": 50},
        smoke_env={"trials_per_episode": 20},
        baselines=baselines,
        analyse_seed=lambda arrays, params: analyse_seed(arrays),
        summary_metrics=("total_reward", "cumulative_regret"),
        plot=plot_run,
        compare=_bandit_compare,
        smoke_baselines=lambda params: baselines(params, **SMOKE_TUNING),
    )


EXPERIMENTS: dict[str, Callable[[], Experiment]] = {
    "two_step": _two_step,
    "harlow": _harlow,
    "harlow_pixels": _harlow_pixels,
    "bandit": _bandit,
}


def main(spec: Experiment, argv: Sequence[str] | None = None, prog: str | None = None) -> int:
    """Entry point of an experiment script: parse, validate, run, print where results went.
    Exit status: 0 ok; 2 bad config or run directory; 3 seeds went non-finite;
    128 + signal number when interrupted (after a checkpoint)."""
    prog = prog or f"{spec.name}.py"
    spec = select_variant(spec, argv)
    setup = parse(spec, argv, prog)
    from metarl_jax.training.loop import NonFiniteStop, TrainingInterrupted, describe_frozen
    from metarl_jax.training.run import RunDirError

    try:
        run_dir, frozen = run_experiment(setup)
    except RunDirError as err:
        sys.stderr.write(f"{prog}: error: {err}\n")
        return EXIT_BAD_CONFIG
    except TrainingInterrupted as err:
        sys.stderr.write(f"{prog}: {err}; checkpoint written. Continue with: --resume {setup.run_dir}\n")
        return 128 + err.signum
    except NonFiniteStop as err:
        sys.stderr.write(
            f"{prog}: stopped (--stop-on-nan): non-finite loss or params in {err}; "
            f"last finite state checkpointed at update {err.update} in {setup.run_dir}\n"
        )
        return EXIT_NON_FINITE
    summary_line(run_dir)
    if frozen:
        sys.stderr.write(
            f"{prog}: error: non-finite loss or params froze {describe_frozen(frozen)}; "
            "their results come from their last finite parameters\n"
        )
        return EXIT_NON_FINITE
    return 0


def summary_line(run_dir: Path) -> None:
    summary = json.loads((run_dir / "summary.json").read_text())
    agg = summary["aggregate"]["reward_per_trial"]
    rate = summary.get("trials_per_s")
    rate_text = f" ({rate:.3g} trials/s training)" if rate else ""
    print(
        f"{summary['experiment']}: {len(summary['seeds'])} seeds, reward per trial "
        f"{agg['mean']:.3f} ± {agg['sem'] or 0:.3f} (SEM){rate_text}, total {summary['wall_time_s']:.1f} s"
    )
    print(f"results in {run_dir}/ (summary.json, analysis.json, eval.npz, figures/)")
