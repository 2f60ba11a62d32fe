"""Bandit baselines by name, their hyperparameter grids and their tuning on shared problems.

Totals-only rollouts over many problems (``make_totals_rollout``, ``batched_totals``), a vmapped
grid of one agent on the same problems (``grid_totals``), the best value by mean total reward (``tune``)."""

from __future__ import annotations

from typing import Any, Callable

import jax
import jax.numpy as jnp
import numpy as np

from metarl_jax.agents.policy import Policy
from metarl_jax.tasks.bandit.baselines.gittins_tables import gittins_table
from metarl_jax.tasks.bandit.baselines.policies import (
    epsilon_greedy,
    gittins,
    gittins_finite_horizon,
    gittins_from_table,
    greedy,
    optimistic_thompson,
    random_policy,
    thompson,
    ucb1,
)

AGENTS = ("random", "greedy", "egreedy", "ucb1", "ts", "ots", "gittins")
# Grids the tuned hyperparameters are chosen from (by mean total reward on tuning problems).
EPSILON_GRID = (0.0, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.3)
UCB_C_GRID = (0.0, 0.005, 0.01, 0.02, 0.05, 0.1, 0.15, 0.2, 0.3, 0.5, 0.75, 1.0)
# γ = 0 is greedy. 0.998 ≈ 1 − 1/500 is the largest: 0.999 (checked once with coarser tables)
# earned less than 0.998 on the n = 500 tuning problems for k = 5, 10 and 50, and its table
# costs ~4x as much (depth grows like log(tol) / log(γ)).
GITTINS_GAMMA_GRID = (0.0, 0.3, 0.5, 0.7, 0.8, 0.9, 0.95, 0.97, 0.98, 0.99, 0.995, 0.998)
HYPERPARAMETER_GRIDS: dict[str, tuple[str, tuple[float, ...]]] = {
    "egreedy": ("epsilon", EPSILON_GRID),
    "ucb1": ("c", UCB_C_GRID),
    "gittins": ("gamma", GITTINS_GAMMA_GRID),
}


def make_totals_rollout(
    env: Any, env_params: Any, policy: Policy
) -> Callable[[jax.Array], tuple[jax.Array, jax.Array]]:
    """``run(episode_keys (E,)) -> (total reward (E,), total regret (E,))`` float32.

    Keys are used as in ``metarl_jax.agents.rollout.policy_rollout`` (reset, env steps,
    actions = split(key, 3); one key per step from each), so an agent meets the same
    problems and reward draws here as there, but only two numbers per episode are
    kept: memory does not grow with the number of arms or pulls."""
    num_steps = env.num_steps(env_params)

    def episode(key: jax.Array) -> tuple[jax.Array, jax.Array]:
        k_reset, k_steps, k_act = jax.random.split(key, 3)
        obs, env_state = env.reset(k_reset, env_params)
        agent_state = policy.init(k_reset)

        def body(carry, keys):
            env_state, agent_state, obs, total_reward, total_regret = carry
            k_env, k_a = keys
            action = policy.act(k_a, agent_state, obs)
            obs, env_state, reward, _, _, info = env.step(k_env, env_state, action, env_params)
            agent_state = policy.observe(agent_state, action, reward, info)
            return (env_state, agent_state, obs, total_reward + reward, total_regret + info["regret"]), None

        keys = (jax.random.split(k_steps, num_steps), jax.random.split(k_act, num_steps))
        zero = jnp.zeros((), jnp.float32)
        carry, _ = jax.lax.scan(body, (env_state, agent_state, obs, zero, zero), keys)
        return carry[3], carry[4]

    return jax.vmap(episode)


def problem_keys(key: jax.Array, num_problems: int) -> jax.Array:
    """(num_problems,) episode keys fold_in(key, i)."""
    return jax.vmap(lambda i: jax.random.fold_in(key, i))(jnp.arange(num_problems, dtype=jnp.int32))


def batched_totals(
    run: Callable[[jax.Array], tuple[jax.Array, jax.Array]], keys: jax.Array, batch_size: int = 2048
) -> tuple[np.ndarray, np.ndarray]:
    """Apply a jitted ``run`` to ``keys`` in batches (the last one padded), -> NumPy (..., E) arrays."""
    num = keys.shape[0]
    rewards, regrets = [], []
    for start in range(0, num, batch_size):
        chunk = keys[start : start + batch_size]
        pad = batch_size - chunk.shape[0]
        if pad:
            chunk = jnp.concatenate([chunk, jnp.repeat(chunk[-1:], pad, axis=0)])
        r, g = run(chunk)
        keep = batch_size - pad
        rewards.append(np.asarray(r)[..., :keep])
        regrets.append(np.asarray(g)[..., :keep])
    return np.concatenate(rewards, axis=-1), np.concatenate(regrets, axis=-1)


def make_agent(name: str, num_arms: int, num_pulls: int, hyperparam: float | None = None) -> Policy:
    """A baseline by its table name (``AGENTS``); ``hyperparam`` is ε, c or γ where tuned."""
    if name in HYPERPARAMETER_GRIDS and hyperparam is None:
        raise ValueError(f"{name} needs its {HYPERPARAMETER_GRIDS[name][0]}")
    if name == "random":
        return random_policy(num_arms)
    if name == "greedy":
        return greedy(num_arms)
    if name == "egreedy":
        return epsilon_greedy(num_arms, hyperparam)
    if name == "ucb1":
        return ucb1(num_arms, hyperparam)
    if name == "ts":
        return thompson(num_arms)
    if name == "ots":
        return optimistic_thompson(num_arms)
    if name == "gittins":
        return gittins(num_arms, hyperparam, num_pulls)
    if name == "gittins_finite_horizon":
        return gittins_finite_horizon(num_arms, num_pulls)
    raise ValueError(f"unknown bandit agent {name!r}; choose one of {', '.join(AGENTS)}, gittins_finite_horizon")


def grid_totals(
    name: str, env: Any, env_params: Any, grid: tuple[float, ...], keys: jax.Array, batch_size: int = 1024
) -> np.ndarray:
    """Total reward (G, E) of agent ``name`` for every value of its hyperparameter grid, all
    values on the same problems (one compiled rollout, vmapped over the grid)."""
    k, n = env_params.num_arms, env.num_steps(env_params)
    if name == "gittins":
        leaves = jnp.asarray(np.stack([gittins_table(g, n - 1) for g in grid]))
        build = lambda table: gittins_from_table(k, table)
    elif name == "egreedy":
        leaves, build = jnp.asarray(grid, jnp.float32), lambda eps: epsilon_greedy(k, eps)
    elif name == "ucb1":
        leaves, build = jnp.asarray(grid, jnp.float32), lambda c: ucb1(k, c)
    else:
        raise ValueError(f"{name!r} has no hyperparameter grid")
    run = jax.jit(lambda keys: jax.vmap(lambda leaf: make_totals_rollout(env, env_params, build(leaf))(keys))(leaves))
    return batched_totals(run, keys, batch_size)[0]


def tune(
    name: str, env: Any, env_params: Any, keys: jax.Array, grid: tuple[float, ...] | None = None
) -> tuple[float, dict[float, float]]:
    """Best hyperparameter of ``name`` by mean total reward on the problems of ``keys``
    (which must differ from the evaluation keys). -> (best value, {value: mean total reward})."""
    grid = HYPERPARAMETER_GRIDS[name][1] if grid is None else tuple(grid)
    means = grid_totals(name, env, env_params, grid, keys).mean(axis=1)
    return float(grid[int(np.argmax(means))]), {float(g): float(m) for g, m in zip(grid, means)}
