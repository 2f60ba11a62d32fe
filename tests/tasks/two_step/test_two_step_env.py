"""Two-step task: NumPy reference vs JAX statistics, analytic rates, parity, validation.

The NumPy reference below is written from the rules in the module docstring of
``metarl_jax.tasks.two_step.env`` (it never calls the JAX code):

- three states S1, S2, S3 (one-hot indices 0, 1, 2);
- which second-stage state is good at reset is a coin flip;
- before each trial the good and bad states swap with probability ``switch_prob``;
- action 0 leads to S2 with probability ``common_prob`` (else S3); action 1 mirrors it;
- the state reached pays 1 with ``reward_prob_high`` if it is the good one, else ``reward_prob_low``;
- ``trial``: one step per trial, it shows the second-stage state and pays the reward;
- ``two_stage``: the stage-1 step shows the second-stage state and pays 0; the
  stage-2 step (any action) pays the reward and shows S1 again.

JAX and NumPy draw different random numbers, so they are compared by statistics:
every rate is checked against its analytic value and JAX against NumPy, within
5-sigma binomial bounds (a false alarm has probability ~1e-6 per check, and the
keys and NumPy seed are fixed, so the test is deterministic).
"""

from __future__ import annotations

import math
from functools import cache

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from env_rollouts import random_action_episode
from hypothesis import given, settings
from hypothesis import strategies as st

from metarl_jax.core.errors import ConfigError
from metarl_jax.registry import make, registered_envs
from metarl_jax.tasks.two_step.env import TwoStep, TwoStepParams

try:  # jax >= 0.7
    from jax import enable_x64
except ImportError:  # pragma: no cover - older jax
    from jax.experimental import enable_x64

ENV = TwoStep()
VARIANTS = ("trial", "two_stage")
INFO_KEYS = {
    "stage",
    "first_stage_action",
    "second_stage_state",
    "common_transition",
    "good_state",
    "trial_index",
    "trial_end",
    "reward",
}
NUM_EPISODES = 2000  # x 100 trials: 5 sigma of a rate near 0.5 is about 0.006
SIGMAS = 5.0
# Probabilities are traced leaves: a second parameter set, far from the
# defaults, reuses the same compiled rollout.
PARAM_SETS = {
    "default": {},
    "alt": dict(common_prob=0.65, reward_prob_high=0.7, reward_prob_low=0.25, switch_prob=0.15),
}


def _params(variant: str, param_set: str = "default", **extra) -> TwoStepParams:
    return TwoStepParams(variant=variant, **PARAM_SETS[param_set], **extra)


# --------------------------------------------------------------------------- JAX rollouts


def _episode(key: jax.Array, params: TwoStepParams) -> dict:
    """One episode with uniformly random actions -> step-level arrays (steps, ...)."""
    obs0, state0, steps = random_action_episode(ENV, key, params)
    return dict(obs0=obs0, good0=state0.good_state, **steps)


def _episode_eager(key: jax.Array, params: TwoStepParams) -> dict:
    """The same episode stepped op by op in Python (no jit, no scan)."""
    k_reset, k_steps, k_act = jax.random.split(key, 3)
    obs0, state = ENV.reset(k_reset, params)
    n = ENV.num_steps(params)
    actions = jax.random.bernoulli(k_act, 0.5, (n,)).astype(jnp.int32)
    keys = jax.random.split(k_steps, n)
    good0 = state.good_state
    records = []
    for i in range(n):
        obs, state, reward, terminated, truncated, info = ENV.step(keys[i], state, actions[i], params)
        records.append(
            dict(obs=obs, reward=reward, terminated=terminated, truncated=truncated, action=actions[i], info=info)
        )
    steps = jax.tree.map(lambda *xs: np.stack([np.asarray(x) for x in xs]), *records)
    return dict(obs0=obs0, good0=good0, **steps)


episode_jit = jax.jit(_episode)
rollout = jax.jit(jax.vmap(_episode, in_axes=(0, None)))
STATS_KEYS = jax.random.split(jax.random.key(20240611), NUM_EPISODES)


@cache
def jax_rollout(variant: str, param_set: str) -> dict:
    out = rollout(STATS_KEYS, _params(variant, param_set))
    return jax.tree.map(np.asarray, out)


# --------------------------------------------------------------------------- NumPy reference


