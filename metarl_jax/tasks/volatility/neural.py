"""Volatility, inside the agent: the current phase (stable vs volatile) decoded from the LSTM's h.

Per seed, from neural.npz's ``hidden`` (E, T, H) and ``untrained__hidden`` (the untrained network
on the same episodes) with eval.npz's ``volatile`` (E, T): logistic regression from h to the
phase, folds by episode, chance from permuting whole episodes' labels
(``neural_analysis.decode``).

Time in the episode cannot give the answer: h is taken only at *matched* trials, where the
phase is stable in half the episodes and volatile in the other half (the evaluation episodes'
phase order is a coin flip): trials before the shorter phase ends and from the longer phase's
end on (the default 120 stable + 170 volatile: trials 1–120 and 171–290), from trial
:data:`FIRST_TRIAL` on (the phase needs evidence), :data:`NUM_STEPS` evenly spaced. Trials
between the two phase lengths are volatile in every episode and are left out. As a check, the
same decoder given only the trial index (one-hot) at those steps is reported
(``regime_accuracy_from_time``): it sits at the permutation chance (the majority phase's share).

Where the information is: ``regime_accuracy_by_step`` decodes each matched trial on its own, and
``regime_accuracy_quiet`` pools the matched trials that follow :data:`QUIET` trials without a
reversal in any episode (on the test schedule the reversals are at fixed trials): there the
phase can only be read from a persistent trace of volatility, not from a recent reversal.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from metarl_jax.neural_analysis import decode

FIRST_TRIAL = 20  # step index of the first decoded trial (trial 21)
NUM_STEPS = 16  # matched trials decoded together
PERMUTATIONS = 5  # episode-label permutations for the chance level
QUIET = 20  # trials without a reversal (in any episode) before a "quiet" matched trial
NETWORKS = (("", ""), ("untrained__", "_untrained"))  # (neural.npz prefix, key suffix)


def matched_steps(volatile: np.ndarray) -> np.ndarray:
    """Step indices (from :data:`FIRST_TRIAL`) where the phase is not fixed by the step alone:
    both phases occur there across episodes; :data:`NUM_STEPS` of them, evenly spaced."""
    volatile = np.asarray(volatile, bool)
    mixed = np.nonzero(volatile.any(0) & (~volatile).any(0))[0]
    mixed = mixed[mixed >= FIRST_TRIAL] if (mixed >= FIRST_TRIAL).any() else mixed
    if mixed.size == 0:
        return mixed
    return np.unique(mixed[np.linspace(0, mixed.size - 1, min(NUM_STEPS, mixed.size)).round().astype(int)])


def decode_regime(hidden: np.ndarray, volatile: np.ndarray, steps: np.ndarray, suffix: str = "") -> dict[str, Any]:
    """Held-out accuracy of the phase decoded from h at ``steps`` (E, K samples), with chance."""
    result = decode(np.asarray(hidden)[:, steps], np.asarray(volatile)[:, steps], discrete=True,
                    permutations=PERMUTATIONS)  # fmt: skip
    above = result["score"] > result["chance"] + 3 * result["chance_sd"]
    return {
        f"regime_accuracy{suffix}": result["score"],
        f"regime_chance{suffix}": result["chance"],
        f"regime_chance_sd{suffix}": result["chance_sd"],
        f"regime_above_chance{suffix}": bool(above),
    }


def quiet_steps(steps: np.ndarray, good_option: np.ndarray) -> np.ndarray:
    """The ``steps`` preceded by :data:`QUIET` trials in which no episode's good option changed."""
    changed = (np.diff(np.asarray(good_option), axis=1) != 0).any(0)  # before step t + 1
    recent = np.array([changed[max(t - QUIET, 0) : t].any() for t in range(np.shape(good_option)[1])])
    return np.asarray(steps)[~recent[np.asarray(steps)] & (np.asarray(steps) >= QUIET)]


def by_step_accuracy(hidden: np.ndarray, volatile: np.ndarray, steps: np.ndarray) -> list[float]:
    """Held-out accuracy at each of ``steps`` decoded on its own (no permutations)."""
    return [decode(np.asarray(hidden)[:, t], np.asarray(volatile)[:, t], discrete=True, permutations=1)["score"]
            for t in steps]  # fmt: skip


def time_only_accuracy(volatile: np.ndarray, steps: np.ndarray) -> float:
    """The same decoding from the one-hot trial index alone (the confound's ceiling)."""
    labels = np.asarray(volatile)[:, steps]
    onehot = np.broadcast_to(np.eye(len(steps)), (labels.shape[0], len(steps), len(steps)))
    return decode(onehot, labels, discrete=True, permutations=1)["score"]


def analyse_neural(
    behaviour: dict[str, np.ndarray],
    neural: dict[str, np.ndarray],
    params: Any = None,
    seed_analysis: dict[str, Any] | None = None,
) -> dict:
    """One seed: ``regime_accuracy`` (trained), ``regime_accuracy_untrained``, their chance levels,
    ``regime_above_chance`` (accuracy > chance + 3 SD of the permuted scores), the decoded
    ``steps`` and ``regime_accuracy_from_time``; {} without a recorded ``hidden``."""
    if "hidden" not in neural or "volatile" not in behaviour:
        return {}
    steps = matched_steps(behaviour["volatile"])
    if steps.size == 0:
        return {}
    out: dict[str, Any] = {"regime_accuracy_from_time": time_only_accuracy(behaviour["volatile"], steps)}
    for prefix, suffix in NETWORKS:
        volatile = neural.get(f"{prefix}volatile", behaviour["volatile"])
        out |= decode_regime(neural[f"{prefix}hidden"], volatile, steps, suffix)
    quiet = quiet_steps(steps, behaviour["good_option"]) if "good_option" in behaviour else steps[:0]
    if quiet.size:
        out |= decode_regime(neural["hidden"], behaviour["volatile"], quiet, "_quiet")
    by_step = by_step_accuracy(neural["hidden"], behaviour["volatile"], steps)
    out |= {"steps": steps.tolist(), "quiet_steps": quiet.tolist(), "regime_accuracy_by_step": by_step}
    return out | (reversal_steps(behaviour["volatile"], behaviour["good_option"]) if "good_option" in behaviour else {})


def reversal_steps(volatile: np.ndarray, good_option: np.ndarray) -> dict[str, list[int]]:
    """For each phase order, the steps whose good option differs from the previous step's in
    some episode of that order (the test schedule's reversals, for the figure)."""
    first = ~np.asarray(volatile, bool)[:, 0]
    changed = np.diff(np.asarray(good_option), axis=1) != 0
    return {f"reversals_{name}": (np.nonzero(changed[rows].any(0))[0] + 1).tolist()
            for name, rows in (("stable_first", first), ("volatile_first", ~first))}  # fmt: skip
