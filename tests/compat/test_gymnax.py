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


# --------------------------------------------------------------------------- issue 19, items 9 and 11


def _episode_states_and_obs(genv, params, key, steps):
    """Reset + ``steps`` random-action steps of our env (no auto-reset, so the terminal state is
    included): states and observations stacked along a leading axis."""
    ours = genv.env

    @jax.jit
    def run(key):
        k_reset, k_loop = jax.random.split(key)
        obs0, state0 = ours.reset(k_reset, params)

        def body(state, k):
            k_act, k_step = jax.random.split(k)
            action = jax.random.randint(k_act, (), 0, ours.num_actions)
            obs, state, *_ = ours.step(k_step, state, action, params)
            return state, (obs, state)

        _, (obs, states) = jax.lax.scan(body, state0, jax.random.split(k_loop, steps))
        stack = lambda first, rest: jnp.concatenate([first[None], rest])  # noqa: E731
        return stack(obs0, obs), jax.tree.map(stack, state0, states)

    return run(key)


@pytest.mark.parametrize("name", registered_envs())
def test_state_space_is_a_dict_of_the_state_fields_holding_every_state(name):
    import dataclasses

    from gymnax.environments import spaces

    genv, params = _short(name)
    space = genv.state_space(params)
    assert isinstance(space, spaces.Dict)
    assert genv.state_space().spaces.keys() == space.spaces.keys()  # default params when None
    _, state = genv.reset(jax.random.key(0), params)
    fields = [f.name for f in dataclasses.fields(state)]
    assert list(space.spaces) == fields
    assert bool(space.contains(state))
    # every state of a few episodes, terminal states included
    keys = jax.random.split(jax.random.key(1), 3)
    _, states = jax.vmap(lambda k: _episode_states_and_obs(genv, params, k, genv.env.num_steps(params)))(keys)
    inside = jax.vmap(jax.vmap(space.contains))(states)
    assert np.asarray(inside).all(), name
    # samples: the state's fields, shapes and kinds, finite, inside the space
    for seed in range(5):
        sample = space.sample(jax.random.key(seed))
        assert list(sample) == fields
        for f in fields:
            value, ref = np.asarray(sample[f]), np.asarray(getattr(state, f))
            assert value.shape == ref.shape, (name, f)
            assert np.isfinite(value).all(), (name, f)
            assert (value.dtype.kind == "f") == (ref.dtype.kind == "f"), (name, f)
        assert bool(space.contains(dataclasses.replace(state, **{f: jnp.asarray(sample[f]) for f in fields})))
    # a state off its range is outside
    bad = dataclasses.replace(state, trial=jnp.int32(-1))
    assert not bool(space.contains(bad))
    spaces.gymnax_space_to_gym_space(space)  # gymnasium accepts it (bounds of the fields' shapes)


@pytest.mark.parametrize("name", registered_envs())
def test_params_expose_max_steps_in_episode(name):
    genv, params = _short(name)
    base_type = type(make_env(name)[1])
    assert isinstance(params, base_type)  # our env still takes them
    assert params.max_steps_in_episode == genv.env.num_steps(params)
    longer = params.replace(trials_per_episode=TRIALS + 2)
    assert longer.max_steps_in_episode == genv.env.num_steps(longer) > params.max_steps_in_episode
    assert make(name)[1] == make(name)[1]  # one params class per task: equal params compare equal
    assert genv.default_params.max_steps_in_episode == params.max_steps_in_episode
    # raw params of the task get the same field through gymnax_params
    from metarl_jax.compat.gymnax import gymnax_params

    raw = make_env(name)[1]
    assert gymnax_params(genv.env, raw).max_steps_in_episode == genv.env.num_steps(raw)


@pytest.mark.parametrize("name", ["two_step", "bandit"])
def test_gymnax_rollout_wrapper_runs_one_episode(name):
    from gymnax.experimental import RolloutWrapper

    genv, params = make(name, trials_per_episode=TRIALS)
    steps = genv.env.num_steps(params)
    wrapper = RolloutWrapper(env=genv)  # no num_env_steps: read from params.max_steps_in_episode
    assert wrapper.num_env_steps == steps
    obs, action, reward, next_obs, done, cum_return = wrapper.single_rollout(jax.random.key(0), None)
    assert obs.shape == (steps, *genv.env.observation_shape(params)) and action.shape == (steps,)
    assert np.array_equal(np.nonzero(np.asarray(done))[0], [steps - 1])  # one whole episode
    np.testing.assert_allclose(np.asarray(cum_return), [np.asarray(reward).sum()])
    assert ((np.asarray(action) >= 0) & (np.asarray(action) < genv.num_actions)).all()
    # gymnax's params overrides as a mapping; the episode length follows them
    longer = RolloutWrapper(env=genv, env_params={"trials_per_episode": 2 * TRIALS})
    assert longer.num_env_steps == 2 * steps
    batch = longer.batch_rollout(jax.random.split(jax.random.key(1), 4), None)
    assert batch[4].shape == (4, 2 * steps) and np.asarray(batch[4]).sum() == 4


