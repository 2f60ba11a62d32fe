"""Harlow analysis on hand-built step arrays with known answers (with and without fixation)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from metarl_jax.tasks.harlow.analysis import (
    accuracy_by_trial,
    analyse_pixels_seed,
    analyse_seed,
    return_fraction,
    trial_arrays,
    trials_by_index,
)
from metarl_jax.tasks.harlow.env import HarlowParams, ideal_observer_return
from metarl_jax.tasks.harlow.pixels import HarlowPixelsParams

T, F = True, False

# Four episodes of six one-step trials, ±1 rewards. Per trial position, correct counts are
# 2, 2, 3, 2, 3, 3 of 4; trials 2-6: 13 of 20; returns 6, 4, 0, -4 (mean 1.5 = 0.3 x the ideal 5).
CORRECT = np.array(
    [
        [T, T, T, T, T, T],
        [F, T, T, T, T, T],
        [F, F, T, F, T, T],
        [T, F, F, F, F, F],
    ]
)
CORRECT_SIDE = np.array([[0, 1, 1, 0, 0, 1], [1, 1, 0, 0, 1, 0], [0, 0, 0, 1, 1, 1], [1, 0, 1, 0, 1, 0]], np.int32)


def _steps_no_fixation() -> dict[str, np.ndarray]:
    chosen = np.where(CORRECT, CORRECT_SIDE, 1 - CORRECT_SIDE).astype(np.int32)
    return {
        "action": chosen,
        "reward": np.where(CORRECT, 1.0, -1.0).astype(np.float32),
        "trial_index": np.broadcast_to(np.arange(6, dtype=np.int32), (4, 6)),
        "correct_side": CORRECT_SIDE,
        "chosen_side": chosen,
        "correct": CORRECT,
        "trial_end": np.ones((4, 6), bool),
    }


def test_no_fixation_hand_built():
    out = analyse_seed(_steps_no_fixation(), HarlowParams())
    assert out["accuracy_by_trial"] == pytest.approx([0.5, 0.5, 0.75, 0.5, 0.75, 0.75])
    assert out["accuracy_trial_1"] == 0.5
    assert out["accuracy_trials_2_6"] == pytest.approx(13 / 20)
    assert out["reward_per_episode"] == pytest.approx(1.5)
    assert out["reward_per_trial"] == pytest.approx(0.25)
    assert out["return_fraction"] == pytest.approx(1.5 / 5.0)
    assert out["trials_completed"] == 6.0
    # ±5: every number scales but the fraction
    steps = _steps_no_fixation()
    steps["reward"] = 5 * steps["reward"]
    out5 = analyse_seed(steps, HarlowParams(correct_reward=5.0, incorrect_reward=-5.0))
    assert out5["reward_per_episode"] == pytest.approx(7.5)
    assert out5["return_fraction"] == pytest.approx(0.3)


def test_trial_1_is_not_part_of_trials_2_6():
    steps = _steps_no_fixation()
    steps["correct"] = steps["correct"].copy()
    steps["correct"][:, 0] = True
    out = analyse_seed(steps, HarlowParams())
    assert out["accuracy_trial_1"] == 1.0
    assert out["accuracy_trials_2_6"] == pytest.approx(13 / 20)


# Fixation, two trials of two steps (cue, choice), ±5 and fixation +1:
#   e0: fixate +1, correct +5, fixate +1, correct +5          -> 12, 2 choices, correct [T, T]
#   e1: break 0, blank 0, fixate +1, wrong -5                  -> -4, 1 choice,  correct [F, F]
#   e2: fixate +1, no choice -5, fixate +1, correct +5         ->  2, 1 choice,  correct [F, T]
FIX_REWARD = np.array([[1, 5, 1, 5], [0, 0, 1, -5], [1, -5, 1, 5]], np.float32)
FIX_CHOSEN = np.array([[-1, 1, -1, 0], [-1, -1, -1, 1], [-1, -1, -1, 1]], np.int32)
FIX_CORRECT = np.array([[F, T, F, T], [F, F, F, F], [F, F, F, T]])
FIX_PARAMS = HarlowParams(
    trials_per_episode=2, fixation=True, correct_reward=5.0, incorrect_reward=-5.0, fixation_reward=1.0
)


def _steps_fixation() -> dict[str, np.ndarray]:
    return {
        "action": np.where(FIX_CHOSEN >= 0, FIX_CHOSEN, 2).astype(np.int32),
        "reward": FIX_REWARD,
        "trial_index": np.broadcast_to(np.array([0, 0, 1, 1], np.int32), (3, 4)),
        "correct_side": np.array([[1, 1, 0, 0], [0, 0, 0, 0], [1, 1, 1, 1]], np.int32),
        "chosen_side": FIX_CHOSEN,
        "correct": FIX_CORRECT,
        "trial_end": np.broadcast_to(np.array([F, T, F, T]), (3, 4)),
    }


def test_fixation_hand_built():
    trials = trial_arrays(_steps_fixation())
    np.testing.assert_array_equal(trials["reward"], [[6, 6], [0, -4], [-4, 6]])
    np.testing.assert_array_equal(trials["correct"], [[T, T], [F, F], [F, T]])
    np.testing.assert_array_equal(trials["chosen_side"], [[1, 0], [-1, 1], [-1, 1]])
    out = analyse_seed(_steps_fixation(), FIX_PARAMS)
    assert out["accuracy_by_trial"] == pytest.approx([1 / 3, 2 / 3])
    assert out["accuracy_trials_2_6"] == pytest.approx(2 / 3)
    assert out["trials_completed"] == pytest.approx(4 / 3)
    assert out["reward_per_episode"] == pytest.approx(10 / 3)
    assert out["reward_per_trial"] == pytest.approx(5 / 3)
    # ideal observer for 2 trials: 1/2(5 - 5) + 1 x 5 + 2 x 1 = 7
    assert out["return_fraction"] == pytest.approx((10 / 3) / 7)


def test_ideal_observer_return():
    assert ideal_observer_return(HarlowParams()) == 5.0
    assert ideal_observer_return(HarlowParams(correct_reward=5.0, incorrect_reward=-5.0)) == 25.0
    lab = HarlowParams(correct_reward=5.0, incorrect_reward=-5.0, fixation_reward=1.0, fixation=True)
    assert ideal_observer_return(lab) == 31.0
    # fixation_reward counts only when the task has fixation steps
    assert ideal_observer_return(lab.replace(fixation=False)) == 25.0
    assert ideal_observer_return(HarlowParams(trials_per_episode=10)) == 9.0
    assert ideal_observer_return(HarlowParams(incorrect_reward=0.0)) == 5.5


def test_return_fraction_is_nan_without_a_positive_reference():
    params = HarlowParams(correct_reward=1.0, incorrect_reward=-11.0)  # 1/2(1 - 11) + 5 = 0
    assert math.isnan(return_fraction(np.array([1.0, 2.0]), params))
    assert return_fraction(np.array([5.0, 5.0]), HarlowParams()) == 1.0


def test_leading_axes_and_bad_trial_ends():
    steps = {k: np.stack([v, v]) for k, v in _steps_fixation().items()}  # (2 seeds, 3, 4)
    trials = trial_arrays(steps)
    assert trials["correct"].shape == trials["reward"].shape == (2, 3, 2)
    np.testing.assert_array_equal(accuracy_by_trial(trials["correct"][0]), [1 / 3, 2 / 3])
    bad = _steps_fixation()
    bad["trial_end"] = np.zeros((3, 4), bool)
    with pytest.raises(ValueError, match="no trial_end"):
        trial_arrays(bad)
    bad["trial_end"] = np.broadcast_to(np.array([T, F, F, T]), (3, 4))
    with pytest.raises(ValueError, match="evenly spaced"):
        trial_arrays(bad)


# Pixel task: trials of varying length in a fixed 8-step budget, 3 trials, ±5 and fixation +1.
#   e0: fix +1, correct +5 | fix +1, wrong -5 | fix +1, correct +5 | blank, blank (trial index 3)
#   e1: stall x 4 (timeout -5) | fix +1, correct +5 | stall, then fix +1 on the budget's last
#       step, which cuts trial 3 (timeout -5): 1 choice, 2 timeouts
#   e2: stall x 4 (timeout -5) | stall x 4 (timeout -5, the budget's end) -> trial 3 never starts
PIX_TRIAL = np.array([[0, 0, 1, 1, 2, 2, 3, 3], [0, 0, 0, 0, 1, 1, 2, 2], [0, 0, 0, 0, 1, 1, 1, 1]], np.int32)
PIX_REWARD = np.array([[1, 5, 1, -5, 1, 5, 0, 0], [0, 0, 0, -5, 1, 5, 0, -4], [0, 0, 0, -5, 0, 0, 0, -5]], np.float32)
PIX_END = np.array([[F, T, F, T, F, T, F, F], [F, F, F, T, F, T, F, T], [F, F, F, T, F, F, F, T]])
PIX_CHOSEN = np.array([[-1, 0, -1, 1, -1, 1, -1, -1], [-1, -1, -1, -1, -1, 0, -1, -1], [-1] * 8], np.int32)
PIX_CORRECT = np.array([[F, T, F, F, F, T, F, F], [F, F, F, F, F, T, F, F], [F] * 8])
PIX_TIMEOUT = PIX_END & (PIX_CHOSEN < 0)


def _steps_pixels() -> dict[str, np.ndarray]:
    return {
        "action": np.zeros((3, 8), np.int32),
        "reward": PIX_REWARD,
        "trial_index": PIX_TRIAL,
        "correct_side": np.where(PIX_TRIAL == 1, 0, 1).astype(np.int32),
        "chosen_side": PIX_CHOSEN,
        "correct": PIX_CORRECT,
        "trial_end": PIX_END,
        "timeout": PIX_TIMEOUT,
    }


def test_pixels_trials_of_any_length_hand_built():
    trials = trials_by_index(_steps_pixels(), 3)
    np.testing.assert_array_equal(trials["correct"], [[T, F, T], [F, T, F], [F, F, F]])
    np.testing.assert_array_equal(trials["chosen_side"], [[0, 1, 1], [-1, 0, -1], [-1, -1, -1]])
    np.testing.assert_array_equal(trials["correct_side"], [[1, 0, 1], [1, 0, 1], [1, 0, -1]])  # -1: never ended
    np.testing.assert_array_equal(trials["timeout"], [[F, F, F], [T, F, T], [T, T, F]])
    np.testing.assert_array_equal(trials["reward"], [[6, -4, 6], [-5, 6, -4], [-5, -5, 0]])
    params = HarlowPixelsParams(trials_per_episode=3, steps_per_trial=2)
    out = analyse_pixels_seed(_steps_pixels(), params)
    assert out["accuracy_by_trial"] == pytest.approx([1 / 3, 1 / 3, 1 / 3])
    assert out["accuracy_trials_2_6"] == pytest.approx(2 / 6)
    assert out["trials_completed"] == pytest.approx(4 / 3) and out["timeouts"] == pytest.approx(4 / 3)
    assert out["reward_per_episode"] == pytest.approx((8 - 3 - 10) / 3)
    # ideal: 3 fixations + a coin flip on trial 1 + 2 x 5 = 13
    assert out["return_fraction"] == pytest.approx((-5 / 3) / 13)


def test_trials_by_index_agrees_with_evenly_spaced_trials():
    for steps in (_steps_no_fixation(), _steps_fixation()):
        trials = int(steps["trial_index"].max()) + 1
        even, by_index = trial_arrays(steps), trials_by_index(steps, trials)
        for key in even:
            np.testing.assert_array_equal(by_index[key][even["chosen_side"] >= 0], even[key][even["chosen_side"] >= 0])
        np.testing.assert_array_equal(by_index["correct"], even["correct"])
        np.testing.assert_array_equal(by_index["reward"], even["reward"])
