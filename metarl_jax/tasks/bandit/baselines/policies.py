"""Classical agents for Bernoulli bandits (Duan et al. 2016, Sec. 3.1) as JAX ``Policy``s.

Every agent keeps the same state, ``Counts``: successes sᵢ and failures fᵢ per arm
and the number of pulls so far t. Under the Beta(1, 1) prior the posterior of arm i
is Beta(1 + sᵢ, 1 + fᵢ) with mean μᵢ = (1 + sᵢ) / (2 + sᵢ + fᵢ) — the same as "one
success and one failure" of pseudo-data, which is how Duan et al. initialise UCB1,
ε-greedy and greedy. Unless stated, ties are broken uniformly at random: among
the arms with the highest score, pick the one with the largest u_i, where
u = ``uniform(key, (k,))`` is the action key's draw.

- ``random``: uniform over arms (argmax of u).
- ``greedy``: highest posterior mean μᵢ.
- ``egreedy``: with u = ``uniform(key, (k + 1,))``: if u[k] < ε a uniform arm
  (argmax u[:k]), else greedy (ties by u[:k]). ε tuned.
- ``ucb1`` (Auer et al. 2002 with Duan et al.'s initialisation, which differs from
  the textbook's "untried arms first"): score μᵢ + c·√(2 ln t / Tᵢ) with
  μᵢ = (1 + sᵢ) / Tᵢ, Tᵢ = 2 + sᵢ + fᵢ and t the 1-based index of the current pull.
  ``pseudo_counts=False`` gives the textbook UCB1: untried arms first, then
  sᵢ / nᵢ + c·√(2 ln t / nᵢ). c tuned (Audibert et al. 2009).
- ``ts``: Thompson sampling; θᵢ ~ Beta(1 + sᵢ, 1 + fᵢ) (``beta_sample(key, ...)``, a
  branch-free sampler ~4x faster on CPU than ``jax.random.beta``), pick argmax θ.
- ``ots``: optimistic Thompson sampling as defined by May et al. (2012), whom Duan et
  al. cite for it (their short description leaves details open, e.g. a number of
  posterior samples; we keep May et al.'s definition): θᵢ = max(posterior sample, μᵢ), with
  (k_θ, k_u) = ``split(key)`` and ties broken by u = ``uniform(k_u, (k,))`` (all arms
  whose sample fell below a shared mean tie, e.g. at the first pull).
- ``gittins``: highest discounted Gittins index of Beta(1 + sᵢ, 1 + fᵢ) for the
  discount γ, computed once by calibration (``metarl_jax.tasks.bandit.baselines.gittins``) and
  looked up in a table; γ tuned, as Duan et al. do (the index is Bayes-optimal only
  for infinite discounted horizons).
- ``gittins_finite_horizon``: the finite-horizon (undiscounted) index with h = n − t
  pulls left, ν_h(sᵢ, fᵢ); no hyperparameter.

Priors are independent Beta(1, 1) per arm for every task, including dependent arms.
Hyperparameters (ε, c, Gittins γ) maximise the mean total reward over the grids
below (``HYPERPARAMETER_GRIDS``) on tuning problems drawn from keys separate from
the evaluation keys (``tune``).
"""

from __future__ import annotations

import functools
import os
from pathlib import Path
from typing import Any, Callable, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from metarl_jax.tasks.bandit.baselines.gittins import finite_horizon_gittins_indices, gittins_indices
from metarl_jax.agents.policy import Policy
from metarl_jax.core.cache import cache_dir

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
GAMMA_PROPOSALS = 4  # Marsaglia-Tsang proposals per gamma variate in beta_sample


class Counts(NamedTuple):
    """Per-arm pull outcomes; the state of every bandit baseline."""

    successes: jax.Array  # (k,) int32
    failures: jax.Array  # (k,) int32
    t: jax.Array  # () int32, pulls so far


def init_counts(num_arms: int) -> Callable[[jax.Array], Counts]:
    """``init(key) -> Counts`` with zero counts (the key is unused)."""

    def init(key: jax.Array) -> Counts:
        zeros = jnp.zeros((num_arms,), jnp.int32)
        return Counts(zeros, zeros, jnp.zeros((), jnp.int32))

    return init


