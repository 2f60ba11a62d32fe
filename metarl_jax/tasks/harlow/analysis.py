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
return (:func:`metarl_jax.tasks.harlow.env.ideal_observer_return`), and
``trials_completed`` = mean number of trials per episode with a choice.
A trial without a choice (fixation broken, or no object picked) counts as
incorrect.

The pixel task (:mod:`metarl_jax.tasks.harlow.pixels`) has trials of varying
length (a choice or a timeout ends them) in a fixed step budget:
:func:`trials_by_index` reads each trial at the step whose ``trial_end`` is set
and whose ``trial_index`` is that trial; a trial that never ended (never
started: the budget ran out) is no choice, hence incorrect, with reward 0.
:func:`analyse_pixels_seed` adds ``timeouts`` (mean trials per episode ended
by a timeout) and uses that task's ideal observer for ``return_fraction``.
"""

from __future__ import annotations

import numpy as np

from metarl_jax.tasks.harlow import pixels as harlow_pixels
from metarl_jax.tasks.harlow.env import HarlowParams, ideal_observer_return


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


def trials_by_index(episodes: dict[str, np.ndarray], trials: int) -> dict[str, np.ndarray]:
    """Step-level arrays (..., steps) -> trial-level arrays (..., trials) for trials of any
    length: ``correct`` (bool), ``chosen_side`` / ``correct_side`` (int, −1 = no choice / never
    ended), ``timeout`` (bool, where the env reports it) at the step that ends trial t
    (``trial_end`` and ``trial_index == t``); ``reward`` summed over the steps of trial t."""
    index = np.asarray(episodes["trial_index"])[..., None]  # (..., steps, 1)
    in_trial = index == np.arange(trials)  # (..., steps, trials)
    at_end = in_trial & np.asarray(episodes["trial_end"], dtype=bool)[..., None]
    ended = at_end.any(axis=-2)

    def at_end_of(key: str, missing: int) -> np.ndarray:
        values = np.asarray(episodes[key])[..., None]
        return np.where(ended, np.where(at_end, values, 0).sum(axis=-2), missing)

    out = {
        "correct": (at_end & np.asarray(episodes["correct"], dtype=bool)[..., None]).any(axis=-2),
        "chosen_side": at_end_of("chosen_side", -1),
        "correct_side": at_end_of("correct_side", -1),
        "reward": np.where(in_trial, np.asarray(episodes["reward"], np.float32)[..., None], 0.0)
        .sum(axis=-2)
        .astype(np.float32),
    }
    if "timeout" in episodes:
        out["timeout"] = (at_end & np.asarray(episodes["timeout"], dtype=bool)[..., None]).any(axis=-2)
    return out


def accuracy_by_trial(correct: np.ndarray) -> np.ndarray:
    """Fraction correct at each trial position. correct (episodes, trials) bool -> (trials,) float."""
    return np.asarray(correct, dtype=np.float64).mean(axis=0)


def return_fraction(episode_returns: np.ndarray, params: HarlowParams) -> float:
    """Mean episode return / the ideal observer's expected return; NaN when that is <= 0
    (a ratio to a non-positive reference means nothing)."""
    return _fraction(episode_returns, ideal_observer_return(params))


def _fraction(episode_returns: np.ndarray, ideal: float) -> float:
    if ideal <= 0:
        return float("nan")
    return float(np.mean(episode_returns) / ideal)


def analyse_seed(episodes: dict[str, np.ndarray], params: HarlowParams) -> dict[str, object]:
    """All Harlow metrics of one seed from its step arrays (episodes, steps).
    ``params`` are the evaluation params (for the rewards of the ideal observer)."""
    return _metrics(trial_arrays(episodes), ideal_observer_return(params))


def analyse_pixels_seed(episodes: dict[str, np.ndarray], params: harlow_pixels.HarlowPixelsParams) -> dict[str, object]:
    """The same metrics for the pixel task (trials of varying length, trials never started
    counted incorrect), plus ``timeouts`` per episode."""
    trials = trials_by_index(episodes, params.trials_per_episode)
    out = _metrics(trials, harlow_pixels.ideal_observer_return(params))
    out["timeouts"] = float(np.mean(np.sum(trials["timeout"], axis=-1)))
    return out


def _metrics(trials: dict[str, np.ndarray], ideal: float) -> dict[str, object]:
    acc = accuracy_by_trial(trials["correct"])
    returns = trials["reward"].sum(axis=-1)
    return {
        "accuracy_by_trial": acc.tolist(),
        "accuracy_trial_1": float(acc[0]),
        "accuracy_trials_2_6": float(np.mean(trials["correct"][:, 1:])) if acc.size > 1 else float("nan"),
        "return_fraction": _fraction(returns, ideal),
        "trials_completed": float(np.mean(np.sum(trials["chosen_side"] >= 0, axis=-1))),
        "reward_per_trial": float(np.mean(trials["reward"])),
        "reward_per_episode": float(np.mean(returns)),
    }
