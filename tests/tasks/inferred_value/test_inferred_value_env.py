"""Inferred-value env: a NumPy reference on the same uniforms, analytic rates, jit/vmap parity,
determinism, validation.

The NumPy reference below is written from the rules in the module docstring of
``metarl_jax.tasks.inferred_value.env`` (it never calls the env): reset draws u = uniform(key, (2,))
(good target = B if u₀ < ½; first block's length from u₁); each fixation step draws
u = uniform(key, (2,)) (target = B if u₀ < ½; a block that has run its length reverses first and
its successor's length comes from u₁); the target step pays the target's value and shows it with
the reward-period flag; the outcome step shows the fixation point and ends the trial. It takes
the same uniforms as the env (``jax.random.uniform`` on the same keys), so rewards, observations
and info must agree exactly.
"""

from __future__ import annotations

import functools
import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from env_rollouts import random_action_episode

from metarl_jax.core.errors import ConfigError
from metarl_jax.registry import make
from metarl_jax.tasks.inferred_value.env import InferredValue, InferredValueParams

ENV = InferredValue()
PARAMS = InferredValueParams()
ALT = InferredValueParams(reward_good=2.0, reward_bad=0.5, block_min=2, block_max=4, trials_per_episode=30)
INFO_KEYS = ("stage", "target", "good_target", "target_value", "trial_in_block", "block_index",
             "seen_since_reversal", "trial_index", "trial_end", "reward")  # fmt: skip


def _episode(key: jax.Array, params: InferredValueParams) -> dict:
    """One episode, random actions (ignored by the env) -> step arrays (T, ...) and the reset."""
    obs0, state0, steps = random_action_episode(ENV, key, params)
    return dict(obs0=obs0, **steps)


rollout = jax.jit(jax.vmap(_episode, in_axes=(0, None)))


@functools.partial(jax.jit, static_argnums=1)
def _step_uniforms(k_steps: jax.Array, n: int) -> jax.Array:
    """The uniforms of an episode's n steps, as the env draws them: (n, 2)."""
    return jax.vmap(lambda k: jax.random.uniform(k, (2,)))(jax.random.split(k_steps, n))


def numpy_episode(key: jax.Array, params: InferredValueParams) -> dict:
    """The reference, stepping in Python on the env's uniforms."""
    n = 3 * params.trials_per_episode
    k_steps = jax.random.split(key, 3)[1]
    u0 = np.asarray(jax.random.uniform(jax.random.split(key, 3)[0], (2,)))
    step_u = np.asarray(_step_uniforms(k_steps, n))
    span = params.block_max - params.block_min + 1

    def length(u: float) -> int:
        return params.block_min + min(int(np.floor(u * span)), span - 1)

    good, block_len, tib, block, seen = int(u0[0] < 0.5), length(u0[1]), 0, 0, [False, False]
    obs, rewards, infos = [], [], []
    for t in range(params.trials_per_episode):
        u = step_u[3 * t]
        if tib >= block_len:  # reversal
            good, tib, block, block_len, seen = 1 - good, 0, block + 1, length(u[1]), [False, False]
        target = int(u[0] < 0.5)
        value = params.reward_good if target == good else params.reward_bad
        seen_before = seen[target]
        for stage in range(3):
            o = np.zeros(4, np.float32)
            o[0 if stage == 2 else 1 + target] = 1.0
            o[3] = float(stage == 1)
            r = value if stage == 1 else 0.0
            obs.append(o)
            rewards.append(r)
            infos.append(dict(stage=stage, target=target, good_target=good, target_value=value, trial_in_block=tib,
                              block_index=block, seen_since_reversal=seen_before, trial_index=t,
                              trial_end=stage == 2, reward=r))  # fmt: skip
        seen[target] = True
        tib += 1
    info = {k: np.array([i[k] for i in infos]) for k in INFO_KEYS}
    return dict(obs=np.stack(obs), reward=np.array(rewards, np.float32), info=info)


@pytest.mark.parametrize("params", [PARAMS, ALT], ids=["default", "alt"])
def test_env_matches_numpy_reference_exactly(params):
    keys = jax.random.split(jax.random.key(3), 4)
    out = jax.tree.map(np.asarray, rollout(keys, params))
    for e in range(len(keys)):
        ref = numpy_episode(keys[e], params)
        np.testing.assert_array_equal(out["obs"][e], ref["obs"])
        np.testing.assert_allclose(out["reward"][e], ref["reward"], rtol=0, atol=1e-6)
        for k in INFO_KEYS:
            np.testing.assert_allclose(out["info"][k][e], ref["info"][k], rtol=0, atol=1e-6, err_msg=k)
        assert out["terminated"][e].tolist() == [False] * (ENV.num_steps(params) - 1) + [True]
        assert not out["truncated"][e].any()
        np.testing.assert_array_equal(out["obs0"][e], [1, 0, 0, 0])


