"""Two-step analysis on hand-built trajectories with known answers, and regression recovery
on synthetic model-free / model-based choices simulated in NumPy."""

from __future__ import annotations

import math

import numpy as np
import pytest

from metarl_jax.tasks.two_step.analysis import (
    analyse_seed,
    fit_logistic,
    lagged_design,
    lagged_regression,
    model_based_index,
    model_based_signature,
    reward_main_effect,
    stay_probabilities,
    trial_arrays,
)

T, F = True, False

# Two episodes of five trials. Within-episode transitions (previous trial type -> stay?):
#   ep 0: CR->stay, CU->switch, RR->stay, RU->switch
#   ep 1: CR->stay, CR->stay, CU->switch, CU->stay
# -> CR 3/3, RR 1/1, CU 1/3, RU 0/1. Each episode's last reward is never used, and
# the pair (ep 0 last trial: action 0 after CR, ep 1 first trial: action 1) must not
# count: pooled across the boundary CR would be 3/4.
HAND_ACTIONS = np.array([[0, 0, 1, 1, 0], [1, 1, 1, 0, 0]])
HAND_REWARDS = np.array([[1, 0, 1, 0, 1], [1, 1, 0, 0, 1]], dtype=np.float32)
HAND_COMMON = np.array([[T, T, F, F, T], [T, T, T, T, F]])


def test_stay_probabilities_hand_built():
    stay = stay_probabilities(HAND_ACTIONS, HAND_REWARDS, HAND_COMMON)
    assert stay == pytest.approx(
        {
            "stay_common_rewarded": 1.0,
            "stay_rare_rewarded": 1.0,
            "stay_common_unrewarded": 1 / 3,
            "stay_rare_unrewarded": 0.0,
        }
    )
    assert model_based_index(stay) == pytest.approx((1.0 - 1.0) - (1 / 3 - 0.0))
    assert reward_main_effect(stay) == pytest.approx(0.5 * (1.0 + 1.0) - 0.5 * (1 / 3 + 0.0))
    assert model_based_signature(stay) is False  # CR - RR = 0


def test_stay_probabilities_last_reward_is_ignored():
    rewards = HAND_REWARDS.copy()
    rewards[:, -1] = 1 - rewards[:, -1]
    assert stay_probabilities(HAND_ACTIONS, rewards, HAND_COMMON) == stay_probabilities(
        HAND_ACTIONS, HAND_REWARDS, HAND_COMMON
    )


def test_stay_probabilities_reward_is_positive_not_nonzero_sum():
    """Rewards are thresholded at > 0 (a two_stage trial reward may be a float sum)."""
    stay = stay_probabilities(HAND_ACTIONS, HAND_REWARDS * 0.5, HAND_COMMON)
    assert stay["stay_common_rewarded"] == 1.0 and stay["stay_rare_unrewarded"] == 0.0


def test_empty_cell_is_nan():
    # only common transitions: both rare cells are empty
    actions = np.array([[0, 0, 1, 1]])
    rewards = np.array([[1.0, 0.0, 0.0, 1.0]])
    common = np.ones((1, 4), bool)
    stay = stay_probabilities(actions, rewards, common)
    assert stay["stay_common_rewarded"] == 1.0  # t1 after CR: stay
    assert stay["stay_common_unrewarded"] == 0.5  # t2 after CU: switch; t3 after CU: stay
    assert math.isnan(stay["stay_rare_rewarded"]) and math.isnan(stay["stay_rare_unrewarded"])
    assert math.isnan(model_based_index(stay))
    assert math.isnan(reward_main_effect(stay))
    assert model_based_signature(stay) is False


def test_single_trial_episodes_give_all_nan():
    stay = stay_probabilities(np.zeros((3, 1), int), np.ones((3, 1)), np.ones((3, 1), bool))
    assert all(math.isnan(v) for v in stay.values())


@pytest.mark.parametrize(
    ("stay", "mbi", "rme", "signature"),
    [
        # pure model-based pattern
        ((0.9, 0.5, 0.5, 0.9), 0.8, 0.0, True),
        # pure model-free pattern
        ((0.9, 0.9, 0.5, 0.5), 0.0, 0.4, False),
        # gaps exactly at the threshold count (binary-exact values)
        ((0.75, 0.625, 0.5, 0.625), 0.25, 0.125, True),
        # one gap just below
        ((0.75, 0.625, 0.5, 0.5), 0.125, 0.1875, False),
        # reversed pattern
        ((0.5, 0.9, 0.9, 0.5), -0.8, 0.0, False),
    ],
)
def test_indices_and_signature(stay, mbi, rme, signature):
    cr, rr, cu, ru = stay
    d = {
        "stay_common_rewarded": cr,
        "stay_rare_rewarded": rr,
        "stay_common_unrewarded": cu,
        "stay_rare_unrewarded": ru,
    }
    assert model_based_index(d) == pytest.approx(mbi)
    assert reward_main_effect(d) == pytest.approx(rme)
    assert model_based_signature(d, gap=0.125) is signature


