"""Frozen-parameter rollouts of any agent -> step-level arrays (saved as eval.npz).

Evaluation episode e of a seed uses ``fold_in(fold_in(seed_key, EVAL_BRANCH), e)``;
inside an episode the key splits into (reset, env steps, actions) exactly as in
training, so every agent evaluated with the same seed meets the same problems
and the same environment noise (paired comparisons).
"""

from __future__ import annotations

import functools
from typing import Any, Callable

import jax
import jax.numpy as jnp
import numpy as np

from metarl_jax.baselines.policy import Policy
from metarl_jax.training.a2c import EVAL_BRANCH, Trajectory


def eval_episode_keys(seed_key: jax.Array, num_episodes: int) -> jax.Array:
    """(num_episodes,) keys: fold_in(fold_in(seed_key, EVAL_BRANCH), episode)."""
    branch = jax.random.fold_in(seed_key, EVAL_BRANCH)
    return jax.vmap(lambda e: jax.random.fold_in(branch, e))(jnp.arange(num_episodes, dtype=jnp.int32))


def _to_arrays(traj: Trajectory) -> dict[str, jax.Array]:
    """Time-major trajectory (T, E, ...) -> {"action", "reward", info...} as (E, T, ...)."""
    out = {"action": traj.actions, "reward": traj.rewards, **traj.info}
    return {k: jnp.swapaxes(v, 0, 1) for k, v in out.items()}


def evaluate_network(
    rollout: Callable[..., Trajectory],
    params: Any,
    seed_keys: jax.Array,
    num_episodes: int,
    greedy: bool = False,
) -> dict[str, np.ndarray]:
    """Roll out ``num_episodes`` per seed with frozen params (leading seed axis S).
    Returns step-level arrays (S, E, T). Compiled once per (rollout, num_episodes, greedy)."""
    return jax.tree.map(np.asarray, _network_evaluator(rollout, num_episodes, greedy)(params, seed_keys))


@functools.lru_cache(maxsize=32)
def _network_evaluator(rollout: Callable[..., Trajectory], num_episodes: int, greedy: bool):
    @jax.jit
    def run(params, seed_keys):
        def one_seed(p, k):
            return _to_arrays(rollout(p, eval_episode_keys(k, num_episodes), greedy))

        return jax.vmap(one_seed)(params, seed_keys)

    return run


def policy_rollout(env: Any, env_params: Any, policy: Policy) -> Callable[[jax.Array], Trajectory]:
    """Build ``rollout(episode_keys (E,)) -> Trajectory`` for a non-neural policy."""
    num_steps = env.num_steps(env_params)

    def episode(key: jax.Array):
        k_reset, k_steps, k_act = jax.random.split(key, 3)
        obs, env_state = env.reset(k_reset, env_params)
        agent_state = policy.init(k_reset)

        def body(carry, keys):
            env_state, agent_state, obs = carry
            k_env, k_a = keys
            action = policy.act(k_a, agent_state, obs)
            obs, env_state, reward, terminated, _, info = env.step(k_env, env_state, action, env_params)
            agent_state = policy.observe(agent_state, action, reward, info)
            return (env_state, agent_state, obs), (action, reward, terminated, info)

        keys = (jax.random.split(k_steps, num_steps), jax.random.split(k_act, num_steps))
        _, (actions, rewards, terminated, info) = jax.lax.scan(body, (env_state, agent_state, obs), keys)
        return actions, rewards, terminated, info

    def rollout(episode_keys: jax.Array) -> Trajectory:
        actions, rewards, terminated, info = jax.vmap(episode, out_axes=1)(episode_keys)
        return Trajectory(None, None, actions, rewards, terminated, info)

    return rollout


def evaluate_policy(
    env: Any, env_params: Any, policy: Policy, seed_keys: jax.Array, num_episodes: int
) -> dict[str, np.ndarray]:
    """Evaluate a non-neural policy on the same episodes as the network. -> (S, E, T) arrays."""
    rollout = policy_rollout(env, env_params, policy)

    @jax.jit
    def run(seed_keys):
        return jax.vmap(lambda k: _to_arrays(rollout(eval_episode_keys(k, num_episodes))))(seed_keys)

    return jax.tree.map(np.asarray, run(seed_keys))
