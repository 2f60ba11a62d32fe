"""Frozen-parameter rollouts of any agent -> step-level arrays (saved as eval.npz).

Evaluation episode e of a seed uses ``core.keys.eval_episode_keys`` and, inside an
episode, ``core.keys.split_episode_key`` exactly as in training, so every agent evaluated
with the same seed meets the same problems and the same environment noise (paired
comparisons).
"""

from __future__ import annotations

import functools
from typing import Any, Callable

import jax
import jax.numpy as jnp
import numpy as np

from metarl_jax.agents.policy import Policy
from metarl_jax.agents.rollout import Trajectory, policy_rollout, step_discounts, td_errors
from metarl_jax.core.keys import eval_episode_keys

NEURAL_KEYS = ("hidden", "cell", "value", "policy", "rpe")  # what a recorded evaluation adds


def _to_arrays(traj: Trajectory, gamma: jax.Array | None = None) -> dict[str, jax.Array]:
    """Time-major trajectory (T, E, ...) -> {"action", "reward", info...} as (E, T, ...); a
    recorded one (``traj.lstm``) adds the LSTM ``hidden`` h and ``cell`` c (E, T, H), ``value``
    V, action probabilities ``policy`` (E, T, A) and the TD error ``rpe`` δ with the
    loss's discounts (γ at trial ends, 1 inside a trial, 0 after the last step)."""
    out = {"action": traj.actions, "reward": traj.rewards, **traj.info}
    if traj.lstm is not None:
        discounts = step_discounts(traj.info["trial_end"], traj.terminated, gamma)
        out |= {
            "cell": traj.lstm[0],
            "hidden": traj.lstm[1],
            "value": traj.values,
            "policy": jax.nn.softmax(traj.logits, axis=-1),
            "rpe": td_errors(traj.rewards, traj.values, discounts),
        }
    return {k: jnp.swapaxes(v, 0, 1) for k, v in out.items()}


def evaluate_network(
    rollout: Callable[..., Trajectory],
    params: Any,
    seed_keys: jax.Array,
    num_episodes: int,
    greedy: bool = False,
    gamma: float | None = None,
) -> dict[str, np.ndarray]:
    """Roll out ``num_episodes`` per seed with frozen params (leading seed axis S).
    Returns step-level arrays (S, E, T); a recording rollout (``make_rollout(record=True)``)
    adds :data:`NEURAL_KEYS`, its TD errors discounted by ``gamma``. Compiled once per
    (rollout, num_episodes, greedy, gamma)."""
    return jax.tree.map(np.asarray, _network_evaluator(rollout, num_episodes, greedy, gamma)(params, seed_keys))


@functools.lru_cache(maxsize=32)
def _network_evaluator(rollout: Callable[..., Trajectory], num_episodes: int, greedy: bool, gamma: float | None):
    @jax.jit
    def run(params, seed_keys):
        def one_seed(p, k):
            traj = rollout(p, eval_episode_keys(k, num_episodes), greedy)
            return _to_arrays(traj, None if gamma is None else jnp.float32(gamma))

        return jax.vmap(one_seed)(params, seed_keys)

    return run


def evaluate_policy(
    env: Any, env_params: Any, policy: Policy, seed_keys: jax.Array, num_episodes: int
) -> dict[str, np.ndarray]:
    """Evaluate a non-neural policy on the same episodes as the network. -> (S, E, T) arrays."""
    rollout = policy_rollout(env, env_params, policy)

    @jax.jit
    def run(seed_keys):
        return jax.vmap(lambda k: _to_arrays(rollout(eval_episode_keys(k, num_episodes))))(seed_keys)

    return jax.tree.map(np.asarray, run(seed_keys))