def observe_counts(state: Counts, action: jax.Array, reward: jax.Array, info: dict[str, jax.Array]) -> Counts:
    """Add the pull's outcome: reward > 0 is a success, else a failure."""
    win = (reward > 0).astype(jnp.int32)
    return Counts(
        state.successes.at[action].add(win),
        state.failures.at[action].add(1 - win),
        state.t + 1,
    )


def posterior_mean(state: Counts) -> jax.Array:
    """Beta(1, 1)-posterior means (1 + s) / (2 + s + f), (k,) float32."""
    s = state.successes.astype(jnp.float32)
    return (1.0 + s) / (2.0 + s + state.failures.astype(jnp.float32))


def argmax_random_ties(scores: jax.Array, u: jax.Array) -> jax.Array:
    """Index of the highest score; among equal scores the one with the largest u. (k,) -> () int32."""
    best = scores == jnp.max(scores)
    return jnp.argmax(jnp.where(best, u, -1.0)).astype(jnp.int32)


def _policy(name: str, num_arms: int, act: Callable[[jax.Array, Counts, jax.Array], jax.Array]) -> Policy:
    return Policy(name, init=init_counts(num_arms), act=act, observe=observe_counts)


# --------------------------------------------------------------------------- agents


def random_policy(num_arms: int) -> Policy:
    """Uniform random arm: argmax of u = uniform(key, (k,))."""

    def act(key, state, obs):
        return jnp.argmax(jax.random.uniform(key, (num_arms,), jnp.float32)).astype(jnp.int32)

    return _policy("random", num_arms, act)


def epsilon_greedy(num_arms: int, epsilon: float | jax.Array, name: str = "egreedy") -> Policy:
    """ε-greedy on the posterior means; see the module docstring for the draws."""

    def act(key, state, obs):
        u = jax.random.uniform(key, (num_arms + 1,), jnp.float32)
        greedy_arm = argmax_random_ties(posterior_mean(state), u[:num_arms])
        return jnp.where(u[num_arms] < epsilon, jnp.argmax(u[:num_arms]), greedy_arm).astype(jnp.int32)

    return _policy(name, num_arms, act)


def greedy(num_arms: int) -> Policy:
    """Highest posterior mean, random tie-break: ε-greedy with ε = 0 (Duan et al.)."""
    return epsilon_greedy(num_arms, 0.0, name="greedy")


def ucb1(num_arms: int, c: float | jax.Array, pseudo_counts: bool = True) -> Policy:
    """UCB1 with exploration weight c; Duan et al.'s pseudo-counts unless ``pseudo_counts=False``."""

    def act(key, state, obs):
        u = jax.random.uniform(key, (num_arms,), jnp.float32)
        s = state.successes.astype(jnp.float32)
        n = (state.successes + state.failures).astype(jnp.float32)
        log_t = jnp.log((state.t + 1).astype(jnp.float32))
        if pseudo_counts:
            scores = (1.0 + s) / (2.0 + n) + c * jnp.sqrt(2.0 * log_t / (2.0 + n))
        else:
            safe_n = jnp.maximum(n, 1.0)
            scores = jnp.where(n > 0, s / safe_n + c * jnp.sqrt(2.0 * log_t / safe_n), jnp.inf)
        return argmax_random_ties(scores, u)

    return _policy("ucb1", num_arms, act)


def thompson(num_arms: int) -> Policy:
    """Thompson sampling with a Beta(1, 1) prior: argmax of beta_sample(key, 1 + s, 1 + f)."""

    def act(key, state, obs):
        a = 1.0 + state.successes.astype(jnp.float32)
        b = 1.0 + state.failures.astype(jnp.float32)
        theta = beta_sample(key, a, b)
        # first index of the maximum, as jnp.argmax(theta), but ~3x faster on CPU: XLA fuses
        # the whole sampler into argmax's variadic reduction otherwise
        return jnp.argmax(theta == jnp.max(theta)).astype(jnp.int32)

    return _policy("ts", num_arms, act)


