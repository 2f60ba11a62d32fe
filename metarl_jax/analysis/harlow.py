"""Harlow analysis: accuracy per trial of a problem, return relative to an ideal observer.

Inputs are step-level NumPy arrays of one seed shaped (episodes, steps), as
``metarl_jax.evaluation`` returns them: ``action``, ``reward`` and the env's
info keys ``trial_index``, ``correct_side``, ``chosen_side``, ``correct``,
``trial_end``. A trial's outcome is read at its ``trial_end`` step (the choice
step; with fixation the second of its two steps); its reward is the sum over
its steps (fixation reward included).

Metrics (DESIGN.md names): ``accuracy_trial_1``, ``accuracy_trials_2_6``
(trials 2 … trials_per_episode: the name keeps the default 6),
``return_fraction`` = mean episode return / the ideal observer's expected
return (:func:`metarl_jax.envs.harlow.ideal_observer_return`), and
``trials_completed`` = mean number of trials per episode with a choice.
A trial without a choice (fixation broken, or no object picked) counts as
incorrect.
"""

from __future__ import annotations

import numpy as np

from metarl_jax.envs.harlow import HarlowParams, ideal_observer_return


def trial_arrays(episodes: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Step-level arrays (..., steps) -> trial-level arrays (..., trials): ``correct`` (bool),
    ``chosen_side`` / ``correct_side`` (int, −1 = no choice) at each trial's end step,
    ``reward`` summed over the trial's steps (float32)."""
    trial_end = np.asarray(episodes["trial_end"], dtype=bool)
    first = trial_end.reshape(-1, trial_end.shape[-1])[0]
    ends = np.nonzero(first)[0]
    if ends.size == 0:
        raise ValueError("no trial_end step in the episodes")
    steps_per_trial = int(ends[0]) + 1
    if not np.array_equal(ends, np.arange(steps_per_trial - 1, first.size, steps_per_trial)):
        raise ValueError(f"trial ends {ends.tolist()} are not evenly spaced")
    rewards = np.asarray(episodes["reward"], dtype=np.float32)
    return {
        "correct": np.asarray(episodes["correct"], dtype=bool)[..., ends],
        "chosen_side": np.asarray(episodes["chosen_side"])[..., ends],
        "correct_side": np.asarray(episodes["correct_side"])[..., ends],
        "reward": rewards.reshape(rewards.shape[:-1] + (-1, steps_per_trial)).sum(-1),
    }


def accuracy_by_trial(correct: np.ndarray) -> np.ndarray:
    """Fraction correct at each trial position. correct (episodes, trials) bool -> (trials,) float."""
    return np.asarray(correct, dtype=np.float64).mean(axis=0)


def return_fraction(episode_returns: np.ndarray, params: HarlowParams) -> float:
    """Mean episode return / the ideal observer's expected return; NaN when that is <= 0
    (a ratio to a non-positive reference means nothing)."""
    ideal = ideal_observer_return(params)
    if ideal <= 0:
        return float("nan")
    return float(np.mean(episode_returns) / ideal)


def analyse_seed(episodes: dict[str, np.ndarray], params: HarlowParams) -> dict[str, object]:
    """All Harlow metrics of one seed from its step arrays (episodes, steps).
    ``params`` are the evaluation params (for the rewards of the ideal observer)."""
    trials = trial_arrays(episodes)
    acc = accuracy_by_trial(trials["correct"])
    returns = trials["reward"].sum(axis=-1)
    return {
        "accuracy_by_trial": acc.tolist(),
        "accuracy_trial_1": float(acc[0]),
        "accuracy_trials_2_6": float(np.mean(trials["correct"][:, 1:])) if acc.size > 1 else float("nan"),
        "return_fraction": return_fraction(returns, params),
        "trials_completed": float(np.mean(np.sum(trials["chosen_side"] >= 0, axis=-1))),
        "reward_per_trial": float(np.mean(trials["reward"])),
        "reward_per_episode": float(np.mean(returns)),
    }