def numpy_rollout(rng: np.random.Generator, num_episodes: int, params: TwoStepParams) -> dict:
    """Reference two-step task, vectorised over episodes, uniformly random actions."""
    cp, hi, lo, h = params.common_prob, params.reward_prob_high, params.reward_prob_low, params.switch_prob
    two_stage = params.variant == "two_stage"
    e = num_episodes
    eye = np.eye(3, dtype=np.float32)
    good = np.where(rng.random(e) < 0.5, 2, 1)
    good0 = good.copy()
    steps = []

    def record(stage, action, obs, reward, trial_end, t, a1, s2, common, good):
        info = dict(
            stage=np.full(e, stage),
            first_stage_action=a1,
            second_stage_state=s2,
            common_transition=common,
            good_state=good,
            trial_index=np.full(e, t),
            trial_end=np.full(e, trial_end),
            reward=reward,
        )
        steps.append(dict(obs=obs, reward=reward, action=action, info=info))

    for t in range(params.trials_per_episode):
        a1 = rng.integers(0, 2, e)
        good = np.where(rng.random(e) < h, 3 - good, good)  # swap before the trial
        common = rng.random(e) < cp
        s2 = np.where((a1 == 0) == common, 1, 2)  # action 0 -> S2 on a common transition
        reward = (rng.random(e) < np.where(s2 == good, hi, lo)).astype(np.float32)
        if two_stage:
            record(0, a1, eye[s2], np.zeros(e, np.float32), False, t, a1, s2, common, good)
            record(1, rng.integers(0, 2, e), eye[np.zeros(e, int)], reward, True, t, a1, s2, common, good)
        else:
            record(0, a1, eye[s2], reward, True, t, a1, s2, common, good)

    out = jax.tree.map(lambda *xs: np.stack(xs, axis=1), *steps)
    n = len(steps)
    out["terminated"] = np.broadcast_to(np.arange(n) == n - 1, (e, n))
    out["truncated"] = np.zeros((e, n), bool)
    out["obs0"] = np.broadcast_to(eye[0], (e, 3))
    out["good0"] = good0
    return out


@cache
def numpy_reference(variant: str, param_set: str) -> dict:
    seed = 7 + VARIANTS.index(variant) + 10 * list(PARAM_SETS).index(param_set)
    return numpy_rollout(np.random.default_rng(seed), NUM_EPISODES, _params(variant, param_set))


# --------------------------------------------------------------------------- statistics


def trial_level(steps: dict, variant: str) -> dict:
    """Step-level (E, steps) -> trial-level (E, trials) at each trial's last step."""
    spt = 2 if variant == "two_stage" else 1
    info = steps["info"]
    end = slice(spt - 1, None, spt)
    return dict(
        a1=info["first_stage_action"][:, end],
        s2=info["second_stage_state"][:, end],
        common=info["common_transition"][:, end].astype(bool),
        good=info["good_state"][:, end],
        reward=steps["reward"][:, end],
        good0=steps["good0"],
    )


LAG = 10


def rate_table(tr: dict, params: TwoStepParams) -> dict[str, tuple[int, int, float]]:
    """name -> (hits, trials, analytic probability); every count is binomial."""
    cp, hi, lo, h = params.common_prob, params.reward_prob_high, params.reward_prob_low, params.switch_prob
    good_reached = tr["s2"] == tr["good"]
    rewarded = tr["reward"] > 0
    good_prev = np.concatenate([tr["good0"][:, None], tr["good"]], axis=1)
    switched = good_prev[:, 1:] != good_prev[:, :-1]  # includes the swap before trial 0
    a0 = tr["a1"] == 0
    return {
        "common_transition": (tr["common"].sum(), tr["common"].size, cp),
        "reward_given_good_state": (rewarded[good_reached].sum(), good_reached.sum(), hi),
        "reward_given_bad_state": (rewarded[~good_reached].sum(), (~good_reached).sum(), lo),
        "good_state_switch_per_trial": (switched.sum(), switched.size, h),
        "initial_good_state_is_S2": ((tr["good0"] == 1).sum(), tr["good0"].size, 0.5),
        "S2_after_action_0": ((tr["s2"][a0] == 1).sum(), a0.sum(), cp),
        "S2_after_action_1": ((tr["s2"][~a0] == 1).sum(), (~a0).sum(), 1 - cp),
        # random actions reach the good state half the time, so reward rate = (hi + lo) / 2
        "good_state_reached": (good_reached.sum(), good_reached.size, 0.5),
        "reward_per_trial": (rewarded.sum(), rewarded.size, 0.5 * (hi + lo)),
        # one pair per episode (independent): P(same good state LAG trials later)
        f"good_state_same_at_lag_{LAG}": (
            (tr["good"][:, LAG] == tr["good"][:, 0]).sum(),
            tr["good"].shape[0],
            0.5 * (1 + (1 - 2 * h) ** LAG),
        ),
    }