def optimistic_thompson(num_arms: int) -> Policy:
    """Optimistic Bayesian sampling (May et al. 2012): argmax of max(sample, posterior mean)."""

    def act(key, state, obs):
        k_theta, k_u = jax.random.split(key)
        a = 1.0 + state.successes.astype(jnp.float32)
        b = 1.0 + state.failures.astype(jnp.float32)
        theta = jnp.maximum(beta_sample(k_theta, a, b), posterior_mean(state))
        return argmax_random_ties(theta, jax.random.uniform(k_u, (num_arms,), jnp.float32))

    return _policy("ots", num_arms, act)


def gittins_from_table(num_arms: int, table: jax.Array, name: str = "gittins") -> Policy:
    """Highest index table[sᵢ, fᵢ] (a (L, L) float32 array, L > pulls per episode − 1), random
    tie-break. ``table`` may be traced, so one compiled rollout serves a vmapped grid of γ."""

    def act(key, state, obs):
        u = jax.random.uniform(key, (num_arms,), jnp.float32)
        return argmax_random_ties(table[state.successes, state.failures], u)

    return _policy(name, num_arms, act)


def gittins(num_arms: int, gamma: float, num_pulls: int) -> Policy:
    """Discounted Gittins-index agent for episodes of ``num_pulls`` pulls (table computed once per γ)."""
    return gittins_from_table(num_arms, jnp.asarray(gittins_table(gamma, num_pulls - 1)))


def gittins_finite_horizon(num_arms: int, num_pulls: int) -> Policy:
    """Finite-horizon Gittins-index agent: highest ν_h(sᵢ, fᵢ) with h = num_pulls − t pulls left."""
    table = jnp.asarray(finite_horizon_gittins_table(num_pulls))

    def act(key, state, obs):
        u = jax.random.uniform(key, (num_arms,), jnp.float32)
        h = jnp.int32(num_pulls) - state.t
        return argmax_random_ties(table[h, state.successes, state.failures], u)

    return _policy("gittins_finite_horizon", num_arms, act)


_GITTINS_TABLES: dict[float, np.ndarray] = {}  # γ -> the largest table computed so far
GITTINS_CACHE_VERSION = 1  # bump when gittins_indices changes its numbers


def _gittins_cache_path(gamma: float) -> Path:
    return cache_dir() / f"gittins_v{GITTINS_CACHE_VERSION}_gamma{gamma!r}.npy"


def _load_cached_gittins(gamma: float, max_level: int) -> np.ndarray | None:
    """The disk table for γ if it covers ``max_level``; None if missing, too small or unreadable."""
    try:
        table = np.load(_gittins_cache_path(gamma))
    except (OSError, ValueError):
        return None
    ok = table.ndim == 2 and table.shape[0] == table.shape[1] > max_level and table.dtype == np.float32
    return table if ok else None


def _save_cached_gittins(gamma: float, table: np.ndarray) -> None:
    """Write atomically (temp file + rename); a read-only or full disk only costs a recompute."""
    path = _gittins_cache_path(gamma)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        with open(tmp, "wb") as f:
            np.save(f, table)
        os.replace(tmp, path)
    except OSError:
        pass


def gittins_table(gamma: float, max_level: int) -> np.ndarray:
    """Discounted Gittins indices as a (max_level+1, max_level+1) float32 table, table[s, f]
    (states beyond s + f = max_level are never reached and hold 0). Computed once per γ
    (large γ take a minute: γ = 0.998 needs a 2400-level lattice), kept in memory and on
    disk (``cache_dir()``), and sliced from the largest table computed so far (indices do
    not depend on the table's size beyond the truncation depth, whose effect is < 1e-6)."""
    gamma, max_level = float(gamma), int(max_level)
    cached = _GITTINS_TABLES.get(gamma)
    if cached is None or cached.shape[0] <= max_level:
        cached = _load_cached_gittins(gamma, max_level)
        if cached is None:
            table, _ = gittins_indices(gamma, max_level)
            cached = np.nan_to_num(table, nan=0.0).astype(np.float32)
            _save_cached_gittins(gamma, cached)
        _GITTINS_TABLES[gamma] = cached
    out = cached[: max_level + 1, : max_level + 1].copy()
    s, f = np.indices(out.shape)
    out[s + f > max_level] = 0.0
    return out


