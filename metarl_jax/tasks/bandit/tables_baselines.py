"""Duan et al. (2016) Table 1 for the classical bandit agents, measured here.

``duan2016_baselines`` evaluates every baseline of ``metarl_jax.tasks.bandit.baselines.policies`` on
independent Bernoulli bandits with n ∈ {10, 100, 500} pulls and k ∈ {5, 10, 50} arms
(p ~ U[0, 1]). In each cell every agent plays the same ``num_problems`` problems
(paired; keys fold_in(fold_in(fold_in(key(seed), 1), n), k), then one per problem),
and ε, c and the Gittins γ are tuned first on ``tune_problems`` other problems
(branch 0 instead of 1). Rows: {"n", "k", "agent", "total_reward" (mean per
episode), "ci95" (half-width of its 95% confidence interval), "hyperparams"}.

``duan2016_markdown`` prints them beside the paper's values (``DUAN2016_TABLE1``).
"""

from __future__ import annotations

import sys
import time
from typing import Any, Callable

import jax
import numpy as np
import scipy.stats

from metarl_jax.tasks.bandit.baselines.policies import (
    AGENTS,
    HYPERPARAMETER_GRIDS,
    batched_totals,
    episode_totals,
    gittins_table,
    make_agent,
    problem_keys,
    tune,
)
from metarl_jax.tasks.bandit.env import make_bandit

DUAN2016_NS = (10, 100, 500)
DUAN2016_KS = (5, 10, 50)
DUAN2016_CITATION = (
    "Duan, Schulman, Chen, Bartlett, Sutskever & Abbeel (2016) RL^2: Fast reinforcement learning "
    "via slow reinforcement learning, arXiv:1611.02779, Table 1 (total reward per episode)"
)
_PAPER_COLUMNS = ("random", "gittins", "ts", "ots", "ucb1", "egreedy", "greedy", "rl2")
_PAPER_ROWS = {  # (n, k): values in the order of _PAPER_COLUMNS, as printed in the paper
    (10, 5): (5.0, 6.6, 5.7, 6.5, 6.7, 6.6, 6.6, 6.7),
    (10, 10): (5.0, 6.6, 5.5, 6.2, 6.7, 6.6, 6.6, 6.7),
    (10, 50): (5.1, 6.5, 5.2, 5.5, 6.6, 6.5, 6.5, 6.8),
    (100, 5): (49.9, 78.3, 74.7, 77.9, 78.0, 75.4, 74.8, 78.7),
    (100, 10): (49.9, 82.8, 76.7, 81.4, 82.4, 77.4, 77.1, 83.5),
    (100, 50): (49.8, 85.2, 64.5, 67.7, 84.3, 78.3, 78.0, 84.9),
    (500, 5): (249.8, 405.8, 402.0, 406.7, 405.8, 388.2, 380.6, 401.6),
    (500, 10): (249.0, 437.8, 429.5, 438.9, 437.1, 408.0, 395.0, 432.5),
    (500, 50): (249.6, 463.7, 427.2, 437.6, 457.6, 413.6, 402.8, 438.9),
}
# {(n, k): {agent: total reward}}; "rl2" is the paper's meta-RL agent.
DUAN2016_TABLE1: dict[tuple[int, int], dict[str, float]] = {
    cell: dict(zip(_PAPER_COLUMNS, values)) for cell, values in _PAPER_ROWS.items()
}
PAPER_NAME = {"metarl": "rl2"}  # our agent -> the paper's column it is compared with
TOLERANCE = 0.03  # the bar: within 3% of the paper


def duan2016_baselines(
    num_problems: int = 10_000,
    tune_problems: int = 4_000,
    seed: int = 0,
    ns: tuple[int, ...] = DUAN2016_NS,
    ks: tuple[int, ...] = DUAN2016_KS,
    agents: tuple[str, ...] = AGENTS,
    batch_size: int = 2048,
    log: Callable[[str], Any] | None = None,
) -> list[dict[str, Any]]:
    """Measure Duan et al. (2016) Table 1 for ``agents``; see the module docstring.
    ``log`` (default: print to stderr) receives one line per agent and cell."""
    log = log or (lambda line: print(line, file=sys.stderr, flush=True))
    root = jax.random.key(seed)
    tune_root, eval_root = jax.random.fold_in(root, 0), jax.random.fold_in(root, 1)
    if "gittins" in agents:  # one table per γ, sliced for every n
        for gamma in HYPERPARAMETER_GRIDS["gittins"][1]:
            gittins_table(gamma, max(ns) - 1)
    rows = []
    for n in ns:
        for k in ks:
            env, params = make_bandit(num_arms=k, trials_per_episode=n)
            cell = lambda branch: jax.random.fold_in(jax.random.fold_in(branch, n), k)
            tune_keys = problem_keys(cell(tune_root), tune_problems)
            eval_keys = problem_keys(cell(eval_root), num_problems)
            for agent in agents:
                t0 = time.perf_counter()
                hyperparams: dict[str, float] = {}
                value = None
                if agent in HYPERPARAMETER_GRIDS:
                    field, _ = HYPERPARAMETER_GRIDS[agent]
                    value, _ = tune(agent, env, params, tune_keys)
                    hyperparams = {field: value}
                policy = make_agent(agent, k, n, value)
                rewards, _ = batched_totals(jax.jit(episode_totals(env, params, policy)), eval_keys, batch_size)
                mean, ci = mean_ci95(rewards)
                rows.append(
                    {"n": n, "k": k, "agent": agent, "total_reward": mean, "ci95": ci, "hyperparams": hyperparams}
                )
                log(f"n={n} k={k} {agent}: {mean:.2f} ± {ci:.2f} {hyperparams} ({time.perf_counter() - t0:.1f} s)")
    return rows


def duan2016_markdown(rows: list[dict[str, Any]], tolerance: float = TOLERANCE) -> str:
    """Markdown table: one line per (n, k), a column per agent with "ours ± ci95 (paper)";
    cells off the paper by more than ``tolerance`` (relative) are marked with ✗."""
    agents = [a for a in (*AGENTS, "metarl") if any(r["agent"] == a for r in rows)]
    by_cell = {(r["n"], r["k"], r["agent"]): r for r in rows}
    cells = sorted({(r["n"], r["k"]) for r in rows})
    lines = [
        "| n, k | " + " | ".join(agents) + " |",
        "|---|" + "---|" * len(agents),
    ]
    for n, k in cells:
        out = []
        for a in agents:
            r = by_cell.get((n, k, a))
            if r is None:
                out.append("")
                continue
            paper = DUAN2016_TABLE1.get((n, k), {}).get(PAPER_NAME.get(a, a))
            text = f"{r['total_reward']:.2f} ± {r['ci95']:.2f}"
            if paper is not None:
                rel = r["total_reward"] / paper - 1.0
                mark = " ✗" if abs(rel) > tolerance else ""
                text += f" ({paper:g}, {rel:+.1%}{mark})"
            out.append(text)
        lines.append(f"| {n}, {k} | " + " | ".join(out) + " |")
    lines.append("")
    lines.append(
        f"metarl is our LSTM A2C agent, compared with the paper's RL² (blank where not trained). "
        f"Ours: mean total reward ± 95% CI; in brackets the paper's value and our relative difference. "
        f"Paper: {DUAN2016_CITATION}."
    )
    return "\n".join(lines)


def print_duan2016(rows: list[dict[str, Any]]) -> None:
    """Print ``duan2016_markdown(rows)``."""
    print(duan2016_markdown(rows))
