"""The bandit baselines an experiment compares the meta-RL agent with, hyperparameters
tuned on problems separate from the evaluation problems (never to match a paper)."""

from __future__ import annotations

from typing import Any

import jax

from metarl_jax.baselines.bandit import AGENTS, HYPERPARAMETER_GRIDS, make_agent, problem_keys, tune
from metarl_jax.baselines.policy import Policy

TUNING_SEED = 2**31 - 1  # tuning problems come from their own key, far from any run seed
TUNING_PROBLEMS = 4000
FINITE_HORIZON_MAX = 150  # baselines.gittins.finite_horizon_gittins_indices refuses longer horizons


def tuned_baselines(env: Any, params: Any, tuning_problems: int = TUNING_PROBLEMS) -> tuple[dict[str, Policy], dict]:
    """Every baseline of ``AGENTS`` plus finite-horizon Gittins (horizons <= 150), ε / c / γ tuned by mean total
    reward on ``tuning_problems`` problems. -> ({name: Policy}, {name: {hyperparameter: value}})."""
    k, n = params.num_arms, env.num_steps(params)
    keys = problem_keys(jax.random.key(TUNING_SEED), tuning_problems)
    policies: dict[str, Policy] = {}
    chosen: dict[str, dict[str, float]] = {}
    for name in AGENTS:
        value = None
        if name in HYPERPARAMETER_GRIDS:
            value, _ = tune(name, env, params, keys)
            chosen[name] = {HYPERPARAMETER_GRIDS[name][0]: value}
        policies[name] = make_agent(name, k, n, value)
    if n <= FINITE_HORIZON_MAX:  # its table grows like n²; larger horizons are refused
        policies["gittins_finite_horizon"] = make_agent("gittins_finite_horizon", k, n)
    return policies, chosen