@pytest.mark.parametrize("name", registered_envs())
def test_observation_space_is_finite_and_holds_every_observation(name):
    genv, params = make(name)
    box = genv.observation_space(params)
    assert np.isfinite(np.asarray(box.low)).all() and np.isfinite(np.asarray(box.high)).all()
    for seed in range(5):
        sample = np.asarray(box.sample(jax.random.key(seed)))
        assert sample.shape == tuple(genv.env.observation_shape(params))
        assert np.isfinite(sample).all(), name
        assert bool(box.contains(sample))
    from gymnax.environments import spaces

    spaces.gymnax_space_to_gym_space(box)
    variants = [params] + ([params.replace(test_objects=True)] if hasattr(params, "test_objects") else [])
    for p in variants:
        obs, _ = _episode_states_and_obs(genv, p, jax.random.key(7), genv.env.num_steps(p))
        assert bool(jax.vmap(genv.observation_space(p).contains)(obs).all()), name


def test_harlow_feature_bounds_cover_both_pools_and_the_blank_screen():
    from metarl_jax.tasks.harlow.env import pool_features

    for fixation in (False, True):
        genv, params = make("harlow_fixation" if fixation else "harlow")
        box = genv.observation_space(params)
        feats = np.concatenate([np.asarray(pool_features(params, False)), np.asarray(pool_features(params, True))])
        d = params.feature_dim
        low, high = np.broadcast_to(box.low, box.shape), np.broadcast_to(box.high, box.shape)
        for slot in (slice(0, d), slice(d, 2 * d)):  # left and right object: the hull of every object and 0
            np.testing.assert_array_equal(low[slot], np.minimum(feats.min(0), 0.0))
            np.testing.assert_array_equal(high[slot], np.maximum(feats.max(0), 0.0))
        if fixation:
            assert (low[-1], high[-1]) == (0.0, 1.0)  # the cue unit
        assert 3.0 < high.max() < 6.0 and -6.0 < low.min() < -3.0  # standard-normal features
    genv, params = make("harlow", encoding="one_hot")
    box = genv.observation_space(params)
    assert float(np.min(box.low)) == 0.0 and float(np.max(box.high)) == 1.0


def test_validate_action_rejects_out_of_range_actions():
    from metarl_jax.core.errors import ConfigError
    from metarl_jax.envs.base import validate_action

    genv, params = make("two_step")
    for bad in (-1, 2, 99, 0.5, np.array([0, 2])):
        with pytest.raises(ConfigError, match="action"):
            validate_action(genv.env, bad)
        with pytest.raises(ConfigError, match="action"):
            genv.validate_action(bad)
    for good in (0, 1, np.array([0, 1, 1], np.int32), jnp.int32(1)):
        validate_action(genv.env, good)
        genv.validate_action(good)
    bandit, _ = make("bandit", num_arms=5)
    bandit.validate_action(4)
    with pytest.raises(ConfigError, match=r"\[0, 5\)"):
        bandit.validate_action(5)


def test_checked_step_raises_on_out_of_range_action_under_jit():
    from metarl_jax.compat.gymnax import checked_step

    genv, params = make("two_step", trials_per_episode=TRIALS)
    _, state = genv.reset(jax.random.key(0), params)
    step = jax.jit(checked_step(genv))
    err, out = step(jax.random.key(1), state, jnp.int32(1), params)
    err.throw()  # in range: no error, and the same step as gymnax's
    ref = genv.step(jax.random.key(1), state, jnp.int32(1), params)
    for a, b in zip(jax.tree.leaves(out), jax.tree.leaves(ref)):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    for bad in (-1, 2, 99):
        err, _ = step(jax.random.key(1), state, jnp.int32(bad), params)
        with pytest.raises(Exception, match="outside"):
            err.throw()
    # batched: one bad action among many is caught
    keys = jax.random.split(jax.random.key(2), 4)
    states = jax.vmap(genv.reset, in_axes=(0, None))(keys, params)[1]
    err, _ = jax.jit(jax.vmap(checked_step(genv), in_axes=(0, 0, 0, None)))(
        keys, states, jnp.array([0, 1, 3, 0]), params
    )
    with pytest.raises(Exception, match="outside"):
        err.throw()


def test_gymnax_env_validates_its_params():
    from metarl_jax.core.errors import ConfigError
    from metarl_jax.tasks.two_step import TwoStepParams

    env = make_env("two_step")[0]
    with pytest.raises(ConfigError, match="common_prob"):
        GymnaxEnv(env, TwoStepParams(common_prob=2.0))
    with pytest.raises(ConfigError, match="switch_prob"):
        GymnaxEnv(env, TwoStepParams(switch_prob=float("nan")))
    with pytest.raises(ConfigError, match="common_prob"):
        make("two_step", common_prob=-0.1)


def test_compat_params_pickle_and_tree_like_the_tasks():
    import pickle

    genv, params = make("harlow_fixation", trials_per_episode=TRIALS)
    again = pickle.loads(pickle.dumps(params))
    assert again == params and type(again) is type(params) and again.max_steps_in_episode == 2 * TRIALS
    raw = make_env("harlow_fixation", trials_per_episode=TRIALS)[1]
    assert jax.tree.leaves(params) == jax.tree.leaves(raw)  # same leaves: the same compiled step