def _within(hits: int, n: int, p: float, sigmas: float = 5.0) -> bool:
    return abs(hits - n * p) <= sigmas * math.sqrt(n * p * (1 - p))


def test_analytic_rates():
    """Targets 1/2 each, good targets on half the trials (values ±1 average 0), block lengths
    uniform on [block_min, block_max], a fresh coin for the first good target: 5-sigma binomial
    bounds over 1000 episodes (fixed keys: deterministic)."""
    params = InferredValueParams(trials_per_episode=60)
    out = jax.tree.map(np.asarray, rollout(jax.random.split(jax.random.key(11), 1000), params))
    info = out["info"]
    fix = info["stage"] == 0
    targets, good = info["target"][fix], (info["target"] == info["good_target"])[fix]
    assert _within(int(targets.sum()), targets.size, 0.5)
    assert _within(int(good.sum()), good.size, 0.5)
    assert _within(int((info["good_target"][:, 0] == 1).sum()), 1000, 0.5)
    # completed blocks: the trial_in_block reached before each reversal + 1
    tib, block = info["trial_in_block"][:, 0::3], info["block_index"][:, 0::3]
    lengths = (tib[:, :-1] + 1)[np.diff(block, axis=1) == 1]
    span = params.block_max - params.block_min + 1
    assert lengths.min() == params.block_min and lengths.max() == params.block_max
    for length in range(params.block_min, params.block_max + 1):
        # the first block's length is its own draw; all completed blocks are i.i.d. uniform
        assert _within(int((lengths == length).sum()), lengths.size, 1 / span), length
    # the good target flips exactly at each reversal and nowhere else
    g = info["good_target"][:, 0::3]
    np.testing.assert_array_equal(np.diff(g, axis=1) != 0, np.diff(block, axis=1) == 1)


def test_seen_since_reversal_and_rewards_follow_the_rules():
    out = jax.tree.map(np.asarray, rollout(jax.random.split(jax.random.key(5), 100), PARAMS))
    info = out["info"]
    t, tib, seen = info["target"][:, 0::3], info["trial_in_block"][:, 0::3], info["seen_since_reversal"][:, 0::3]
    for e in range(100):
        for k in range(t.shape[1]):
            start = k - tib[e, k]
            assert seen[e, k] == (t[e, start:k] == t[e, k]).any()
    good = info["target"] == info["good_target"]
    expected = np.where(info["stage"] == 1, np.where(good, 1.0, -1.0), 0.0)
    np.testing.assert_array_equal(out["reward"], expected)


def test_scan_vmap_and_stepwise_agree_and_are_deterministic():
    keys = jax.random.split(jax.random.key(9), 3)
    batched = jax.tree.map(np.asarray, rollout(keys, PARAMS))
    again = jax.tree.map(np.asarray, rollout(keys, PARAMS))
    jax.tree.map(np.testing.assert_array_equal, batched, again)
    k_reset, k_steps, k_act = jax.random.split(keys[1], 3)
    obs, state = ENV.reset(k_reset, PARAMS)
    n = ENV.num_steps(PARAMS)
    actions = jax.random.bernoulli(k_act, 0.5, (n,)).astype(jnp.int32)
    step = jax.jit(lambda k, s, a: ENV.step(k, s, a, PARAMS))
    step_keys = jax.random.split(k_steps, n)
    for i in range(n):
        obs, state, reward, terminated, _, info = step(step_keys[i], state, actions[i])
        np.testing.assert_array_equal(np.asarray(obs), batched["obs"][1, i])
        assert float(reward) == batched["reward"][1, i] and bool(terminated) == batched["terminated"][1, i]
        assert int(info["block_index"]) == batched["info"]["block_index"][1, i]
    # the action is ignored: the other action gives the same step
    _, s0 = ENV.reset(k_reset, PARAMS)
    o0, _, r0, *_ = step(step_keys[0], s0, jnp.int32(0))
    o1, _, r1, *_ = step(step_keys[0], s0, jnp.int32(1))
    np.testing.assert_array_equal(np.asarray(o0), np.asarray(o1))
    assert float(r0) == float(r1)


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        (dict(reward_bad=1.0), "reward_bad"),
        (dict(reward_good=float("nan")), "reward_good"),
        (dict(block_min=1), "block_min"),
        (dict(block_min=0), "block_min"),
        (dict(block_min=6, block_max=5), "block_max"),
        (dict(trials_per_episode=0), "trials_per_episode"),
    ],
)
def test_validation_names_the_field(overrides, field):
    with pytest.raises(ConfigError) as err:
        make("inferred_value", **overrides)
    assert err.value.field == field


def test_registry_and_shapes():
    env, params = make("inferred_value")
    assert env.name == "inferred_value" and env.num_actions == 2
    assert env.observation_shape(params) == (4,)
    assert env.num_steps(params) == 3 * params.trials_per_episode and env.steps_per_trial(params) == 3
