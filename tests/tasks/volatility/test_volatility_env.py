"""Volatility env: NumPy reference vs JAX statistics, the Behrens schedule exactly, parity, validation.

The NumPy reference below is written from the rules in the module docstring of
``metarl_jax.tasks.volatility.env`` (it never calls the JAX code):

- a stable phase (``stable_trials``, p = ``stable_p``) and a volatile phase (``volatile_trials``,
  p = ``volatile_p``), stable first with probability 1/2 (order ``random``);
- the good option at trial 0 is a coin flip; the chosen option pays 1 with p if it is the good
  one, else 1 − p;
- schedule ``hazard``: before each trial after the first, the good option swaps with the hazard
  of that trial's phase; schedule ``behrens``: no swap in the stable phase, a swap before volatile
  trial k > 0 of the phase when k mod (short + long) is 0 or ``short``;
- info ``switch_prob`` = the hazard of the next trial's phase.

JAX and NumPy draw different random numbers, so they are compared by statistics within
5-sigma binomial bounds (fixed keys and seed: deterministic); the Behrens schedule is
deterministic given the order and is compared exactly.
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
from metarl_jax.registry import make, registered_envs
from metarl_jax.tasks.volatility.env import Volatility, VolatilityParams

ENV = Volatility()
NUM_EPISODES = 1000
SIGMAS = 5.0
ALT = dict(stable_p=0.7, volatile_p=0.9, stable_hazard=0.01, volatile_hazard=0.1)  # traced leaves: no recompile
# Short episodes for the exact checks (static sizes: one compile each)
SMALL = VolatilityParams(trials_per_episode=12, stable_fraction=5 / 12, short_block=2, long_block=3, **ALT)
INFO_KEYS = {"arm_probs", "volatile", "good_option", "switch_prob", "trial_index", "trial_end"}


def _episode(key: jax.Array, params: VolatilityParams) -> dict:
    """One episode with uniformly random actions -> step arrays (T, ...)."""
    obs0, state0, steps = random_action_episode(ENV, key, params)
    return dict(obs0=obs0, **steps)


episode_jit = jax.jit(_episode)
rollout = jax.jit(jax.vmap(_episode, in_axes=(0, None)))
KEYS = jax.random.split(jax.random.key(20261206), NUM_EPISODES)


@cache
def jax_rollout(alt: bool = False, schedule: str = "hazard") -> dict:
    params = VolatilityParams(schedule=schedule, **(ALT if alt else {}))
    return jax.tree.map(np.asarray, rollout(KEYS, params))


def numpy_rollout(rng: np.random.Generator, e: int, params: VolatilityParams) -> dict:
    """The reference env, vectorised over episodes, uniformly random actions."""
    s, v, n = params.stable_trials, params.volatile_trials, params.trials_per_episode
    first = rng.random(e) < 0.5  # stable first
    good = (rng.random(e) < 0.5).astype(int)
    t = np.arange(n)
    volatile = np.where(first[:, None], t >= s, t < v)  # (E, T)
    hazard = np.where(volatile, params.volatile_hazard, params.stable_hazard)
    k = t - np.where(first[:, None], s, 0)
    cycle = params.short_block + params.long_block
    cols = {name: [] for name in ("action", "reward", "good", "arm0")}
    for i in range(n):
        if i > 0:
            if params.schedule == "hazard":
                swap = rng.random(e) < hazard[:, i]
            else:
                swap = (
                    volatile[:, i] & (k[:, i] > 0) & ((k[:, i] % cycle == 0) | (k[:, i] % cycle == params.short_block))
                )
            good = np.where(swap, 1 - good, good)
        p = np.where(volatile[:, i], params.volatile_p, params.stable_p)
        action = rng.integers(0, 2, e)
        reward = (rng.random(e) < np.where(action == good, p, 1 - p)).astype(np.float32)
        for name, value in zip(cols, (action, reward, good, np.where(good == 0, p, 1 - p))):
            cols[name].append(value)
    out = {name: np.stack(c, 1) for name, c in cols.items()}
    next_hazard = np.concatenate(
        [hazard[:, 1:], np.where(first, params.volatile_hazard, params.stable_hazard)[:, None]], 1
    )
    return out | {"volatile": volatile, "first": first, "switch_prob": next_hazard}


@cache
def numpy_reference(alt: bool = False, schedule: str = "hazard") -> dict:
    params = VolatilityParams(schedule=schedule, **(ALT if alt else {}))
    return numpy_rollout(np.random.default_rng(11 + alt), NUM_EPISODES, params)


def _from_jax(out: dict) -> dict:
    info = out["info"]
    return {
        "action": out["action"],
        "reward": out["reward"],
        "good": info["good_option"],
        "arm0": info["arm_probs"][..., 0],
        "volatile": info["volatile"],
        "first": ~info["volatile"][:, 0],
        "switch_prob": info["switch_prob"],
    }


def rate_table(r: dict, params: VolatilityParams) -> dict[str, tuple[int, int, float]]:
    """name -> (hits, trials, analytic probability); every count is binomial."""
    vol, good_chosen, won = r["volatile"], r["action"] == r["good"], r["reward"] > 0
    swapped = r["good"][:, 1:] != r["good"][:, :-1]
    vol_next = vol[:, 1:]
    rows = {
        "stable_first": (r["first"].sum(), r["first"].size, 0.5),
        "good_option_0_at_start": ((r["good"][:, 0] == 0).sum(), r["good"].shape[0], 0.5),
        "swap_before_stable_trial": (swapped[~vol_next].sum(), (~vol_next).sum(), params.stable_hazard),
        "swap_before_volatile_trial": (swapped[vol_next].sum(), vol_next.sum(), params.volatile_hazard),
    }
    for phase, mask, p in (("stable", ~vol, params.stable_p), ("volatile", vol, params.volatile_p)):
        rows[f"reward_good_{phase}"] = (won[mask & good_chosen].sum(), (mask & good_chosen).sum(), p)
        rows[f"reward_bad_{phase}"] = (won[mask & ~good_chosen].sum(), (mask & ~good_chosen).sum(), 1 - p)
    return rows


@pytest.mark.parametrize("alt", [False, True])
def test_rates_match_analytic_and_numpy_reference(alt):
    params = VolatilityParams(**(ALT if alt else {}))
    jax_rates = rate_table(_from_jax(jax_rollout(alt)), params)
    np_rates = rate_table(numpy_reference(alt), params)
    failures = []
    for name, (hits_j, n_j, p) in jax_rates.items():
        hits_n, n_n, _ = np_rates[name]
        assert n_j > 400 and n_n > 400, (name, n_j, n_n)
        sd = math.sqrt(max(p * (1 - p), 1e-12))
        for who, hits, n in (("JAX", hits_j, n_j), ("NumPy", hits_n, n_n)):
            if abs(hits / n - p) > SIGMAS * sd / math.sqrt(n):
                failures.append(f"{who} {name}: {hits / n:.4f} vs analytic {p:.4f} (n={n})")
        if abs(hits_j / n_j - hits_n / n_n) > SIGMAS * sd * math.sqrt(1 / n_j + 1 / n_n):
            failures.append(f"JAX vs NumPy {name}: {hits_j / n_j:.4f} vs {hits_n / n_n:.4f}")
    assert not failures, "\n".join(failures)


def check_structure(r: dict, params: VolatilityParams) -> None:
    """Rules that hold exactly in every episode: phases from the order, probabilities from the
    good option, the next trial's hazard."""
    n = params.trials_per_episode
    t = np.arange(n)
    expected = np.where(r["first"][:, None], t >= params.stable_trials, t < params.volatile_trials)
    np.testing.assert_array_equal(r["volatile"], expected)
    p = np.where(r["volatile"], params.volatile_p, params.stable_p)
    np.testing.assert_allclose(r["arm0"], np.where(r["good"] == 0, p, 1 - p), rtol=1e-6)
    hazard = np.where(r["volatile"], params.volatile_hazard, params.stable_hazard)
    np.testing.assert_allclose(r["switch_prob"][:, :-1], hazard[:, 1:], rtol=1e-6)
    assert np.isin(r["reward"], (0.0, 1.0)).all()


