"""Rescorla–Wagner learning with a softmax choice rule: its likelihood, maximum-likelihood fit
(scipy.optimize on a jitted JAX likelihood) and a JAX agent that plays it as a baseline.

The model (Rescorla & Wagner 1972; Sutton & Barto 2018, Sec. 2.4): one value Qₖ per option,
all starting at ``q0``; on each trial P(choose k) = softmax(β·Q)ₖ; after the outcome r the
chosen option's value moves by α(r − Q_chosen), the others stay. Fits are per trial
averages over the trials a mask selects, while the values update on every trial (so a phase
of an episode can be fitted on its own with the values carried in from before it).
"""

from __future__ import annotations

import functools
from typing import Any

import chex
import jax
import jax.numpy as jnp
import numpy as np
import scipy.optimize

from metarl_jax.agents.policy import Policy

ALPHA_BOUNDS = (1e-3, 1.0 - 1e-3)
BETA_BOUNDS = (1e-3, 50.0)
STARTS = tuple((a, b) for a in (0.1, 0.4, 0.8) for b in (2.0, 10.0))  # (alpha, beta) starting points


def _values_scan(alpha: jax.Array, choices: jax.Array, rewards: jax.Array, num_options: int, q0: float) -> jax.Array:
    """Q before each trial: (E, T) choices and rewards -> (E, T, K) float32."""

    def step(q, x):
        choice, reward = x
        onehot = jax.nn.one_hot(choice, num_options, dtype=jnp.float32)
        chosen = jnp.sum(q * onehot, -1, keepdims=True)
        return q + alpha * onehot * (reward[:, None] - chosen), q

    q_init = jnp.full((choices.shape[0], num_options), q0, jnp.float32)
    _, qs = jax.lax.scan(step, q_init, (choices.T, rewards.T))
    return jnp.swapaxes(qs, 0, 1)


@functools.partial(jax.jit, static_argnames=("num_options",))
def _mean_nll(params: jax.Array, choices, rewards, mask, num_options: int, q0: float) -> jax.Array:
    alpha, beta = params[0], params[1]
    qs = _values_scan(alpha, choices, rewards, num_options, q0)
    logp = jax.nn.log_softmax(beta * qs, -1)
    chosen = jnp.take_along_axis(logp, choices[..., None], -1)[..., 0]
    return -jnp.sum(chosen * mask) / jnp.maximum(jnp.sum(mask), 1.0)


_mean_nll_and_grad = jax.jit(jax.value_and_grad(_mean_nll), static_argnames=("num_options",))


def _as_arrays(choices: Any, rewards: Any, mask: Any) -> tuple[jax.Array, jax.Array, jax.Array]:
    """(E, T) or (T,) inputs -> (E, T) int32, float32, float32 arrays."""
    choices, rewards = np.atleast_2d(np.asarray(choices)), np.atleast_2d(np.asarray(rewards))
    mask = np.ones(choices.shape, bool) if mask is None else np.atleast_2d(np.asarray(mask, bool))
    chex.assert_equal_shape([choices, rewards, mask])
    return jnp.asarray(choices, jnp.int32), jnp.asarray(rewards, jnp.float32), jnp.asarray(mask, jnp.float32)


def rescorla_wagner_values(
    alpha: float, choices: Any, rewards: Any, num_options: int = 2, q0: float = 0.5
) -> np.ndarray:
    """The model's values before each trial: (E, T) choices, rewards -> (E, T, K) float32."""
    c, r, _ = _as_arrays(choices, rewards, None)
    return np.asarray(_values_scan(jnp.float32(alpha), c, r, num_options, q0))


def rescorla_wagner_nll(
    params: tuple[float, float], choices: Any, rewards: Any, mask: Any = None, num_options: int = 2, q0: float = 0.5
) -> float:
    """Negative log-likelihood of the masked trials' choices under (alpha, beta), summed."""
    c, r, m = _as_arrays(choices, rewards, mask)
    mean = _mean_nll(jnp.asarray(params, jnp.float32), c, r, m, num_options, q0)
    return float(mean) * float(m.sum())


def fit_rescorla_wagner(
    choices: Any, rewards: Any, mask: Any = None, num_options: int = 2, q0: float = 0.5
) -> dict[str, float]:
    """Maximum-likelihood (alpha, beta) from several starts (L-BFGS-B within ALPHA_BOUNDS,
    BETA_BOUNDS) -> {alpha, beta, nll (summed over the masked trials), num_trials}."""
    c, r, m = _as_arrays(choices, rewards, mask)
    if float(m.sum()) == 0:
        raise ValueError("fit_rescorla_wagner: the mask selects no trial")

    def objective(x: np.ndarray) -> tuple[float, np.ndarray]:
        value, grad = _mean_nll_and_grad(jnp.asarray(x, jnp.float32), c, r, m, num_options, q0)
        return float(value), np.asarray(grad, np.float64)

    bounds = (ALPHA_BOUNDS, BETA_BOUNDS)
    fits = [scipy.optimize.minimize(objective, np.array(s), jac=True, method="L-BFGS-B", bounds=bounds) for s in STARTS]
    best = min(fits, key=lambda res: res.fun)
    n = float(m.sum())
    return {"alpha": float(best.x[0]), "beta": float(best.x[1]), "nll": float(best.fun) * n, "num_trials": int(n)}


def rescorla_wagner_policy(
    alpha: float, beta: float, num_actions: int, q0: float = 0.5, name: str = "rescorla_wagner"
) -> Policy:
    """The model as a JAX agent (one decision per env step): state Q (K,) float32."""
    alpha, beta = jnp.float32(alpha), jnp.float32(beta)

    def init(key: jax.Array) -> jax.Array:
        return jnp.full((num_actions,), q0, jnp.float32)

    def act(key: jax.Array, q: jax.Array, obs: jax.Array) -> jax.Array:
        return jax.random.categorical(key, beta * q).astype(jnp.int32)

    def observe(q: jax.Array, action: jax.Array, reward: jax.Array, info: dict) -> jax.Array:
        return q.at[action].add(alpha * (reward - q[action]))

    return Policy(name, init=init, act=act, observe=observe)
