"""Harlow inside the agent: which object is rewarded, decoded from the LSTM trial by trial, and the
reward-prediction error at trial 1's outcome vs trial 2's (Wang et al. 2018, Fig. 6).

Inputs (one seed, as ``Experiment.analyse_neural`` receives them): the trained agent's eval
arrays (E, T) with the Harlow info keys, and the neural arrays (E, T, ...) of ``--record``
(``hidden`` (E, T, H), ``rpe`` (E, T)) with their ``untrained__`` twins and the untrained
network's own behaviour (``untrained__trial_end``, ...: it plays the same problems with its own
choices). Works for the symbolic task (with or without fixation) and for the pixel task, whose
trials have varying length: every step is found from ``trial_index``/``trial_end``/``chosen_side``.

**Which object is rewarded.** At trial k's choice (its ``trial_end`` step), which of the two
objects on the screen is the rewarded one: the label is the rewarded object's side in that
trial (``correct_side``; each trial's sides are redrawn, so the side alone carries nothing from
one trial to the next). The hidden state ``h`` recorded at a step is computed from that step's
screen and the previous step's action and reward, so ``h`` at trial k's choice knows the
outcomes of trials 1 … k−1: at trial 1 nothing can be decoded (chance), and
``rewarded_object_accuracy_after_trial_1`` is the accuracy at trial 2's choice, the first made
knowing trial 1's outcome. A network can only get it right by joining what it kept of trial 1
(which object paid) with the current screen; the policy reads the same ``h`` linearly, so this
accuracy tracks the agent's own trial-2 accuracy, and the untrained network (same inputs) is the
control for what the inputs alone give.
**Memory of trial 1's layout** (``trial_1_layout_*``): a stricter, screen-free label, fixed for
the episode: whether the rewarded object stood on the LEFT in trial 1. A network that keeps the
rewarded object's identity (its features) rather than trial 1's sides need not code it
linearly, so it is reported beside, from ``h`` and from ``h`` with the cell state ``c``.
Logistic regression, 5 folds by episode, chance from permuting the episodes' labels
(:func:`metarl_jax.neural_analysis.decode`).

**RPE.** Mean |δ| at the outcome of trial k (its ``trial_end`` step with a choice,
``chosen_side >= 0``; trials without a choice are left out): ``rpe_trial_1`` vs ``rpe_trial_2``.
At trial 1 the outcome is a coin flip for anyone; an agent that has learnt to learn predicts
trial 2's, so its |δ| shrinks. Also the signed mean δ at those outcomes split by correct /
incorrect choices, and |δ| for every trial.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from metarl_jax.neural_analysis import decode
from metarl_jax.tasks.harlow.problems import LEFT

UNTRAINED = "untrained__"
MIN_EPISODES = 10  # fewer episodes with a trial's choice: no decoding at that trial (None)
PERMUTATIONS = 3  # label permutations for each chance level (each costs one cross-validated fit)


def trial_end_steps(behaviour: dict[str, np.ndarray], trials: int) -> np.ndarray:
    """The step that ends trial k of each episode (its ``trial_end`` step with ``trial_index``
    k), −1 where the trial never ended (the pixel task's budget ran out). (E, T) -> (E, trials)."""
    index = np.asarray(behaviour["trial_index"])[..., None]  # (E, T, 1)
    at_end = (index == np.arange(trials)) & np.asarray(behaviour["trial_end"], bool)[..., None]  # (E, T, trials)
    return np.where(at_end.any(axis=1), at_end.argmax(axis=1), -1)


def rewarded_left_in_trial_1(behaviour: dict[str, np.ndarray]) -> np.ndarray:
    """Whether the rewarded object stood on the left in trial 1 (step 0 always belongs to trial 1;
    the problem's sides do not depend on the agent). (E, T) -> (E,) int."""
    return (np.asarray(behaviour["correct_side"])[:, 0] == LEFT).astype(np.int64)


def _at(values: np.ndarray, steps: np.ndarray) -> np.ndarray:
    """values (E, T, ...) at one step per episode (E,) (steps >= 0) -> (E, ...)."""
    return np.asarray(values)[np.arange(len(steps)), np.maximum(steps, 0)]


def decode_rewarded_object(
    features: np.ndarray,
    behaviour: dict[str, np.ndarray],
    trials: int,
    permutations: int = PERMUTATIONS,
    first: int | None = None,
    label: str = "current_side",
) -> list[dict[str, Any] | None]:
    """Per trial k (of ``trials``; only the ``first`` ones if given): decoding from ``features``
    (E, T, D) at trial k's choice step, over the episodes where trial k ended, of the rewarded
    object's side in that trial (``label="current_side"``) or of :func:`rewarded_left_in_trial_1`
    (``"trial_1_layout"``) ({"score", "chance", "chance_sd", "n"}; None with fewer than
    :data:`MIN_EPISODES` episodes or a single class)."""
    ends = trial_end_steps(behaviour, trials)
    fixed = rewarded_left_in_trial_1(behaviour)
    out: list[dict[str, Any] | None] = []
    for k in range(trials if first is None else min(first, trials)):
        ended = ends[:, k] >= 0
        labels = fixed if label == "trial_1_layout" else np.asarray(_at(behaviour["correct_side"], ends[:, k]))
        y = labels[ended]
        if y.size < MIN_EPISODES or np.unique(y).size < 2:
            out.append(None)
            continue
        out.append(decode(_at(features, ends[:, k])[ended], y, discrete=True, permutations=permutations, seed=k))
    return out


def outcome_rpe(rpe: np.ndarray, behaviour: dict[str, np.ndarray], trials: int) -> dict[str, Any]:
    """δ at each trial's outcome (its end step with a choice): mean |δ| per trial (None where no
    episode chose), and the signed mean δ at trials 1 and 2 split by correct / incorrect."""
    ends = trial_end_steps(behaviour, trials)
    chose = (ends >= 0) & (np.stack([_at(behaviour["chosen_side"], ends[:, k]) for k in range(trials)], axis=1) >= 0)
    correct = np.stack([_at(behaviour["correct"], ends[:, k]) for k in range(trials)], axis=1).astype(bool)
    delta = np.stack([_at(rpe, ends[:, k]) for k in range(trials)], axis=1).astype(np.float64)  # (E, trials)

    def mean(values: np.ndarray) -> float | None:
        return float(values.mean()) if values.size else None

    out: dict[str, Any] = {"by_trial": [mean(np.abs(delta[chose[:, k], k])) for k in range(trials)]}
    for k in range(min(trials, 2)):
        out[f"trial_{k + 1}_correct"] = mean(delta[chose[:, k] & correct[:, k], k])
        out[f"trial_{k + 1}_incorrect"] = mean(delta[chose[:, k] & ~correct[:, k], k])
    return out


def _network_results(
    neural: dict[str, np.ndarray], behaviour: dict[str, np.ndarray], prefix: str, trials: int, suffix: str
) -> dict[str, Any]:
    """One network's numbers (``suffix`` "" or "_untrained"), from what was recorded."""
    out: dict[str, Any] = {}
    if f"{prefix}hidden" in neural:
        hidden = neural[f"{prefix}hidden"]
        for name, label in (("rewarded_object", "current_side"), ("trial_1_layout", "trial_1_layout")):
            decoded = decode_rewarded_object(hidden, behaviour, trials, label=label)
            scores = [d["score"] if d else None for d in decoded]
            out[f"{name}_accuracy_by_trial{suffix}"] = scores
            out[f"{name}_chance_by_trial{suffix}"] = [d["chance"] if d else None for d in decoded]
            out[f"{name}_accuracy_after_trial_1{suffix}"] = scores[1] if trials > 1 else None
            out[f"{name}_chance_after_trial_1{suffix}"] = decoded[1]["chance"] if trials > 1 and decoded[1] else None
        if f"{prefix}cell" in neural and trials > 1:  # the LSTM's whole state: its memory c beside h
            state = np.concatenate([hidden, neural[f"{prefix}cell"]], axis=-1)
            with warnings.catch_warnings():  # no permutations: its chance is NaN (mean of none), unused
                warnings.simplefilter("ignore", RuntimeWarning)
                both = decode_rewarded_object(state, behaviour, trials, permutations=0, first=2, label="trial_1_layout")
            out[f"trial_1_layout_accuracy_after_trial_1_hidden_and_cell{suffix}"] = (
                both[1]["score"] if both[1] else None
            )
    if f"{prefix}rpe" in neural:
        rpe = outcome_rpe(neural[f"{prefix}rpe"], behaviour, trials)
        out[f"rpe_by_trial{suffix}"] = rpe.pop("by_trial")
        out[f"rpe_trial_1{suffix}"] = out[f"rpe_by_trial{suffix}"][0]
        out[f"rpe_trial_2{suffix}"] = out[f"rpe_by_trial{suffix}"][1] if trials > 1 else None
        out |= {f"rpe_{k}{suffix}": v for k, v in rpe.items()}
    return out


def analyse_neural(
    behaviour: dict[str, np.ndarray],
    neural: dict[str, np.ndarray],
    params: Any,
    seed_analysis: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Every Harlow neural number of one seed, trained and untrained (``_untrained``) side by side:
    ``rewarded_object_accuracy_after_trial_1`` (and its permutation chance), the accuracy and
    chance per trial (lists), the same for ``trial_1_layout_*`` (and from h with c),
    ``rpe_trial_1`` / ``rpe_trial_2`` (mean |δ| at the outcome), |δ| per trial and signed δ at
    trials 1 and 2 by correct / incorrect choice."""
    trials = int(params.trials_per_episode)
    untrained_behaviour = {k[len(UNTRAINED) :]: v for k, v in neural.items() if k.startswith(UNTRAINED)}
    untrained_behaviour = {**behaviour, **untrained_behaviour}  # the problem's own keys where not recorded
    return {
        **_network_results(neural, behaviour, "", trials, ""),
        **_network_results(neural, untrained_behaviour, UNTRAINED, trials, "_untrained"),
    }
