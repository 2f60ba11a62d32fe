"""Baited foraging env: a NumPy reference of the same dynamics on the same uniforms (exact),
the baiting law P(reward) = 1 − (1 − p0)^(n+1) and the base-probability draw against their
analytic values, jit/vmap parity, determinism, validation errors.

The NumPy reference is written from the module docstring of ``metarl_jax.tasks.foraging.env``
(it never calls the env): at reset p0 = (u·s, (1 − u)·s), nothing baited; each trial an
unbaited option k is baited when its uniform is below p0ₖ; the chosen option pays 1 if baited
and is emptied; the other keeps its bait. It is fed the uniforms JAX draws from the same keys
(``uniform(reset_key)`` and ``uniform(step_key, (2,))``), so the two must agree exactly.
"""

from __future__ import annotations

import math
from functools import cache

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from env_rollouts import random_action_episode

from metarl_jax.core.errors import ConfigError
from metarl_jax.registry import make
from metarl_jax.tasks.foraging.env import Foraging, ForagingParams

ENV = Foraging()
PARAMS = ForagingParams()
NUM_EPISODES = 2000
SIGMAS = 5.0


def _episode(key: jax.Array, params: ForagingParams) -> dict:
    """One episode under uniformly random actions -> step arrays (T, ...) and the reset's base probs."""
    obs0, state0, steps = random_action_episode(ENV, key, params)
    return dict(base0=state0.base_probs, **steps)


episode_jit = jax.jit(_episode)
rollout = jax.jit(jax.vmap(_episode, in_axes=(0, None)))
KEYS = jax.random.split(jax.random.key(2016), NUM_EPISODES)


@cache
def jax_rollout() -> dict:
    return jax.tree.map(np.asarray, rollout(KEYS, PARAMS))


def numpy_reference(key: jax.Array, actions: np.ndarray, params: ForagingParams) -> dict[str, np.ndarray]:
    """The module docstring's rules on JAX's uniforms for ``key`` (same split as ``_episode``)."""
    k_reset, k_steps, _ = jax.random.split(key, 3)
    u = float(jax.random.uniform(k_reset, (), jnp.float32))
    s = np.float32(params.base_prob_sum)
    p0 = np.array([np.float32(u) * s, (np.float32(1) - np.float32(u)) * s], np.float32)
    baited = np.zeros(2, bool)
    since = np.zeros(2, int)
    out = {"reward": [], "reward_probs": [], "bait_arrival": []}
    step_keys = jax.random.split(k_steps, len(actions))
    all_uniforms = np.asarray(jax.vmap(lambda k: jax.random.uniform(k, (2,), jnp.float32))(step_keys))
    for uniforms, a in zip(all_uniforms, actions):
        arrival = uniforms < p0
        out["bait_arrival"].append(arrival)
        out["reward_probs"].append(1 - (1 - p0.astype(np.float64)) ** (since + 1))
        available = baited | arrival
        out["reward"].append(float(available[a]))
        baited = available.copy()
        baited[a] = False
        since = np.where(np.arange(2) == a, 0, since + 1)
    return {k: np.array(v) for k, v in out.items()} | {"base_probs": p0}