@functools.lru_cache(maxsize=8)
def finite_horizon_gittins_table(num_pulls: int) -> np.ndarray:
    """Finite-horizon indices as a (n+1, n+1, n+1) float32 table [h, s, f]; unreachable entries 0."""
    table, _ = finite_horizon_gittins_indices(int(num_pulls))
    return np.nan_to_num(table, nan=0.0).astype(np.float32)


# --------------------------------------------------------------------------- sampling


def gamma_sample(key: jax.Array, a: jax.Array, proposals: int = GAMMA_PROPOSALS) -> jax.Array:
    """Gamma(a, 1) variates for shapes a >= 1 by Marsaglia & Tsang (2000) with a fixed number
    of proposals (fast and branch-free under vmap, unlike a rejection loop).

    d = a − 1/3, c = 1/√(9d); with (k_z, k_u) = split(key), z = normal(k_z, (P, *a.shape)),
    u = uniform(k_u, (P, *a.shape)), v = (1 + c z)³, proposal p is accepted when v > 0 and
    log u < z²/2 + d − d v + d log v; the first accepted d·v is returned. If none of the P
    proposals is accepted (probability < 6e-6 for P = 4, a >= 1) d is returned."""
    a = jnp.asarray(a, jnp.float32)
    d = a - 1.0 / 3.0
    c = 1.0 / jnp.sqrt(9.0 * d)
    k_z, k_u = jax.random.split(key)
    z = jax.random.normal(k_z, (proposals, *a.shape), jnp.float32)
    u = jax.random.uniform(k_u, (proposals, *a.shape), jnp.float32)
    v = (1.0 + c * z) ** 3
    log_v = jnp.log(jnp.where(v > 0, v, 1.0))
    accept = (v > 0) & (jnp.log(u) < 0.5 * z * z + d - d * v + d * log_v)
    out = d
    for p in reversed(range(proposals)):  # the first accepted proposal wins
        out = jnp.where(accept[p], d * v[p], out)
    return out.astype(jnp.float32)


def beta_sample(key: jax.Array, a: jax.Array, b: jax.Array) -> jax.Array:
    """Beta(a, b) variates (a, b >= 1) as X / (X + Y), X ~ Gamma(a), Y ~ Gamma(b), with
    (k_x, k_y) = split(key) and ``gamma_sample`` for each."""
    k_x, k_y = jax.random.split(key)
    x = gamma_sample(k_x, a)
    y = gamma_sample(k_y, b)
    return (x / (x + y)).astype(jnp.float32)


# --------------------------------------------------------------------------- rollouts and tuning


def episode_totals(env: Any, env_params: Any, policy: Policy) -> Callable[[jax.Array], tuple[jax.Array, jax.Array]]:
    """``run(episode_keys (E,)) -> (total reward (E,), total regret (E,))`` float32.

    Keys are used as in ``metarl_jax.evaluation.policy_rollout`` (reset, env steps,
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
    run = jax.jit(lambda keys: jax.vmap(lambda leaf: episode_totals(env, env_params, build(leaf))(keys))(leaves))
    return batched_totals(run, keys, batch_size)[0]


def tune(
    name: str, env: Any, env_params: Any, keys: jax.Array, grid: tuple[float, ...] | None = None
) -> tuple[float, dict[float, float]]:
    """Best hyperparameter of ``name`` by mean total reward on the problems of ``keys``
    (which must differ from the evaluation keys). -> (best value, {value: mean total reward})."""
    grid = HYPERPARAMETER_GRIDS[name][1] if grid is None else tuple(grid)
    means = grid_totals(name, env, env_params, grid, keys).mean(axis=1)
    return float(grid[int(np.argmax(means))]), {float(g): float(m) for g, m in zip(grid, means)}
