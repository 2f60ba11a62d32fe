"""The bandit baselines an experiment compares the meta-RL agent with, hyperparameters
tuned on problems separate from the evaluation problems (never to match a paper)."""

from __future__ import annotations

from typing import Any

import jax

from metarl_jax.agents.policy import Policy
from metarl_jax.tasks.bandit.baselines.tuning import AGENTS, HYPERPARAMETER_GRIDS, make_agent, problem_keys, tune

TUNING_SEED = 2**31 - 1  # tuning problems come from their own key, far from any run seed
TUNING_PROBLEMS = 4000
FINITE_HORIZON_MAX = 150  # baselines.gittins.finite_horizon_gittins_indices refuses longer horizons


# --smoke: three agents, a few tuning problems and short grids (each agent's evaluation compiles
# once, and the γ = 0.995/0.998 Gittins tables take a minute).
SMOKE_TUNING = {
    "agents": ("ts", "ucb1", "gittins"),
    "tuning_problems": 200,
    "grids": {"ucb1": (0.1, 0.2), "gittins": (0.9, 0.95)},
}


def tuned_baselines(
    env: Any,
    params: Any,
    tuning_problems: int = TUNING_PROBLEMS,
    grids: dict[str, tuple[float, ...]] | None = None,
    agents: tuple[str, ...] = (*AGENTS, "gittins_finite_horizon"),
) -> tuple[dict[str, Policy], dict]:
    """``agents`` (default: every baseline of ``AGENTS`` plus finite-horizon Gittins, which is
    dropped beyond 150 pulls), ε / c / γ tuned by mean total reward on ``tuning_problems``
    problems over ``HYPERPARAMETER_GRIDS`` (or ``grids[name]`` where given).
    -> ({name: Policy}, {name: {hyperparameter: value}})."""
    grids = grids or {}
    k, n = params.num_arms, env.num_steps(params)
    keys = problem_keys(jax.random.key(TUNING_SEED), tuning_problems)
    policies: dict[str, Policy] = {}
    chosen: dict[str, dict[str, float]] = {}
    for name in agents:
        if name == "gittins_finite_horizon":
            if n <= FINITE_HORIZON_MAX:  # its table grows like n²; larger horizons are refused
                policies[name] = make_agent(name, k, n)
            continue
        value = None
        if name in HYPERPARAMETER_GRIDS:
            value, _ = tune(name, env, params, keys, grids.get(name))
            chosen[name] = {HYPERPARAMETER_GRIDS[name][0]: value}
        policies[name] = make_agent(name, k, n, value)
    return policies, chosen