@pytest.mark.parametrize("index", [0, 1, 7])
def test_env_matches_numpy_reference_exactly(index):
    steps = jax_rollout()
    ref = numpy_reference(KEYS[index], steps["action"][index], PARAMS)
    np.testing.assert_array_equal(steps["reward"][index], ref["reward"])
    np.testing.assert_array_equal(steps["info"]["bait_arrival"][index], ref["bait_arrival"])
    np.testing.assert_allclose(steps["info"]["reward_probs"][index], ref["reward_probs"], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(steps["info"]["base_probs"][index], np.broadcast_to(ref["base_probs"], (100, 2)))


def test_structure():
    steps = jax_rollout()
    e, t = NUM_EPISODES, PARAMS.trials_per_episode
    assert steps["obs"].shape == (e, t, 1) and not steps["obs"].any()
    np.testing.assert_array_equal(steps["terminated"], np.broadcast_to(np.arange(t) == t - 1, (e, t)))
    assert not steps["truncated"].any() and steps["info"]["trial_end"].all()
    np.testing.assert_array_equal(steps["info"]["trial_index"], np.broadcast_to(np.arange(t), (e, t)))
    assert np.isin(steps["reward"], (0.0, 1.0)).all()
    base = steps["base0"]
    np.testing.assert_allclose(base.sum(-1), PARAMS.base_prob_sum, rtol=1e-6)
    assert (base >= 0).all() and (base <= PARAMS.base_prob_sum).all()
    assert steps["reward"].dtype == np.float32 and steps["info"]["reward_probs"].dtype == np.float32


def test_baiting_law_matches_analytic_rates():
    """Under random actions, P(reward | n trials since last chosen) = 1 − (1 − p0)^(n+1), pooled
    over episodes and options (binomial bounds on the sum of the per-trial probabilities)."""
    steps = jax_rollout()
    a, r = steps["action"], steps["reward"] > 0
    p0 = steps["base0"][np.arange(NUM_EPISODES), :][:, None, :]  # (E, 1, 2)
    since = np.zeros((NUM_EPISODES, 2), int)
    by_n: dict[int, list[float]] = {}
    hits: dict[int, int] = {}
    for t in range(a.shape[1]):
        chosen = a[:, t]
        n = since[np.arange(NUM_EPISODES), chosen]
        p = 1 - (1 - p0[np.arange(NUM_EPISODES), 0, chosen]) ** (n + 1)
        for k in (0, 1, 2, 4):
            sel = n == k
            by_n.setdefault(k, []).extend(p[sel])
            hits[k] = hits.get(k, 0) + int(r[sel, t].sum())
        since = np.where(np.arange(2)[None] == chosen[:, None], 0, since + 1)
    for k, probs in by_n.items():
        probs = np.asarray(probs)
        expected, var = probs.sum(), (probs * (1 - probs)).sum()
        assert len(probs) > 5000
        assert abs(hits[k] - expected) < SIGMAS * math.sqrt(var), (k, hits[k], expected)
    # info["reward_probs"] is the same law at every step
    info_p = steps["info"]["reward_probs"][np.arange(NUM_EPISODES)[:, None], np.arange(a.shape[1]), a]
    assert abs(r.sum() - info_p.sum()) < SIGMAS * math.sqrt((info_p * (1 - info_p)).sum())


def test_base_probability_ratio_is_uniform():
    u = jax_rollout()["base0"][:, 0] / PARAMS.base_prob_sum
    assert abs(u.mean() - 0.5) < SIGMAS * math.sqrt(1 / 12 / NUM_EPISODES)
    quartiles = np.histogram(u, bins=4, range=(0, 1))[0] / NUM_EPISODES
    assert np.all(np.abs(quartiles - 0.25) < SIGMAS * math.sqrt(0.25 * 0.75 / NUM_EPISODES))


def test_choosing_every_trial_collects_at_base_rate_and_waiting_pays_more():
    """Always option 0: reward rate p0₀; option 1 untouched for 99 trials then chosen pays with
    1 − (1 − p0₁)^100 (checked through info at the last step)."""
    params = PARAMS

    def always_zero(key):
        k_reset, k_steps = jax.random.split(key)
        _, state = ENV.reset(k_reset, params)

        def body(state, k):
            obs, state, reward, *_, info = ENV.step(k, state, jnp.int32(0), params)
            return state, (reward, info["reward_probs"])

        _, (rewards, probs) = jax.lax.scan(body, state, jax.random.split(k_steps, 100))
        return state.base_probs, rewards, probs

    base, rewards, probs = jax.tree.map(np.asarray, jax.jit(jax.vmap(always_zero))(KEYS[:1000]))
    expected = base[:, 0].sum() * 100
    assert abs(rewards.sum() - expected) < SIGMAS * math.sqrt((100 * base[:, 0] * (1 - base[:, 0])).sum())
    np.testing.assert_allclose(probs[:, :, 0], np.broadcast_to(base[:, :1], (1000, 100)), rtol=1e-6)
    np.testing.assert_allclose(probs[:, -1, 1], 1 - (1 - base[:, 1]) ** 100, rtol=1e-5)


def _episode_eager(key: jax.Array, params: ForagingParams) -> dict:
    """``_episode`` stepped op by op in Python (no jit, no scan, no vmap)."""
    k_reset, k_steps, k_act = jax.random.split(key, 3)
    _, state = ENV.reset(k_reset, params)
    n = ENV.num_steps(params)
    actions = jax.random.bernoulli(k_act, 0.5, (n,)).astype(jnp.int32)
    base0, records = state.base_probs, []
    for k, a in zip(jax.random.split(k_steps, n), actions):
        obs, state, reward, terminated, truncated, info = ENV.step(k, state, a, params)
        records.append(dict(obs=obs, reward=reward, terminated=terminated, truncated=truncated, action=a, info=info))
    steps = jax.tree.map(lambda *xs: np.stack([np.asarray(x) for x in xs]), *records)
    return dict(base0=np.asarray(base0), **steps)


def test_jit_and_vmap_match_eager():
    """Row 3 of the jitted, vmapped rollout equals the same episode stepped eagerly."""
    eager = _episode_eager(KEYS[3], PARAMS)
    batched = jax.tree.map(lambda x: x[3], jax_rollout())
    assert jax.tree.structure(eager) == jax.tree.structure(batched)
    for (path, x), y in zip(jax.tree_util.tree_leaves_with_path(eager), jax.tree.leaves(batched)):
        assert x.dtype == y.dtype, jax.tree_util.keystr(path)
        np.testing.assert_allclose(x, y, rtol=1e-6, err_msg=jax.tree_util.keystr(path))


def test_same_key_same_episode_different_keys_differ():
    a = jax.tree.map(np.asarray, episode_jit(jax.random.key(5), PARAMS))
    b = jax.tree.map(np.asarray, episode_jit(jax.random.key(5), PARAMS))
    c = jax.tree.map(np.asarray, episode_jit(jax.random.key(6), PARAMS))
    np.testing.assert_array_equal(a["reward"], b["reward"])
    np.testing.assert_array_equal(a["info"]["bait_arrival"], b["info"]["bait_arrival"])
    assert not np.array_equal(a["info"]["bait_arrival"], c["info"]["bait_arrival"])


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"base_prob_sum": 1.5}, "base_prob_sum"),
        ({"base_prob_sum": -0.1}, "base_prob_sum"),
        ({"base_prob_sum": 0.0}, "base_prob_sum"),
        ({"base_prob_sum": float("nan")}, "base_prob_sum"),
        ({"trials_per_episode": 0}, "trials_per_episode"),
        ({"trials_per_episode": 2.5}, "trials_per_episode"),
    ],
)
def test_validation_errors_name_the_field(overrides, field):
    with pytest.raises(ConfigError) as err:
        make("foraging", **overrides)
    assert err.value.field == field


def test_registry_make_and_valid_extremes():
    env, params = make("foraging", base_prob_sum=1.0, trials_per_episode=3)
    assert env.name == "foraging" and env.num_actions == 2 and env.observation_shape(params) == (1,)
    assert env.num_steps(params) == 3 and env.steps_per_trial(params) == 1