def test_structure_jax_and_reference():
    params = VolatilityParams(**ALT)
    out = jax_rollout(True)
    check_structure(_from_jax(out), params)
    check_structure(numpy_reference(True), params)
    info, e, n = out["info"], NUM_EPISODES, params.trials_per_episode
    assert set(info) == INFO_KEYS
    assert out["obs"].shape == (e, n, 1) and not out["obs"].any() and not out["obs0"].any()
    np.testing.assert_array_equal(out["terminated"], np.broadcast_to(np.arange(n) == n - 1, (e, n)))
    assert not out["truncated"].any() and info["trial_end"].all()
    np.testing.assert_array_equal(info["trial_index"], np.broadcast_to(np.arange(n), (e, n)))
    np.testing.assert_allclose(info["arm_probs"].sum(-1), 1.0, rtol=1e-6)


def test_behrens_schedule_reverses_exactly_where_the_paper_says():
    """Stable first: 120 trials at 0.75, then 0.8 / 0.2 with reversals before trials 151, 191, 221,
    261 (blocks of 30, 40, 30, 40, 30); volatile first: reversals before trials 31, 71, 101, 141.
    JAX equals the NumPy reference trial by trial."""
    params = VolatilityParams(schedule="behrens")
    r = _from_jax(jax_rollout(False, "behrens"))
    check_structure(r, params)
    swaps = r["good"][:, 1:] != r["good"][:, :-1]
    for first, at in ((True, [150, 190, 220, 260]), (False, [30, 70, 100, 140])):
        rows = r["first"] == first
        assert rows.sum() > 400
        expected = np.zeros(params.trials_per_episode - 1, bool)
        expected[np.array(at) - 1] = True
        np.testing.assert_array_equal(swaps[rows], np.broadcast_to(expected, (rows.sum(), expected.size)))
    ref = numpy_reference(False, "behrens")
    for first in (True, False):
        ref_swaps = (ref["good"][:, 1:] != ref["good"][:, :-1])[ref["first"] == first]
        np.testing.assert_array_equal(ref_swaps[0], swaps[r["first"] == first][0])
    stable = ~r["volatile"]
    np.testing.assert_allclose(np.maximum(r["arm0"], 1 - r["arm0"])[stable], 0.75, rtol=1e-6)
    np.testing.assert_allclose(np.maximum(r["arm0"], 1 - r["arm0"])[~stable], 0.8, rtol=1e-6)


