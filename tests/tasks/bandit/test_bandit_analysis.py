"""Bandit analysis on hand-built trajectories with known answers, and paired comparisons."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.stats

from metarl_jax.core.stats import mean_ci95, paired_difference
from metarl_jax.tasks.bandit.analysis import analyse_seed, compare_agents, episode_totals, regret_curve

# Two episodes of four pulls on arms p = (0.2, 0.7, 0.5) and (0.9, 0.1, 0.3).
PROBS = np.array([[0.2, 0.7, 0.5], [0.9, 0.1, 0.3]], np.float32)
ACTIONS = np.array([[1, 0, 2, 1], [0, 0, 2, 1]])
REWARDS = np.array([[1, 0, 1, 1], [1, 1, 0, 0]], np.float32)
ARM_PROBS = np.broadcast_to(PROBS[:, None, :], (2, 4, 3))
CHOSEN = np.take_along_axis(PROBS, ACTIONS, axis=1)
REGRET = PROBS.max(1, keepdims=True) - CHOSEN  # [[0, .5, .2, 0], [0, 0, .6, .8]]


def hand_arrays() -> dict[str, np.ndarray]:
    return {"action": ACTIONS, "reward": REWARDS, "regret": REGRET, "arm_probs": ARM_PROBS}


def test_hand_built_regret_values():
    np.testing.assert_allclose(REGRET, [[0, 0.5, 0.2, 0], [0, 0, 0.6, 0.8]], atol=1e-6)


def test_analyse_seed_hand_built():
    out = analyse_seed(hand_arrays())
    assert out["total_reward"] == pytest.approx((3 + 2) / 2)
    assert out["cumulative_regret"] == pytest.approx((0.7 + 1.4) / 2, abs=1e-6)
    assert out["reward_per_trial"] == pytest.approx(2.5 / 4)
    # mean over episodes of the running sums: ep 0 (0, .5, .7, .7), ep 1 (0, 0, .6, 1.4)
    np.testing.assert_allclose(out["regret_curve"], [0.0, 0.25, 0.65, 1.05], atol=1e-6)
    # best arm pulled at steps (0, 3) of ep 0 and (0, 1) of ep 1
    assert out["best_arm_fraction"] == pytest.approx(4 / 8)


def test_analyse_seed_without_arm_probs_and_shape_checks():
    arrays = hand_arrays()
    del arrays["arm_probs"]
    out = analyse_seed(arrays)
    assert "best_arm_fraction" not in out and out["total_reward"] == pytest.approx(2.5)
    with pytest.raises(ValueError):
        analyse_seed({"action": ACTIONS, "reward": REWARDS, "regret": REGRET[:, :3]})
    with pytest.raises(ValueError):
        episode_totals(REWARDS[0])


def test_regret_curve_ci():
    mean, half = regret_curve(REGRET)
    cum = np.cumsum(REGRET, axis=1)
    t975 = scipy.stats.t.ppf(0.975, 1)
    np.testing.assert_allclose(half, t975 * cum.std(0, ddof=1) / np.sqrt(2), atol=1e-9)
    assert half[0] == 0.0 and half[-1] > 0.0
    np.testing.assert_allclose(mean, cum.mean(0))


def test_mean_ci95_known_values():
    mean, half = mean_ci95(np.array([1.0, 2.0, 3.0, 4.0]))
    assert mean == 2.5
    assert half == pytest.approx(3.182446305 * np.sqrt(5 / 3) / 2, rel=1e-6)  # t(0.975, 3) · sd / √n
    assert np.isnan(mean_ci95(np.array([1.0]))[1])


def test_paired_difference_known_values():
    a = np.array([5.0, 7.0, 6.0, 9.0])
    b = np.array([4.0, 5.0, 6.0, 6.0])  # differences 1, 2, 0, 3: mean 1.5, sd √(5/3)
    out = paired_difference(a, b)
    half = 3.182446305 * np.sqrt(5 / 3) / 2
    assert out["mean"] == pytest.approx(1.5)
    assert out["ci95"] == pytest.approx(half, rel=1e-6)
    assert out["low"] == pytest.approx(1.5 - half) and out["high"] == pytest.approx(1.5 + half)
    assert out["n"] == 4 and out["significant"] is False  # 1.5 < 2.05: the CI contains 0
    same = paired_difference(a, a - 1.0)  # a constant difference: no uncertainty
    assert same["mean"] == pytest.approx(1.0) and same["ci95"] == 0.0 and same["significant"] is True
    with pytest.raises(ValueError):
        paired_difference(a, b[:3])


def test_pairing_removes_problem_variance():
    """Two agents whose totals share the problem's difficulty: the paired CI resolves a
    small difference that an unpaired comparison of the two means could not."""
    rng = np.random.default_rng(0)
    difficulty = rng.normal(50.0, 15.0, 10_000)
    a = difficulty + 0.3 + rng.normal(0, 1, difficulty.size)
    b = difficulty + rng.normal(0, 1, difficulty.size)
    paired = paired_difference(a, b)
    assert paired["significant"] and abs(paired["mean"] - 0.3) < paired["ci95"] * 2
    unpaired_half = 1.96 * np.sqrt(a.var(ddof=1) / a.size + b.var(ddof=1) / b.size)
    assert paired["ci95"] < unpaired_half / 5 and unpaired_half > 0.3


def test_compare_agents():
    totals = {"ts": np.array([1.0, 2.0, 3.0]), "ucb1": np.array([2.0, 3.0, 4.5]), "metarl": np.array([1.0, 2.0, 3.0])}
    out = compare_agents(totals, "ts")
    assert set(out) == {"ucb1", "metarl"}
    assert out["ucb1"]["mean"] == pytest.approx(7 / 6) and out["metarl"]["mean"] == 0.0
