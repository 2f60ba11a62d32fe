"""Test support (importable from any test: tests/ is on sys.path through its conftest):
one episode of an env under uniformly random actions, step arrays stacked by ``lax.scan``."""

from typing import Any

import jax
import jax.numpy as jnp


def random_action_episode(env: Any, key: jax.Array, params: Any) -> tuple[jax.Array, Any, dict]:
    """-> (reset observation, reset state, step arrays (T, ...): obs, reward, terminated,
    truncated, action, info). Actions are fair coin flips, so for two-action envs;
    ``key`` splits into (reset, steps, actions) as the env tests' NumPy references expect."""
    k_reset, k_steps, k_act = jax.random.split(key, 3)
    obs0, state0 = env.reset(k_reset, params)
    n = env.num_steps(params)
    actions = jax.random.bernoulli(k_act, 0.5, (n,)).astype(jnp.int32)

    def body(state, xs):
        k, a = xs
        obs, state, reward, terminated, truncated, info = env.step(k, state, a, params)
        return state, dict(obs=obs, reward=reward, terminated=terminated, truncated=truncated, action=a, info=info)

    _, steps = jax.lax.scan(body, state0, (jax.random.split(k_steps, n), actions))
    return obs0, state0, steps