def test_signature_default_gap():
    d = {
        "stay_common_rewarded": 0.8,
        "stay_rare_rewarded": 0.65,
        "stay_common_unrewarded": 0.5,
        "stay_rare_unrewarded": 0.65,
    }
    assert model_based_signature(d) is True  # both gaps 0.15 >= 0.1
    d["stay_rare_unrewarded"] = 0.55  # RU - CU = 0.05
    assert model_based_signature(d) is False


# --------------------------------------------------------------------------- trial_arrays


def _two_stage_steps():
    """Hand-built two_stage step arrays (2 episodes x 3 trials = 6 steps). Stage-1 entries
    hold junk where the env would repeat the trial's value: trial_arrays must read each
    trial's last step (and sum rewards over the trial)."""
    return {
        "trial_end": np.array([[F, T, F, T, F, T]] * 2),
        "action": np.array([[1, 0, 0, 1, 1, 1], [0, 1, 0, 0, 1, 0]], np.int32),
        "first_stage_action": np.array([[9, 1, 9, 0, 9, 1], [9, 0, 9, 0, 9, 1]], np.int32),
        "reward": np.array([[0, 1, 0, 0, 0.5, 1], [0, 0, 0, 1, 0, 1]], np.float32),
        "common_transition": np.array([[F, T, T, F, F, T], [T, F, F, T, F, F]]),
        "good_state": np.array([[0, 1, 0, 1, 0, 2], [0, 2, 0, 2, 0, 2]], np.int32),
        "second_stage_state": np.array([[0, 1, 0, 1, 0, 2], [0, 2, 0, 1, 0, 1]], np.int32),
    }


TWO_STAGE_TRIALS = {
    "first_stage_action": np.array([[1, 0, 1], [0, 0, 1]]),
    "reward": np.array([[1, 0, 1.5], [0, 1, 1]]),
    "common_transition": np.array([[T, F, T], [F, T, F]]),
    "good_state": np.array([[1, 1, 2], [2, 2, 2]]),
    "second_stage_state": np.array([[1, 1, 2], [2, 1, 1]]),
}


def test_trial_arrays_two_stage():
    out = trial_arrays(_two_stage_steps())
    assert set(out) == set(TWO_STAGE_TRIALS)
    for k, v in TWO_STAGE_TRIALS.items():
        np.testing.assert_array_equal(out[k], v, err_msg=k)
        assert out[k].shape == (2, 3)
    assert out["common_transition"].dtype == bool


def test_trial_arrays_keeps_leading_seed_axis():
    steps = {k: np.stack([v, v[::-1]]) for k, v in _two_stage_steps().items()}  # (S=2, E=2, 6)
    out = trial_arrays(steps)
    for k, v in TWO_STAGE_TRIALS.items():
        np.testing.assert_array_equal(out[k], np.stack([v, v[::-1]]), err_msg=k)


def test_trial_arrays_trial_variant_is_identity():
    rng = np.random.default_rng(0)
    steps = {
        "trial_end": np.ones((3, 7), bool),
        "first_stage_action": rng.integers(0, 2, (3, 7)),
        "reward": rng.integers(0, 2, (3, 7)).astype(np.float32),
        "common_transition": rng.random((3, 7)) < 0.8,
        "good_state": rng.integers(1, 3, (3, 7)),
        "second_stage_state": rng.integers(1, 3, (3, 7)),
    }
    out = trial_arrays(steps)
    for k in out:
        np.testing.assert_array_equal(out[k], steps[k], err_msg=k)


def test_analyse_seed_hand_built():
    actions = np.tile(HAND_ACTIONS, (1, 2))  # 10 trials, enough for the 5-lag regression
    rewards = np.tile(HAND_REWARDS, (1, 2))
    common = np.tile(HAND_COMMON, (1, 2))
    out = analyse_seed({"first_stage_action": actions, "reward": rewards, "common_transition": common})
    stay = stay_probabilities(actions, rewards, common)
    for k, v in stay.items():
        assert out[k] == v
    assert out["model_based_index"] == model_based_index(stay)
    assert out["reward_main_effect"] == reward_main_effect(stay)
    assert out["model_based_signature"] is model_based_signature(stay)
    assert out["reward_per_trial"] == pytest.approx(rewards.mean())
    assert out["reward_per_episode"] == pytest.approx(np.mean(rewards.sum(1)))
    assert set(out["regression"]["weights"]) == {
        "common_rewarded",
        "common_unrewarded",
        "rare_rewarded",
        "rare_unrewarded",
    }


# --------------------------------------------------------------------------- regression


