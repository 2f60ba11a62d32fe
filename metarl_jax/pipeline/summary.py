"""summary.json: per-seed and aggregate results of every agent, the schema written once, and
the line printed at the end of a run."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from metarl_jax.core.stats import aggregate
from metarl_jax.pipeline.spec import Setup
from metarl_jax.training.config import to_dict
from metarl_jax.training.run_dir import environment_info


def analyse(setup: Setup, arrays: dict[str, dict[str, np.ndarray]]) -> dict[str, Any]:
    """Per-seed metrics and their aggregate for every agent."""
    seeds = list(range(setup.train.seed, setup.train.seed + setup.train.num_seeds))
    keys = ("reward_per_trial", *setup.spec.summary_metrics)
    analysis: dict[str, Any] = {}
    for agent, arrs in arrays.items():
        results = [
            setup.spec.analyse_seed({k: v[i] for k, v in arrs.items()}, setup.eval_params) for i in range(len(seeds))
        ]
        analysis[agent] = {
            "seeds": [{"seed": s, **r} for s, r in zip(seeds, results)],
            "aggregate": {k: aggregate([r.get(k) for r in results]) for k in keys},
        }
    if setup.spec.compare:
        analysis["comparisons"] = setup.spec.compare(arrays, setup.eval_params)
    return analysis


def analyse_neural(
    setup: Setup, arrays: dict[str, np.ndarray], neural: dict[str, np.ndarray], analysis: dict[str, Any]
) -> dict[str, Any]:
    """The task's analysis of the recorded network, per seed and aggregated (numbers only);
    ``analysis`` is the network's behavioural analysis (``analyse``'s ``["metarl"]``)."""
    seeds = list(range(setup.train.seed, setup.train.seed + setup.train.num_seeds))
    results = [
        setup.spec.analyse_neural(
            {k: v[i] for k, v in arrays.items()},
            {k: v[i] for k, v in neural.items()},
            setup.eval_params,
            analysis["seeds"][i],
        )
        for i in range(len(seeds))
    ]
    numbers = [k for k, v in results[0].items() if isinstance(v, (int, float, bool, np.number, type(None)))]
    return {
        "seeds": [{"seed": s, **r} for s, r in zip(seeds, results)],
        "aggregate": {k: aggregate([r.get(k) for r in results]) for k in numbers},
    }


def training_throughput(rows: list[dict[str, Any]], setup: Setup) -> tuple[float | None, float | None]:
    """(agent_steps_per_s, trials_per_s) over the chunks recorded in metrics.jsonl, without
    those whose time includes compiling (unless no other chunk ran)."""
    timed = [r for r in rows if not r.get("includes_compile")] or rows
    seconds = sum(r.get("chunk_time_s", 0.0) for r in timed)
    if not timed or seconds <= 0:
        return None, None
    kept = {id(r) for r in timed}
    updates = sum(r["updates"] - prev["updates"] for prev, r in zip([{"updates": 0}, *rows], rows) if id(r) in kept)
    episodes = updates * setup.train.num_envs * setup.train.num_seeds
    steps = episodes * setup.env.num_steps(setup.env_params)
    return steps / seconds, episodes * setup.env_params.trials_per_episode / seconds


def build_summary(
    setup: Setup,
    analysis: dict[str, Any],
    state: Any,
    rows: list[dict[str, Any]],
    wall: float,
    frozen: dict,
    neural: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """summary.json's content (schema in DESIGN.md)."""
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
        **({"neural": _numbers_only(neural)} if neural else {}),
        **({"paper": setup.spec.paper} if setup.spec.paper else {}),
    }


def _numbers_only(neural: dict[str, Any]) -> dict[str, Any]:
    """summary.json's copy of the neural analysis: per-seed numbers (no arrays or lists) and the aggregate."""
    keys = set(neural["aggregate"])
    return {"seeds": [{k: v for k, v in s.items() if k in keys or k == "seed"} for s in neural["seeds"]],
            "aggregate": neural["aggregate"]}  # fmt: skip


def summary_line(run_dir: Path) -> None:
    """Print the run's headline result and where its files are."""
    summary = json.loads((run_dir / "summary.json").read_text())
    agg = summary["aggregate"]["reward_per_trial"]
    rate = summary.get("trials_per_s")
    rate_text = f" ({rate:.3g} trials/s training, compilation excluded)" if rate else ""
    n = len(summary["seeds"])
    spread = f" ± {agg['sem']:.3f} (SEM)" if agg.get("sem") is not None else ""
    print(
        f"{summary['experiment']}: {n} seed{'s' if n != 1 else ''}, reward per trial "
        f"{agg['mean']:.3f}{spread}{rate_text}, total {summary['wall_time_s']:.1f} s"
    )
    print(f"results in {run_dir}/ (summary.json, analysis.json, eval.npz, figures/)")