@pytest.mark.parametrize("order", ["stable_first", "volatile_first"])
def test_fixed_orders(order):
    out = jax.tree.map(np.asarray, rollout(KEYS[:8], SMALL.replace(order=order)))
    first = order == "stable_first"
    expected = np.where(first, np.arange(12) >= 5, np.arange(12) < 7)
    np.testing.assert_array_equal(out["info"]["volatile"], np.broadcast_to(expected, (8, 12)))


def _assert_same(a: dict, b: dict) -> None:
    for (path, x), y in zip(jax.tree_util.tree_leaves_with_path(a), jax.tree.leaves(b)):
        x, y = np.asarray(x), np.asarray(y)
        assert x.dtype == y.dtype and x.shape == y.shape, jax.tree_util.keystr(path)
        np.testing.assert_array_equal(x, y, err_msg=jax.tree_util.keystr(path))


def _episode_eager(key: jax.Array, params: VolatilityParams) -> dict:
    """:func:`_episode` stepped op by op in Python (no jit, no scan)."""
    k_reset, k_steps, k_act = jax.random.split(key, 3)
    obs0, state = ENV.reset(k_reset, params)
    n = ENV.num_steps(params)
    actions = jax.random.bernoulli(k_act, 0.5, (n,)).astype(jnp.int32)
    keys = jax.random.split(k_steps, n)
    records = []
    for i in range(n):
        obs, state, reward, terminated, truncated, info = ENV.step(keys[i], state, actions[i], params)
        records.append(dict(obs=obs, reward=reward, terminated=terminated, truncated=truncated, action=actions[i],
                            info=info))  # fmt: skip
    return dict(obs0=obs0, **jax.tree.map(lambda *xs: np.stack([np.asarray(x) for x in xs]), *records))


def test_jit_matches_eager_and_vmap_matches_single_episodes():
    key = jax.random.key(3)
    _assert_same(jax.tree.map(np.asarray, episode_jit(key, SMALL)), _episode_eager(key, SMALL))
    batched = jax.tree.map(np.asarray, rollout(KEYS[:3], SMALL))
    for i in range(3):
        single = jax.tree.map(np.asarray, episode_jit(KEYS[i], SMALL))
        _assert_same(jax.tree.map(lambda x, i=i: x[i], batched), single)


def test_same_key_same_episode_different_keys_differ():
    a = jax.tree.map(np.asarray, episode_jit(jax.random.key(5), SMALL))
    b = jax.tree.map(np.asarray, episode_jit(jax.random.key(5), SMALL))
    c = jax.tree.map(np.asarray, episode_jit(jax.random.key(16), SMALL))
    _assert_same(a, b)
    assert not np.array_equal(a["reward"], c["reward"])


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("stable_p", 1.2),
        ("volatile_hazard", -0.1),
        ("trials_per_episode", 1),
        ("stable_fraction", 1.0),
        ("long_block", 2.5),
        ("schedule", "sometimes"),
        ("order", "alternate"),
    ],
)
def test_validation_names_the_field(field, value):
    with pytest.raises(ConfigError) as excinfo:
        ENV.validate(VolatilityParams().replace(**{field: value}))
    assert excinfo.value.field == field


def test_registered_with_defaults_from_behrens():
    assert "volatility" in registered_envs()
    env, params = make("volatility")
    assert isinstance(env, Volatility) and env.num_actions == 2
    assert (params.stable_trials, params.volatile_trials, params.stable_p, params.volatile_p) == (120, 170, 0.75, 0.8)
    assert params.trials_per_episode == env.num_steps(params) == 290 and env.steps_per_trial(params) == 1
    # any episode length keeps a trial per phase (gymnax compat shortens episodes)
    short = params.replace(trials_per_episode=3)
    env.validate(short)
    assert (short.stable_trials, short.volatile_trials) == (1, 2)
    assert params.replace(trials_per_episode=2, stable_fraction=0.99).stable_trials == 1