def _sigma(p: float, n: int) -> float:
    return math.sqrt(p * (1 - p) / n)


@pytest.mark.parametrize("param_set", list(PARAM_SETS))
@pytest.mark.parametrize("variant", VARIANTS)
def test_rates_match_analytic_and_numpy_reference(variant, param_set):
    params = _params(variant, param_set)
    jax_rates = rate_table(trial_level(jax_rollout(variant, param_set), variant), params)
    np_rates = rate_table(trial_level(numpy_reference(variant, param_set), variant), params)
    assert jax_rates.keys() == np_rates.keys()
    failures = []
    for name, (hits_j, n_j, p) in jax_rates.items():
        hits_n, n_n, _ = np_rates[name]
        assert n_j > 1000 and n_n > 1000, (name, n_j, n_n)
        r_j, r_n = hits_j / n_j, hits_n / n_n
        if abs(r_j - p) > SIGMAS * _sigma(p, n_j):
            failures.append(f"JAX {name}: {r_j:.4f} vs analytic {p:.4f} (n={n_j})")
        if abs(r_n - p) > SIGMAS * _sigma(p, n_n):
            failures.append(f"NumPy {name}: {r_n:.4f} vs analytic {p:.4f} (n={n_n})")
        if abs(r_j - r_n) > SIGMAS * math.sqrt(p * (1 - p) * (1 / n_j + 1 / n_n)):
            failures.append(f"JAX vs NumPy {name}: {r_j:.4f} vs {r_n:.4f}")
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("variant", VARIANTS)
def test_reward_per_episode_distribution_matches_reference(variant):
    """Mean and variance of the episode return under random actions (iid Bernoulli((hi+lo)/2))."""
    params = _params(variant)
    n_trials = params.trials_per_episode
    p = 0.5 * (params.reward_prob_high + params.reward_prob_low)
    totals_j = jax_rollout(variant, "default")["reward"].sum(axis=1)
    totals_n = numpy_reference(variant, "default")["reward"].sum(axis=1)
    mean, var = n_trials * p, n_trials * p * (1 - p)
    se = math.sqrt(var / NUM_EPISODES)
    assert abs(totals_j.mean() - mean) < SIGMAS * se
    assert abs(totals_n.mean() - mean) < SIGMAS * se
    # sample variance of n=2000 binomial totals: relative SE ~ sqrt(2/n) ~ 3%
    assert abs(totals_j.var() / var - 1) < 0.2
    assert abs(totals_n.var() / var - 1) < 0.2


# --------------------------------------------------------------------------- exact structure


