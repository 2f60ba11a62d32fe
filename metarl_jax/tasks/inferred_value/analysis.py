"""Inferred-value analysis: trial conditions after a reversal, prediction errors at target onset
split by them, and the model-free TD learner's prediction errors replayed on the same episodes.

Conditions (trials of blocks after the first, i.e. after a reversal; a target is "good" if it
pays ``reward_good`` in the current block):
- ``first``: the block's first trial: nothing since the reversal has shown it, so a prediction
  follows the old value;
- ``experienced``: the block's second trial, its target presented on the first trial too;
- ``inferred``: the block's second trial, its target not presented since the reversal (the other
  target was, on the first trial): its new value can only be inferred.
Each split by the target's new value (``_good`` / ``_bad``). Bromberg-Martin et al. (2010) and
Wang et al. (2018) Fig. 4 compare experienced and inferred on the second trial after a reversal.

Arrays are one seed's step arrays (E, T) with T = 3 steps per trial (fixation, target, outcome).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from metarl_jax.core.stats import mean_ci95
from metarl_jax.tasks.inferred_value.baselines import ALPHA, GAMMA, V0
from metarl_jax.tasks.inferred_value.env import STEPS_PER_TRIAL

PHASES = ("first", "experienced", "inferred")
CELLS = tuple(f"{phase}_{value}" for phase in PHASES for value in ("good", "bad"))


def trial_arrays(arrays: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Step arrays (E, 3K) -> trial arrays (E, K): the info of each trial (from its fixation
    step) and its reward (from its target step)."""
    out = {k: np.asarray(arrays[k])[:, 0::STEPS_PER_TRIAL] for k in
           ("target", "good_target", "trial_in_block", "block_index", "seen_since_reversal")}  # fmt: skip
    out["reward"] = np.asarray(arrays["reward"])[:, 1::STEPS_PER_TRIAL]
    return out


def conditions(trials: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Masks (E, K) of the CELLS (see the module docstring)."""
    after_reversal = np.asarray(trials["block_index"]) >= 1
    tib = np.asarray(trials["trial_in_block"])
    seen = np.asarray(trials["seen_since_reversal"], bool)
    good = np.asarray(trials["target"]) == np.asarray(trials["good_target"])
    phase = {
        "first": after_reversal & (tib == 0),
        "experienced": after_reversal & (tib == 1) & seen,
        "inferred": after_reversal & (tib == 1) & ~seen,
    }
    return {f"{p}_{v}": phase[p] & (good if v == "good" else ~good) for p in PHASES for v in ("good", "bad")}


def split_by_condition(values: np.ndarray, masks: dict[str, np.ndarray], prefix: str) -> dict[str, Any]:
    """Mean, 95% t CI half-width and count of ``values`` (E, K) per condition ->
    {f"{prefix}_{cell}", f"{prefix}_{cell}_ci95", f"{prefix}_{cell}_n"} (None for an empty or
    single-trial cell's mean / CI)."""
    out: dict[str, Any] = {}
    values = np.asarray(values, np.float64)
    for cell, mask in masks.items():
        mean, half = mean_ci95(values[mask]) if mask.any() else (float("nan"), float("nan"))
        out[f"{prefix}_{cell}"] = None if np.isnan(mean) else mean
        out[f"{prefix}_{cell}_ci95"] = None if np.isnan(half) else half
        out[f"{prefix}_{cell}_n"] = int(mask.sum())
    return out


def td_onset_errors(
    target: np.ndarray, reward: np.ndarray, alpha: float = ALPHA, gamma: float = GAMMA, v0: float = V0
) -> np.ndarray:
    """The model-free TD learner's (``baselines.model_free_td``, same equations) prediction error
    at each trial's target onset, δ = V[T] − V[F] before its updates, along trial arrays
    (E, K) of targets (0/1) and rewards -> (E, K)."""
    target = np.asarray(target, np.int64)
    reward = np.asarray(reward, np.float64)
    e, num_trials = target.shape
    rows = np.arange(e)
    v = np.full((e, 3), v0)
    onset = np.empty((e, num_trials))
    for k in range(num_trials):
        t = 1 + target[:, k]
        onset[:, k] = v[rows, t] - v[:, 0]
        v[:, 0] += alpha * onset[:, k]
        bootstrap = gamma * v[:, 0] if k < num_trials - 1 else 0.0
        v[rows, t] += alpha * (reward[:, k] + bootstrap - v[rows, t])
    return onset


def sign_follows(split: dict[str, Any], prefix: str, phase: str, good_sign: int) -> bool:
    """True when the mean of ``{prefix}_{phase}_good`` has sign ``good_sign`` and
    ``{prefix}_{phase}_bad`` the opposite one, both with 95% CIs excluding 0."""
    ok = True
    for value, sign in (("good", good_sign), ("bad", -good_sign)):
        mean, half = split.get(f"{prefix}_{phase}_{value}"), split.get(f"{prefix}_{phase}_{value}_ci95")
        ok = ok and mean is not None and half is not None and sign * mean - half > 0
    return bool(ok)


def analyse_seed(arrays: dict[str, np.ndarray]) -> dict[str, Any]:
    """One seed's step arrays -> reward per trial, counts of the conditions, and the model-free TD
    learner's onset prediction errors on these episodes (``mf_rpe_<cell>``, CIs, counts);
    ``mf_follows_old_value``: its inferred-good δ < 0 and inferred-bad δ > 0 (95% CIs)."""
    trials = trial_arrays(arrays)
    masks = conditions(trials)
    split = split_by_condition(td_onset_errors(trials["target"], trials["reward"]), masks, "mf_rpe")
    return {
        "reward_per_trial": float(np.mean(trials["reward"])),
        "reversals": int(np.sum(masks["first_good"] | masks["first_bad"])),
        **split,
        "mf_follows_old_value": sign_follows(split, "mf_rpe", "inferred", good_sign=-1),
    }
