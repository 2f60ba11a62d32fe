"""The Environment protocol, checked for every registered env (DESIGN.md, Environments)."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from metarl_jax.core.errors import ConfigError
from metarl_jax.envs import EnvironmentBase
from metarl_jax.registry import make, registered_envs


def test_registry_is_not_empty_and_rejects_unknown_names():
    assert len(registered_envs()) >= 1
    assert list(registered_envs()) == sorted(registered_envs())
    with pytest.raises(ConfigError) as excinfo:
        make("no_such_env")
    assert excinfo.value.field == "env"


@pytest.mark.parametrize("name", registered_envs())
def test_env_contract(name):
    env, params = make(name)
    assert env.name == name
    assert isinstance(env, EnvironmentBase)  # every env subclasses the base (for_params default)
    assert isinstance(env.PAPER, str) and env.PAPER
    assert isinstance(env.num_actions, int) and env.num_actions >= 2
    assert env.default_params == params
    assert env.for_params(params).num_actions == env.num_actions
    env.validate(params)
    obs_shape = tuple(env.observation_shape(params))
    num_steps = env.num_steps(params)
    assert isinstance(num_steps, int) and num_steps >= 1

    @jax.jit
    def first_step(key):
        k_reset, k_step, k_act = jax.random.split(key, 3)
        obs0, state = env.reset(k_reset, params)
        action = jax.random.randint(k_act, (), 0, env.num_actions, dtype=jnp.int32)
        return obs0, env.step(k_step, state, action, params)

    obs0, (obs, state, reward, terminated, truncated, info) = first_step(jax.random.key(0))
    assert obs0.shape == obs.shape == obs_shape
    assert obs0.dtype == obs.dtype == jnp.float32
    assert reward.shape == terminated.shape == truncated.shape == ()
    assert reward.dtype == jnp.float32
    assert terminated.dtype == truncated.dtype == jnp.bool_
    assert isinstance(info, dict) and info
    for k, v in info.items():
        assert isinstance(v, jax.Array), (k, type(v))
    for leaf in jax.tree.leaves(state):
        assert isinstance(leaf, jax.Array)

    @jax.jit
    def episode(key):
        k_reset, k_steps, k_act = jax.random.split(key, 3)
        _, state = env.reset(k_reset, params)
        actions = jax.random.randint(k_act, (num_steps,), 0, env.num_actions, dtype=jnp.int32)

        def body(state, xs):
            k, a = xs
            obs, state, reward, terminated, truncated, info = env.step(k, state, a, params)
            return state, (obs, reward, terminated, truncated, info)

        return jax.lax.scan(body, state, (jax.random.split(k_steps, num_steps), actions))[1]

    obs, reward, terminated, truncated, info = jax.tree.map(np.asarray, episode(jax.random.key(1)))
    assert obs.shape == (num_steps, *obs_shape)
    assert reward.shape == (num_steps,) and np.isfinite(reward).all()
    # fixed-length episodes: terminated exactly on the last step, never truncated
    np.testing.assert_array_equal(terminated, np.arange(num_steps) == num_steps - 1)
    assert not truncated.any()
    for k, v in info.items():
        assert v.shape[0] == num_steps, k
        assert v.dtype in (np.int32, np.float32, np.bool_), (k, v.dtype)