def test_lagged_design_hand_built():
    # ep 0 trial types: CR, RU, CR, CU; choices (+1 for action 0): +1, -1, -1, +1
    # ep 1 trial types: RR, CU, RU, CR; choices: -1, -1, +1, +1
    actions = np.array([[0, 1, 1, 0], [1, 1, 0, 0]])
    rewards = np.array([[1, 0, 1, 0], [1, 0, 0, 1]], np.float32)
    common = np.array([[T, F, T, T], [F, T, F, T]])
    x, y = lagged_design(actions, rewards, common, num_lags=2)
    # columns: [CR lag1, CR lag2, CU lag1, CU lag2, RR lag1, RR lag2, RU lag1, RU lag2]
    expected_x = np.array(
        [
            [0, 1, 0, 0, 0, 0, -1, 0],  # ep 0, t=2: lag1 = t1 (RU, -1), lag2 = t0 (CR, +1)
            [-1, 0, 0, 0, 0, 0, 0, -1],  # ep 0, t=3: lag1 = t2 (CR, -1), lag2 = t1 (RU, -1)
            [0, 0, -1, 0, 0, -1, 0, 0],  # ep 1, t=2: lag1 = t1 (CU, -1), lag2 = t0 (RR, -1)
            [0, 0, 0, -1, 0, 0, 1, 0],  # ep 1, t=3: lag1 = t2 (RU, +1), lag2 = t1 (CU, -1)
        ],
        dtype=float,
    )
    np.testing.assert_array_equal(x, expected_x)
    np.testing.assert_array_equal(y, [0, 1, 1, 1])


def test_fit_logistic_recovers_known_weights():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(20000, 3))
    w_true, b_true = np.array([1.5, -2.0, 0.5]), 0.3
    y = (rng.random(20000) < 1 / (1 + np.exp(-(x @ w_true + b_true)))).astype(float)
    w, b = fit_logistic(x, y, ridge=1e-3)
    np.testing.assert_allclose(w, w_true, atol=0.1)
    assert abs(b - b_true) < 0.1


def simulate_agent(kind: str, rng: np.random.Generator, episodes: int = 200, trials: int = 100) -> tuple:
    """NumPy two-step task (default Wang 2018 params) played by a softmax agent
    (alpha 0.5, beta 5). model_free: TD(1) values of the first-stage actions;
    model_based: values of S2/S3 combined through the known transition matrix."""
    alpha, beta, cp, hi, lo, h = 0.5, 5.0, 0.8, 0.9, 0.1, 0.025
    rows = np.arange(episodes)
    good = np.where(rng.random(episodes) < 0.5, 2, 1)
    v = np.full((episodes, 2), 0.5)
    actions = np.zeros((episodes, trials), int)
    rewards = np.zeros((episodes, trials))
    common = np.zeros((episodes, trials), bool)
    for t in range(trials):
        if kind == "model_based":
            q = np.stack([cp * v[:, 0] + (1 - cp) * v[:, 1], (1 - cp) * v[:, 0] + cp * v[:, 1]], axis=1)
        else:
            q = v
        p0 = 1 / (1 + np.exp(-beta * (q[:, 0] - q[:, 1])))
        a = np.where(rng.random(episodes) < p0, 0, 1)
        good = np.where(rng.random(episodes) < h, 3 - good, good)
        c = rng.random(episodes) < cp
        s2 = np.where((a == 0) == c, 1, 2)
        r = (rng.random(episodes) < np.where(s2 == good, hi, lo)).astype(float)
        idx = a if kind == "model_free" else s2 - 1
        v[rows, idx] += alpha * (r - v[rows, idx])
        actions[:, t], rewards[:, t], common[:, t] = a, r, c
    return actions, rewards, common


def test_lagged_regression_separates_model_free_from_model_based():
    mf = lagged_regression(*simulate_agent("model_free", np.random.default_rng(2)))
    mb = lagged_regression(*simulate_agent("model_based", np.random.default_rng(3)))
    print(
        f"model-free: mf={mf['model_free_index']:.3f} mb={mf['model_based_index']:.3f}; "
        f"model-based: mf={mb['model_free_index']:.3f} mb={mb['model_based_index']:.3f}"
    )
    assert mf["model_free_index"] > 1.0
    assert mf["model_free_index"] > 5 * abs(mf["model_based_index"])
    assert mb["model_based_index"] > 1.0
    assert mb["model_based_index"] > 5 * abs(mb["model_free_index"])
    # lag-1 weights: model-free stays after any reward (CR, RR > 0);
    # model-based switches after a rare reward (RR < 0) and stays after a rare omission (RU > 0)
    w_mf, w_mb = mf["weights"], mb["weights"]
    assert w_mf["common_rewarded"][0] > 0.5 and w_mf["rare_rewarded"][0] > 0.5
    assert w_mb["common_rewarded"][0] > 0.5 and w_mb["rare_rewarded"][0] < -0.5
    assert w_mb["rare_unrewarded"][0] > 0.5 and w_mb["common_unrewarded"][0] < -0.5
    assert all(len(v) == 5 for v in (*w_mf.values(), *w_mb.values()))