def check_structure(steps: dict, params: TwoStepParams) -> None:
    """Rules that hold exactly for every episode; steps are (E, steps, ...) arrays."""
    two_stage = params.variant == "two_stage"
    spt = 2 if two_stage else 1
    n = params.trials_per_episode * spt
    info = steps["info"]
    e = steps["reward"].shape[0]
    assert set(info) == INFO_KEYS
    assert steps["obs"].shape == (e, n, 3)
    for k in ("reward", "terminated", "truncated", "action", *INFO_KEYS):
        arr = info[k] if k in info else steps[k]
        assert arr.shape == (e, n), (k, arr.shape)
    step_idx = np.arange(n)
    eye = np.eye(3, dtype=np.float32)

    np.testing.assert_array_equal(steps["terminated"], np.broadcast_to(step_idx == n - 1, (e, n)))
    assert not steps["truncated"].any()
    np.testing.assert_array_equal(steps["obs0"], np.broadcast_to(eye[0], (e, 3)))
    np.testing.assert_array_equal(info["trial_index"], np.broadcast_to(step_idx // spt, (e, n)))
    np.testing.assert_array_equal(info["stage"], np.broadcast_to(step_idx % spt, (e, n)))
    np.testing.assert_array_equal(info["trial_end"], np.broadcast_to(step_idx % spt == spt - 1, (e, n)))
    np.testing.assert_array_equal(info["reward"], steps["reward"])
    assert np.isin(steps["reward"], (0.0, 1.0)).all()
    assert np.isin(info["good_state"], (1, 2)).all()
    assert np.isin(info["second_stage_state"], (1, 2)).all()

    a1 = info["first_stage_action"]
    s2 = info["second_stage_state"]
    common = info["common_transition"].astype(bool)
    # action 0 -> S2 on a common transition, S3 on a rare one; action 1 mirrors it
    np.testing.assert_array_equal(s2, np.where((a1 == 0) == common, 1, 2))
    if two_stage:
        first, second = slice(0, None, 2), slice(1, None, 2)
        np.testing.assert_array_equal(a1[:, first], steps["action"][:, first])
        for k in ("first_stage_action", "second_stage_state", "common_transition", "good_state"):
            np.testing.assert_array_equal(info[k][:, first], info[k][:, second], err_msg=k)
        assert (steps["reward"][:, first] == 0).all(), "stage-1 step must pay 0"
        np.testing.assert_array_equal(steps["obs"][:, first], eye[s2[:, first]])
        np.testing.assert_array_equal(steps["obs"][:, second], np.broadcast_to(eye[0], (e, n // 2, 3)))
    else:
        np.testing.assert_array_equal(a1, steps["action"])
        np.testing.assert_array_equal(steps["obs"], eye[s2])


@pytest.mark.parametrize("variant", VARIANTS)
def test_structure_jax_and_reference(variant):
    params = _params(variant)
    check_structure(jax_rollout(variant, "default"), params)
    check_structure(numpy_reference(variant, "default"), params)
    assert ENV.num_steps(params) == params.trials_per_episode * (2 if variant == "two_stage" else 1)


@pytest.mark.parametrize("variant", VARIANTS)
def test_extreme_probabilities_are_deterministic(variant):
    """0 and 1 are allowed and exact (uniforms are in [0, 1))."""
    sure = _params(variant, common_prob=1.0, switch_prob=0.0, reward_prob_high=1.0, reward_prob_low=0.0)
    out = jax.tree.map(np.asarray, rollout(STATS_KEYS, sure))
    tr = trial_level(out, variant)
    assert tr["common"].all()
    np.testing.assert_array_equal(tr["good"], np.broadcast_to(tr["good0"][:, None], tr["good"].shape))
    np.testing.assert_array_equal(tr["reward"], (tr["s2"] == tr["good"]).astype(np.float32))

    never = _params(variant, common_prob=0.0, switch_prob=1.0, reward_prob_high=0.0, reward_prob_low=1.0)
    out = jax.tree.map(np.asarray, rollout(STATS_KEYS, never))
    tr = trial_level(out, variant)
    assert not tr["common"].any()
    # a swap before every trial, trial 0 included: good state alternates from 3 - good0
    t = np.arange(tr["good"].shape[1])
    expected = np.where(t % 2 == 0, 3 - tr["good0"][:, None], tr["good0"][:, None])
    np.testing.assert_array_equal(tr["good"], expected)
    np.testing.assert_array_equal(tr["reward"], (tr["s2"] != tr["good"]).astype(np.float32))


@settings(max_examples=12, deadline=None)
@given(
    variant=st.sampled_from(VARIANTS),
    probs=st.tuples(*[st.floats(0.0, 1.0, allow_nan=False) for _ in range(4)]),
    seed=st.integers(0, 2**31 - 1),
)
def test_structure_holds_for_any_valid_params(variant, probs, seed):
    # trials_per_episode fixed (static): one compile per variant, probabilities are traced
    cp, hi, lo, h = probs
    params = TwoStepParams(
        common_prob=cp, reward_prob_high=hi, reward_prob_low=lo, switch_prob=h, trials_per_episode=3, variant=variant
    )
    ENV.validate(params)
    keys = jax.random.split(jax.random.key(seed), 4)
    check_structure(jax.tree.map(np.asarray, rollout(keys, params)), params)


@pytest.mark.parametrize("variant", VARIANTS)
def test_single_trial_episode(variant):
    """trials_per_episode=1: the first trial is also the last (stepped eagerly, no compile)."""
    params = _params(variant, trials_per_episode=1)
    out = _episode_eager(jax.random.key(11), params)
    check_structure(jax.tree.map(lambda x: np.asarray(x)[None], out), params)
    assert out["terminated"].tolist() == ([True] if variant == "trial" else [False, True])


# --------------------------------------------------------------------------- parity, determinism


def _assert_same(a: dict, b: dict) -> None:
    """Exact equality for ints and bools, allclose for floats."""
    assert jax.tree.structure(a) == jax.tree.structure(b)
    for (path, x), y in zip(jax.tree_util.tree_leaves_with_path(a), jax.tree.leaves(b)):
        x, y, name = np.asarray(x), np.asarray(y), jax.tree_util.keystr(path)
        assert x.dtype == y.dtype and x.shape == y.shape, name
        if np.issubdtype(x.dtype, np.floating):
            np.testing.assert_allclose(x, y, rtol=1e-6, atol=1e-6, err_msg=name)
        else:
            np.testing.assert_array_equal(x, y, err_msg=name)


@pytest.mark.parametrize("variant", VARIANTS)
def test_jit_matches_eager(variant):
    params = _params(variant, "alt")
    for key in (jax.random.key(0), jax.random.key(1)):
        _assert_same(jax.tree.map(np.asarray, episode_jit(key, params)), _episode_eager(key, params))


@pytest.mark.parametrize("variant", VARIANTS)
def test_vmap_matches_loop(variant):
    batched = jax_rollout(variant, "default")
    params = _params(variant)
    for i in (0, 1, NUM_EPISODES - 1):
        single = jax.tree.map(np.asarray, episode_jit(STATS_KEYS[i], params))
        _assert_same(jax.tree.map(lambda x, i=i: x[i], batched), single)


@pytest.mark.parametrize("variant", VARIANTS)
def test_same_key_same_trajectory_different_keys_differ(variant):
    params = _params(variant)
    a = jax.tree.map(np.asarray, episode_jit(jax.random.key(3), params))
    b = jax.tree.map(np.asarray, episode_jit(jax.random.key(3), params))
    c = jax.tree.map(np.asarray, episode_jit(jax.random.key(4), params))
    _assert_same(a, b)
    with pytest.raises(AssertionError):
        _assert_same(a, c)
    # no two of the 2000 batched episodes coincide
    out = jax_rollout(variant, "default")
    info = out["info"]
    packed = np.concatenate(
        [info["second_stage_state"], info["common_transition"], out["reward"].astype(np.int32), out["action"]],
        axis=1,
    )
    assert len(np.unique(packed, axis=0)) == NUM_EPISODES


# --------------------------------------------------------------------------- dtypes


ALLOWED_DTYPES = {np.dtype(np.int32), np.dtype(np.float32), np.dtype(bool)}


def _dtypes(tree) -> dict[str, np.dtype]:
    return {jax.tree_util.keystr(p): np.asarray(x).dtype for p, x in jax.tree_util.tree_leaves_with_path(tree)}


@pytest.mark.parametrize("x64", [False, True])
@pytest.mark.parametrize("variant", VARIANTS)
def test_dtypes(variant, x64):
    """int32 / float32 / bool only, never float64 (even with jax_enable_x64 on)."""
    params = _params(variant)
    with enable_x64(x64):
        obs, state = ENV.reset(jax.random.key(0), params)
        out = ENV.step(jax.random.key(1), state, jnp.int32(1), params)
        out2 = ENV.step(jax.random.key(2), out[1], jnp.int32(0), params)
    obs1, state1, reward, terminated, truncated, info = out
    assert obs.dtype == obs1.dtype == reward.dtype == np.float32
    assert obs.shape == obs1.shape == (3,)
    assert reward.shape == terminated.shape == truncated.shape == ()
    assert terminated.dtype == truncated.dtype == bool
    assert set(info) == INFO_KEYS
    expected = {k: np.int32 for k in ("stage", "first_stage_action", "second_stage_state", "good_state")}
    expected.update(trial_index=np.int32, common_transition=bool, trial_end=bool, reward=np.float32)
    assert {k: v.dtype for k, v in info.items()} == {k: np.dtype(v) for k, v in expected.items()}
    for tree in (state, out, out2):
        bad = {k: d for k, d in _dtypes(tree).items() if d not in ALLOWED_DTYPES}
        assert not bad, bad
    # jitted rollouts keep them too
    bad = {k: d for k, d in _dtypes(jax_rollout(variant, "default")).items() if d not in ALLOWED_DTYPES}
    assert not bad, bad


def test_initial_good_state_is_a_coin_flip():
    """200k resets: 5 sigma = 0.0056 around 1/2 (the 2000-episode rate table only resolves ~0.06)."""
    n = 200_000
    keys = jax.random.split(jax.random.key(99), n)
    good = np.asarray(jax.jit(jax.vmap(lambda k: ENV.reset(k, ENV.default_params)[1].good_state))(keys))
    assert set(np.unique(good)) == {1, 2}
    assert abs(np.mean(good == 1) - 0.5) < SIGMAS * _sigma(0.5, n)


def test_reset_state():
    params = ENV.default_params
    obs, state = ENV.reset(jax.random.key(5), params)
    np.testing.assert_array_equal(obs, [1.0, 0.0, 0.0])
    assert int(state.trial) == 0 and int(state.stage) == 0
    assert int(state.good_state) in (1, 2)


# --------------------------------------------------------------------------- params, validation, registry


def test_defaults_follow_wang_2018():
    p = ENV.default_params
    assert p == TwoStepParams()
    assert (p.common_prob, p.reward_prob_high, p.reward_prob_low, p.switch_prob) == (0.8, 0.9, 0.1, 0.025)
    assert (p.trials_per_episode, p.variant) == (100, "trial")
    assert ENV.num_actions == 2
    assert ENV.observation_shape(p) == (3,)
    assert ENV.name == "two_step" and "Daw" in ENV.PAPER and "Wang" in ENV.PAPER
    # probabilities are pytree leaves (vmappable), the static fields are not
    assert len(jax.tree.leaves(p)) == 4


BAD_FIELDS = [
    ("common_prob", -0.1),
    ("common_prob", 1.5),
    ("common_prob", float("nan")),
    ("common_prob", "0.8"),
    ("common_prob", True),
    ("reward_prob_high", 1.01),
    ("reward_prob_high", -1),
    ("reward_prob_low", -1e-6),
    ("reward_prob_low", float("inf")),
    ("switch_prob", 2.0),
    ("switch_prob", -0.025),
    ("trials_per_episode", 0),
    ("trials_per_episode", -5),
    ("trials_per_episode", 2.0),
    ("trials_per_episode", True),
    ("variant", "three_stage"),
    ("variant", "Trial"),
    ("variant", ""),
]


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize(("field", "value"), BAD_FIELDS)
def test_validate_names_the_bad_field(field, value, variant):
    params = TwoStepParams(variant=variant).replace(**{field: value})
    with pytest.raises(ConfigError) as excinfo:
        ENV.validate(params)
    err = excinfo.value
    assert isinstance(err, ValueError)
    assert err.field == field
    assert err.value is value
    assert field in str(err) and repr(value) in str(err)
    assert err.allowed and err.allowed in str(err)


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize(
    "overrides",
    [
        {},
        dict(common_prob=0.0, reward_prob_high=0.0, reward_prob_low=0.0, switch_prob=0.0),
        dict(common_prob=1.0, reward_prob_high=1.0, reward_prob_low=1.0, switch_prob=1.0),
        dict(common_prob=1, switch_prob=0, trials_per_episode=1),
        dict(trials_per_episode=1000),
    ],
)
def test_validate_accepts_valid_params(variant, overrides):
    assert ENV.validate(TwoStepParams(variant=variant, **overrides)) is None


def test_registry():
    assert "two_step" in registered_envs()
    env, params = make("two_step")
    assert isinstance(env, TwoStep) and env.name == "two_step"
    assert params == TwoStepParams()
    env, params = make("two_step", variant="two_stage", trials_per_episode=7, common_prob=0.7)
    assert (params.variant, params.trials_per_episode, params.common_prob) == ("two_stage", 7, 0.7)
    assert env.num_steps(params) == 14
    with pytest.raises(ConfigError) as excinfo:
        make("nope")
    assert excinfo.value.field == "env" and excinfo.value.value == "nope"
    assert "two_step" in str(excinfo.value)
