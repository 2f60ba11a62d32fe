"""metarl_jax.compat.gymnax: our envs behind the installed gymnax's API, with its auto-reset."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

pytest.importorskip("gymnax")

from metarl_jax.compat.gymnax import GymnaxEnv, as_five_tuple, as_six_tuple, make, step_arity  # noqa: E402
from metarl_jax.registry import make as make_env  # noqa: E402
from metarl_jax.registry import registered_envs  # noqa: E402

TRIALS = 3  # short episodes so auto-reset happens within a few steps


def _short(name):
    _, params = make_env(name)
    return make(name, trials_per_episode=TRIALS) if hasattr(params, "trials_per_episode") else make(name)


def test_is_a_gymnax_environment_with_spaces():
    from gymnax.environments import environment, spaces

    env, params = make("two_step")
    assert isinstance(env, environment.Environment)
    assert env.name == "two_step" and env.num_actions == 2
    assert isinstance(env.action_space(params), spaces.Discrete) and env.action_space(params).n == 2
    box = env.observation_space(params)
    assert box.shape == (3,)
    assert bool(box.contains(env.reset(jax.random.key(0), params)[0]))
    assert env.default_params == params


def test_installed_gymnax_step_arity():
    from importlib.metadata import version

    env, params = make("bandit")
    # gymnax 1.x added `truncated` to step's output; 0.x returns (obs, state, reward, done, info).
    assert step_arity(env, params) == (6 if int(version("gymnax").split(".")[0]) >= 1 else 5)


@pytest.mark.parametrize("name", registered_envs())
def test_step_matches_our_env_and_auto_resets_on_done(name):
    genv, params = _short(name)
    ours = genv.env
    steps = ours.num_steps(params)
    num_actions = ours.num_actions

    @jax.jit
    def run(key):
        k_reset, k_loop = jax.random.split(key)
        obs0, gstate = genv.reset(k_reset, params)
        _, ostate = ours.reset(k_reset, params)

        def body(carry, t):
            gstate, ostate = carry
            k = jax.random.fold_in(k_loop, t)
            k_act, k_gx = jax.random.split(k)
            action = jax.random.randint(k_act, (), 0, num_actions)
            out = as_six_tuple(genv.step(k_gx, gstate, action, params))
            key_step, key_reset = jax.random.split(k_gx)
            o_obs, o_state, o_reward, o_term, o_trunc, o_info = ours.step(key_step, ostate, action, params)
            r_obs, r_state = ours.reset(key_reset, params)
            # our reference of auto-reset: continue from a fresh episode after the last step
            next_ostate = jax.tree.map(lambda a, b: jnp.where(o_term, a, b), r_state, o_state)
            expected_obs = jnp.where(o_term, r_obs, o_obs)
            g_obs, g_state, g_reward, g_term, g_trunc, g_info = out
            same_state = jnp.all(
                jnp.stack([jnp.all(a == b) for a, b in zip(jax.tree.leaves(g_state), jax.tree.leaves(next_ostate))])
            )
            row = {
                "obs_diff": jnp.max(jnp.abs(g_obs - expected_obs)),
                "reward_diff": jnp.abs(g_reward - o_reward),
                "term": g_term,
                "o_term": o_term,
                "trunc": g_trunc,
                "same_state": same_state,
                "stepped_obs_diff": jnp.max(jnp.abs(g_info.get("final_observation", o_obs) - o_obs)),
            }
            return (g_state, next_ostate), row

        _, rows = jax.lax.scan(body, (gstate, ostate), jnp.arange(3 * steps + 1))
        return rows

    rows = jax.tree.map(np.asarray, run(jax.random.key(1)))
    assert np.all(rows["obs_diff"] == 0)
    assert np.all(rows["reward_diff"] == 0)
    assert np.array_equal(rows["term"], rows["o_term"])
    assert not rows["trunc"].any()
    assert rows["same_state"].all()
    assert np.all(rows["stepped_obs_diff"] == 0)
    # done on exactly every episode's last step: 3 episodes in 3·steps + 1 steps
    assert np.array_equal(np.nonzero(rows["term"])[0], np.arange(1, 4) * steps - 1)


def test_vmap_jit_batch_and_key_determinism():
    env, params = make("two_step", trials_per_episode=TRIALS)
    batch = 16

    @jax.jit
    def rollout(key):
        obs, state = jax.vmap(env.reset, in_axes=(0, None))(jax.random.split(key, batch), params)

        def body(state, k):
            k_act, k_step = jax.random.split(k)
            actions = jax.random.randint(k_act, (batch,), 0, 2)
            out = jax.vmap(env.step, in_axes=(0, 0, 0, None))(jax.random.split(k_step, batch), state, actions, params)
            obs, state, reward, done, _ = as_five_tuple(out)
            return state, (obs, reward, done)

        return jax.lax.scan(body, state, jax.random.split(key, 2 * TRIALS))[1]

    obs, reward, done = rollout(jax.random.key(3))
    assert obs.shape == (2 * TRIALS, batch, 3) and reward.shape == (2 * TRIALS, batch)
    np.testing.assert_array_equal(np.asarray(obs).sum(-1), 1.0)  # one-hot every step, also after reset
    assert np.asarray(done)[TRIALS - 1].all() and np.asarray(done)[2 * TRIALS - 1].all()
    assert not np.asarray(done)[: TRIALS - 1].any()
    again = rollout(jax.random.key(3))
    for a, b in zip(jax.tree.leaves((obs, reward, done)), jax.tree.leaves(again)):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))


def test_gymnax_log_wrapper_counts_our_episodes():
    from gymnax.wrappers.purerl import LogWrapper

    genv, params = make("bandit", trials_per_episode=TRIALS)
    env = LogWrapper(genv)
    obs, state = env.reset(jax.random.key(0), params)

    def body(state, k):
        out = as_six_tuple(env.step(k, state, jnp.int32(0), params))
        return out[1], (out[2], out[5]["returned_episode"], out[5]["returned_episode_returns"])

    _, (rewards, returned, returns) = jax.lax.scan(body, state, jax.random.split(jax.random.key(1), 2 * TRIALS))
    rewards, returned, returns = map(np.asarray, (rewards, returned, returns))
    np.testing.assert_array_equal(np.nonzero(returned)[0], [TRIALS - 1, 2 * TRIALS - 1])
    np.testing.assert_allclose(returns[TRIALS - 1], rewards[:TRIALS].sum())
    np.testing.assert_allclose(returns[-1], rewards[TRIALS:].sum())


def test_five_and_six_tuple_conversions():
    obs, state, reward, info = jnp.zeros(3), {"a": 1}, jnp.float32(1.0), {}
    six = (obs, state, reward, jnp.bool_(False), jnp.bool_(True), info)
    five = as_five_tuple(six)
    assert len(five) == 5 and bool(five[3])
    assert as_five_tuple(five) == five
    back = as_six_tuple(five)
    assert len(back) == 6 and bool(back[3]) and not bool(back[4])
    assert as_six_tuple(six) == six


def test_default_params_used_when_none():
    env, params = make("two_step", trials_per_episode=TRIALS)
    obs, state = env.reset(jax.random.key(0))
    out = as_six_tuple(env.step(jax.random.key(1), state, 0))
    assert out[0].shape == (3,)
    assert isinstance(GymnaxEnv(make_env("two_step")[0]).default_params, type(params))
