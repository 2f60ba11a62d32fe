"""The published bandit tables with the meta-RL agent trained in them.

Every meta-RL cell is a full run of the bandit experiment (``pipeline``) in its own
directory under the table's output directory: checkpoints, resume after an
interruption, summary.json with paired comparisons, figures. A cell whose
summary.json exists is reused, one with only a checkpoint is resumed, so rerunning
an interrupted table command loses at most the work since the last checkpoint.

- ``duan2016_metarl_rows``: Duan et al. (2016) Table 1 rows for n ∈ {10, 100}
  pulls (the cells where the paper trained RL²), one training per (n, k).
- ``wang2016_table``: dependent two-armed bandits (Wang et al. 2016): train on
  each of uniform / easy / medium / hard, test every trained agent on each,
  with Thompson sampling, UCB1 and Gittins on the same test problems.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

from metarl_jax.core.stats import mean_ci95

DUAN2016_METARL_NS = (10, 100)
WANG2016_CONDITIONS = ("uniform", "easy", "medium", "hard")  # dependent arms p, 1 − p
WANG2016_BASELINES = ("ts", "ucb1", "gittins")
# Per training condition: 4 seeds x 2500 test problems, 163,840 problems per seed, entropy cost
# 0.01: with the bandit defaults (0.05) and 81,920 problems the agent trained on "hard" (0.4 / 0.6)
# never left chance, and at 0.01 it only began to leave it by then (measured, README "Bandits").
WANG2016_TRAIN_FLAGS = (
    *("--num-seeds", "4", "--eval-episodes", "2500"),
    *("--total-episodes", "163840", "--entropy-coef", "0.01"),
)


def metarl_train_flags(n: int, k: int) -> list[str]:
    """Training flags of a Duan-table cell, measured on the 2-core CPU (README, "Bandits"):
    4 seeds x 2500 evaluation problems. n = 100 pulls: γ 0.95, lr decayed linearly to a tenth,
    greedy evaluation, 983k problems per seed, ~13 min on 2 cores (5 arms, total reward: 77.2 at
    655k problems with constant lr, 77.4 evaluated greedily, 77.5 with the decay, 77.7 at 983k;
    Gittins 78.3). n = 10: 328k problems (an episode costs a tenth) and entropy cost 0.01 (at
    0.05 the 10-arm agent stayed at chance: 5.29, against 6.49 at 0.01; 5 arms 6.52 and 6.50;
    50 arms stayed at chance with both)."""
    common = ["--num-arms", str(k), "--trials-per-episode", str(n), "--num-seeds", "4", "--eval-episodes", "2500"]
    if n >= 100:
        return [*common, "--total-episodes", "983040", "--gamma", "0.95", "--lr-final-scale", "0.1",
                "--eval-policy", "greedy"]  # fmt: skip
    return [*common, "--total-episodes", "327680", "--entropy-coef", "0.01"]


def smoke_sized(flags: Sequence[str]) -> list[str]:
    """With --smoke among ``flags``, drop the table's run-size flags (and their values) so the
    cell runs at smoke size (explicit flags would beat --smoke)."""
    from metarl_jax.training.cli import RUN_SIZE_FLAGS, without_flags

    return without_flags(flags, RUN_SIZE_FLAGS) if "--smoke" in flags else list(flags)


def run_cell(out_dir: Path, name: str, flags: Sequence[str], quiet: bool = False) -> Path:
    """Run the bandit experiment in ``out_dir/name`` (reuse it if finished, resume it if
    interrupted) and return its run directory. Raises like ``pipeline.run_experiment``."""
    from metarl_jax.pipeline import parse, run_experiment
    from metarl_jax.tasks.bandit.experiment import bandit

    flags = smoke_sized(flags)
    run_dir = Path(out_dir) / name
    if (run_dir / "config.json").is_file():
        _check_same_config(run_dir, flags)
    if (run_dir / "summary.json").is_file():
        return run_dir
    quiet_flag = ["--quiet"] if quiet else []
    if (run_dir / "config.json").is_file():
        argv = ["--resume", str(run_dir), *quiet_flag]
    else:
        argv = [*flags, "--run-dir", str(run_dir), *quiet_flag]
    run_experiment(parse(bandit(), argv, f"bandit.py [{name}]"))
    return run_dir


class CellMismatch(Exception):
    """An existing cell directory was trained with other settings than the table asks for."""


def _check_same_config(run_dir: Path, flags: Sequence[str]) -> None:
    """Refuse to reuse or resume a cell whose saved training/env config differs from ``flags``."""
    from metarl_jax.pipeline import parse
    from metarl_jax.tasks.bandit.experiment import bandit
    from metarl_jax.training.config import to_dict

    wanted = parse(bandit(), [*flags, "--run-dir", str(run_dir)], "bandit.py --table")
    saved = json.loads((run_dir / "config.json").read_text())
    for kind, now in (("train", to_dict(wanted.train)), ("env_params", to_dict(wanted.env_params))):
        diff = {k: (saved[kind].get(k), v) for k, v in now.items() if saved[kind].get(k) != v}
        if diff:
            details = ", ".join(f"{k}: saved {a!r}, asked {b!r}" for k, (a, b) in diff.items())
            raise CellMismatch(f"{run_dir} was trained with other settings ({details}); use another --out")


def _metarl_totals(run_dir: Path) -> np.ndarray:
    """Total reward per evaluation episode of every seed, (S·E,), from eval.npz."""
    with np.load(run_dir / "eval.npz") as data:
        return np.asarray(data["metarl__reward"], np.float64).sum(-1).reshape(-1)


def duan2016_metarl_rows(
    out_dir: Path,
    ns: Sequence[int] = DUAN2016_METARL_NS,
    ks: Sequence[int] = (5, 10, 50),
    extra_flags: Sequence[str] = (),
    quiet: bool = False,
    log: Callable[[str], Any] | None = None,
) -> list[dict[str, Any]]:
    """Train and evaluate the meta-RL agent in each (n, k) cell -> table rows (agent "metarl").
    Its problems are the experiment's evaluation problems (eval_episodes per seed), not the
    baselines' table problems; each cell's summary.json holds paired comparisons with every
    tuned baseline on its own problems."""
    log = log or (lambda line: print(line, file=sys.stderr, flush=True))
    rows = []
    for n in ns:
        for k in ks:
            run_dir = run_cell(out_dir, f"metarl_n{n}_k{k}", [*metarl_train_flags(n, k), *extra_flags], quiet)
            summary = json.loads((run_dir / "summary.json").read_text())
            train = summary["config"]["train"]
            mean, ci = mean_ci95(_metarl_totals(run_dir))
            hyper = {f: train[f] for f in ("gamma", "lr", "optimizer", "num_envs", "total_episodes", "num_seeds")}
            rows.append(
                {
                    "n": n,
                    "k": k,
                    "agent": "metarl",
                    "total_reward": mean,
                    "ci95": ci,
                    "hyperparams": hyper | {"run_dir": str(run_dir)},
                    "comparisons": summary.get("comparisons", {}),
                }
            )
            log(f"n={n} k={k} metarl: {mean:.2f} ± {ci:.2f} ({run_dir})")
    return rows


# --------------------------------------------------------------------------- Wang et al. 2016


def _trained_state(run_dir: Path) -> tuple[Any, Any, Any]:
    """(setup, fns, final state) of a finished bandit run directory."""
    from metarl_jax.pipeline import parse
    from metarl_jax.tasks.bandit.experiment import bandit
    from metarl_jax.training.checkpoint import restore_latest
    from metarl_jax.training.a2c import make_train
    from metarl_jax.training.loop import seed_keys

    setup = parse(bandit(), ["--resume", str(run_dir), "--eval-only", "--quiet"], "bandit.py")
    fns = make_train(setup.train, setup.env, setup.env_params)
    restored = restore_latest(run_dir, fns.init(seed_keys(setup.train)))
    if restored is None:
        raise RuntimeError(f"{run_dir}: no loadable checkpoint")
    return setup, fns, restored[0]


def wang2016_table(
    out_dir: Path,
    conditions: Sequence[str] = WANG2016_CONDITIONS,
    extra_flags: Sequence[str] = (),
    quiet: bool = False,
    log: Callable[[str], Any] | None = None,
    tuning_problems: int = 4000,
    grids: dict[str, tuple[float, ...]] | None = None,
) -> list[dict[str, Any]]:
    """Train on each dependent-arm condition, test on each. Rows: {"train", "test", "agent",
    "cumulative_regret" (mean over seeds × episodes at the last trial), "ci95"}; baseline rows
    have train = None. Every agent of a test column plays the same problems (keys of the
    trained runs' seeds); UCB1's c and Gittins' γ are tuned per test condition on
    ``tuning_problems`` other problems over ``HYPERPARAMETER_GRIDS`` (or ``grids``)."""
    import jax

    from metarl_jax.tasks.bandit.baselines.policies import make_agent, problem_keys, tune
    from metarl_jax.tasks.bandit.baselines.suite import TUNING_SEED
    from metarl_jax.tasks.bandit.env import make_bandit
    from metarl_jax.evaluation import evaluate_network, evaluate_policy
    from metarl_jax.agents.rollout import make_rollout

    log = log or (lambda line: print(line, file=sys.stderr, flush=True))
    runs = {
        c: run_cell(
            out_dir,
            f"train_{c}",
            ["--distribution", "dependent", "--difficulty", c, *WANG2016_TRAIN_FLAGS, *extra_flags],
            quiet,
        )
        for c in conditions
    }
    rows: list[dict[str, Any]] = []
    for test in conditions:
        test_regret: dict[tuple[str | None, str], np.ndarray] = {}
        for train, run_dir in runs.items():
            setup, fns, state = _trained_state(run_dir)
            params = setup.env_params.replace(difficulty=test)
            rollout = make_rollout(setup.env, params, fns.network, setup.train.time_input)
            greedy = setup.train.eval_policy == "greedy"
            arrays = evaluate_network(rollout, state.params, state.seed_key, setup.train.eval_episodes, greedy)
            test_regret[(train, "metarl")] = arrays["regret"].sum(-1).reshape(-1)
        # Baselines on the same problems (the last trained run's seeds: all runs share seeds).
        env, base_params = make_bandit(distribution="dependent", difficulty=test)
        tune_keys = problem_keys(jax.random.key(TUNING_SEED), tuning_problems)
        for agent in WANG2016_BASELINES:
            value = tune(agent, env, base_params, tune_keys, (grids or {}).get(agent))[0] if agent != "ts" else None
            policy = make_agent(agent, 2, base_params.trials_per_episode, value)
            arrays = evaluate_policy(env, base_params, policy, state.seed_key, setup.train.eval_episodes)
            test_regret[(None, agent)] = np.asarray(arrays["regret"]).sum(-1).reshape(-1)
        for (train, agent), regret in test_regret.items():
            mean, ci = mean_ci95(regret)
            rows.append({"train": train, "test": test, "agent": agent, "cumulative_regret": mean, "ci95": ci})
            log(f"test={test} train={train} {agent}: regret {mean:.2f} ± {ci:.2f}")
    return rows


def wang2016_markdown(rows: list[dict[str, Any]]) -> str:
    """Rows = trained-on condition (and each baseline), columns = tested-on condition."""
    tests = list(dict.fromkeys(r["test"] for r in rows))
    labels = list(dict.fromkeys((r["train"], r["agent"]) for r in rows))
    cell = {(r["train"], r["agent"], r["test"]): r for r in rows}
    lines = ["| agent (trained on) | " + " | ".join(f"test {t}" for t in tests) + " |", "|---|" + "---|" * len(tests)]
    for train, agent in labels:
        name = f"meta-RL ({train})" if agent == "metarl" else agent
        vals = [cell.get((train, agent, t)) for t in tests]
        lines.append(
            f"| {name} | "
            + " | ".join(f"{v['cumulative_regret']:.2f} ± {v['ci95']:.2f}" if v else "" for v in vals)
            + " |"
        )
    lines.append("")
    lines.append("Cumulative expected regret after 100 pulls (best p − chosen p), mean ± 95% CI; lower is better.")
    return "\n".join(lines)


# --------------------------------------------------------------------------- command line

TABLES = ("duan2016", "wang2016")
TABLE_USAGE = (
    "usage: bandit.py --table {duan2016,wang2016} [--out DIR] [--smoke] [--quiet] [--no-metarl] [training flags]\n"
    "  duan2016   Duan et al. 2016 Table 1: every baseline, n in {10,100,500} x k in {5,10,50},\n"
    "             and the meta-RL agent trained in each cell with n in {10,100} (--no-metarl: baselines only)\n"
    "  wang2016   Wang et al. 2016 dependent arms: train on uniform/easy/medium/hard, test on each (heat map)\n"
    "  --out DIR  table files and one run directory per trained cell (default runs/bandit/tables);\n"
    "             rerunning reuses finished cells and resumes interrupted ones\n"
    "  other flags (e.g. --num-seeds 4) go to every cell's training run (see bandit.py --help)\n"
)


def _pop_flag(argv: list[str], name: str) -> bool:
    if name in argv:
        argv.remove(name)
        return True
    return False


def _pop_value(argv: list[str], name: str, default: str | None) -> str | None:
    for i, a in enumerate(argv):
        if a == name and i + 1 < len(argv):
            value = argv[i + 1]
            del argv[i : i + 2]
            return value
        if a.startswith(name + "="):
            del argv[i]
            return a.split("=", 1)[1]
    return default


def _check_cell_flags(flags: Sequence[str]) -> None:
    """Parse (never run) a cell with these flags: exits 2 with one line on a bad one."""
    from metarl_jax.pipeline import parse
    from metarl_jax.tasks.bandit.experiment import bandit

    parse(bandit(), [*flags, "--run-dir", "unused"], "bandit.py --table")


def tables_main(argv: Sequence[str]) -> int:
    """``bandit.py --table NAME ...``: build the table, print it as markdown, write JSON (+ figure).
    Exit 0 ok, 2 bad usage, 128 + signal when interrupted (finished cells are kept)."""
    from metarl_jax.tasks.bandit.tables_baselines import duan2016_baselines, duan2016_markdown
    from metarl_jax.training.loop import TrainingInterrupted

    argv = list(argv)
    which = _pop_value(argv, "--table", None)
    if which not in TABLES:
        sys.stderr.write(f"bandit.py: error: --table={which}: choose one of {', '.join(TABLES)}\n{TABLE_USAGE}")
        return 2
    out = Path(_pop_value(argv, "--out", "runs/bandit/tables"))
    smoke, quiet, no_metarl = (_pop_flag(argv, f) for f in ("--smoke", "--quiet", "--no-metarl"))
    cell_flags = [*argv, *(["--smoke"] if smoke else [])]  # run_cell drops table sizes with --smoke
    _check_cell_flags(cell_flags)  # a bad flag fails now, not after ten minutes of baselines
    out.mkdir(parents=True, exist_ok=True)
    try:
        if which == "duan2016":
            kwargs = {"num_problems": 200, "tune_problems": 100, "ns": (10,), "ks": (5,)} if smoke else {}
            rows = duan2016_baselines(**kwargs)
            if not no_metarl:
                grid = {"ns": (10,), "ks": (5,)} if smoke else {}
                rows += duan2016_metarl_rows(out, extra_flags=cell_flags, quiet=quiet, **grid)
            path = out / "table_duan2016.json"
            path.write_text(json.dumps(rows, indent=1) + "\n")
            print(duan2016_markdown(rows))
        else:
            from metarl_jax.tasks.bandit.baselines.suite import SMOKE_TUNING
            from metarl_jax.tasks.bandit.plots import wang2016_figure

            conditions = ("uniform", "easy") if smoke else WANG2016_CONDITIONS
            tuning = {k: SMOKE_TUNING[k] for k in ("tuning_problems", "grids")} if smoke else {}
            rows = wang2016_table(out, conditions, extra_flags=cell_flags, quiet=quiet, **tuning)
            path = out / "table_wang2016.json"
            path.write_text(json.dumps(rows, indent=1) + "\n")
            wang2016_figure(out / "wang2016_regret.png", rows)
            print(wang2016_markdown(rows))
            print(f"heat map in {out / 'wang2016_regret.png'}")
    except CellMismatch as err:
        sys.stderr.write(f"bandit.py: error: {err}\n")
        return 2
    except TrainingInterrupted as err:
        sys.stderr.write(f"bandit.py: {err}; finished cells are kept. Rerun the same command to continue.\n")
        return 128 + err.signum
    print(f"rows in {path}")
    return 0
