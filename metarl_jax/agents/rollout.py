"""How an agent plays whole episodes of an env: the LSTM actor-critic's rollout (training and
evaluation share it) and a non-neural policy's, both over ``split_episode_key``'s keys.
Trajectories are time-major: leaves (T, E, ...)."""

from __future__ import annotations

from typing import Any, Callable, NamedTuple

import jax
import jax.numpy as jnp

from metarl_jax.agents.lstm_actor_critic import LSTMActorCritic, agent_inputs
from metarl_jax.agents.policy import Policy
from metarl_jax.core.keys import split_episode_key


def checkpoint_step(f: Callable, encoder: str = "none") -> Callable:
    """Recompute a rollout step in the backward pass instead of stacking its residuals.

    Stacked residuals of every step outgrow the CPU caches and make BPTT memory-bound, so
    the LSTM agent keeps only the scan carry (``nothing_saveable``); the CNN agent keeps
    its matmul/conv outputs (``dots_saveable``), which are costly to recompute. Measured
    on the 2-core CPU in one process, trials/s nothing vs dots: two-step default +4 %,
    1024 envs +13 %, Harlow +15 %, bandit −3 %, pixel Harlow −8 % (benchmarks/README)."""
    policy = jax.checkpoint_policies.dots_saveable if encoder == "cnn" else jax.checkpoint_policies.nothing_saveable
    return jax.checkpoint(f, policy=policy)


class Trajectory(NamedTuple):
    """One batch of whole episodes, time-major: leaves (T, E, ...)."""

    logits: jax.Array
    values: jax.Array
    actions: jax.Array
    rewards: jax.Array
    terminated: jax.Array
    info: dict[str, jax.Array]
    lstm: Any = None  # (c, h), each (T, E, H), after each step: recorded rollouts only


def step_discounts(trial_end: jax.Array, terminated: jax.Array, gamma: jax.Array) -> jax.Array:
    """γ at a step that ends a trial, 1 inside a trial, 0 at the episode's last step."""
    d = jnp.where(trial_end, gamma, 1.0)
    return jnp.where(terminated, 0.0, d).astype(jnp.float32)


def td_errors(rewards: jax.Array, values: jax.Array, discounts: jax.Array) -> jax.Array:
    """δₜ = rₜ + discountₜ · Vₜ₊₁ − Vₜ, with V after the episode's last step = 0 (the critic's
    reward-prediction error). rewards, values, discounts (T, ...) -> (T, ...)."""
    v_next = jnp.concatenate([values[1:], jnp.zeros_like(values[:1])])
    return rewards + discounts * v_next - values


def sample_categorical(u: jax.Array, logits: jax.Array) -> jax.Array:
    """Inverse-CDF sample from softmax(logits) with one uniform u (...,) -> int32 (...)."""
    cdf = jnp.cumsum(jax.nn.softmax(logits), axis=-1)
    return jnp.sum(u[..., None] > cdf[..., :-1], axis=-1).astype(jnp.int32)


def make_rollout(
    env: Any, env_params: Any, network: LSTMActorCritic, time_input: bool, record: bool = False
) -> Callable[..., Trajectory]:
    """Build ``rollout(params, episode_keys (E,), greedy) -> Trajectory`` over whole episodes;
    with ``record``, the trajectory also holds the LSTM state after every step (same actions)."""
    num_steps = env.num_steps(env_params)
    spt = env.steps_per_trial(env_params)
    trials = env_params.trials_per_episode
    num_actions = env.num_actions
    step_env = jax.vmap(env.step, in_axes=(0, 0, 0, None))

    def rollout(params: Any, episode_keys: jax.Array, greedy: bool = False) -> Trajectory:
        num_envs = episode_keys.shape[0]
        k_reset, k_steps, k_act = jax.vmap(split_episode_key)(episode_keys)
        obs, env_state = jax.vmap(env.reset, in_axes=(0, None))(k_reset, env_params)
        step_keys = jax.vmap(lambda k: jax.random.split(k, num_steps))(k_steps).swapaxes(0, 1)
        u_act = jax.vmap(lambda k: jax.random.uniform(k, (num_steps,)))(k_act).T

        def body(carry, xs):
            env_state, lstm, obs, prev_a, prev_r = carry
            t, keys, u = xs
            time_fraction = None
            if time_input:
                time_fraction = jnp.full((num_envs,), (t // spt) / trials, jnp.float32)
            x = agent_inputs(obs.reshape(num_envs, -1), prev_a, prev_r, num_actions, time_fraction)
            lstm, (logits, value) = network.apply(params, lstm, x)
            stopped = jax.lax.stop_gradient(logits)
            action = jnp.argmax(stopped, -1).astype(jnp.int32) if greedy else sample_categorical(u, stopped)
            obs, env_state, reward, terminated, _, info = step_env(keys, env_state, action, env_params)
            out = (logits, value, action, reward, terminated, info, lstm if record else None)
            return (env_state, lstm, obs, action, reward), out

        carry0 = (
            env_state,
            network.initial_state((num_envs,)),
            obs,
            jnp.full((num_envs,), -1, jnp.int32),
            jnp.zeros((num_envs,), jnp.float32),
        )
        ts = jnp.arange(num_steps, dtype=jnp.int32)
        _, out = jax.lax.scan(checkpoint_step(body, network.encoder), carry0, (ts, step_keys, u_act))
        return Trajectory(*out)

    return rollout


def policy_rollout(env: Any, env_params: Any, policy: Policy) -> Callable[[jax.Array], Trajectory]:
    """Build ``rollout(episode_keys (E,)) -> Trajectory`` for a non-neural policy."""
    num_steps = env.num_steps(env_params)

    def episode(key: jax.Array):
        k_reset, k_steps, k_act = split_episode_key(key)
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
