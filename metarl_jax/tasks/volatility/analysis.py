"""Volatility analysis: Rescorla–Wagner learning rates fitted per phase, choice accuracy per phase,
choice traces over the test schedule, and the paired comparison of the phases across seeds.

Inputs are one seed's step arrays (episodes E, trials T): ``action`` (int), ``reward`` (float),
the env's info ``volatile`` (bool), ``good_option`` (int) and ``arm_probs`` (E, T, 2).

Learning rates: ``choice_models.fit_rescorla_wagner`` (softmax, maximum likelihood) on the pooled
episodes, its values updated on every trial and the likelihood taken over one phase's trials
(``mask``): α̂ and β̂ of the stable phase and of the volatile phase. Wang et al. (2018) and
Behrens et al. (2007): the learning rate is higher in the volatile phase.
"""

from __future__ import annotations

import hashlib
from typing import Any

import numpy as np

from metarl_jax.choice_models import fit_rescorla_wagner
from metarl_jax.core.stats import paired_difference

_FITS: dict[str, dict[str, float]] = {}  # phase fits by a digest of their inputs (analysis and compare share them)


def _digest(*arrays: np.ndarray) -> str:
    h = hashlib.sha1()
    for a in arrays:
        a = np.ascontiguousarray(a)
        h.update(str((a.dtype, a.shape)).encode())
        h.update(a.tobytes())
    return h.hexdigest()


def phase_fits(action: np.ndarray, reward: np.ndarray, volatile: np.ndarray) -> dict[str, float]:
    """Rescorla–Wagner (α, β) fitted on the stable and on the volatile trials of (E, T) arrays ->
    {alpha_stable, beta_stable, alpha_volatile, beta_volatile} (None for a phase with no trials).
    Fits of the same arrays are computed once per process."""
    action = np.asarray(action, np.int32)
    reward = np.asarray(reward, np.float32)
    volatile = np.asarray(volatile, bool)
    key = _digest(action, reward, volatile)
    if key not in _FITS:
        out: dict[str, Any] = {}
        for phase, mask in (("stable", ~volatile), ("volatile", volatile)):
            fit = fit_rescorla_wagner(action, reward, mask) if mask.any() else {"alpha": None, "beta": None}
            out[f"alpha_{phase}"], out[f"beta_{phase}"] = fit["alpha"], fit["beta"]
        _FITS[key] = out
    return dict(_FITS[key])


def stable_first(volatile: np.ndarray) -> np.ndarray:
    """(E, T) phase flags -> (E,) whether each episode starts with its stable phase."""
    return ~np.asarray(volatile, bool)[:, 0]


def choice_traces(action: np.ndarray, good_option: np.ndarray, arm_probs: np.ndarray, volatile: np.ndarray) -> dict:
    """Per phase order, the fraction of episodes choosing *option A* (the option good at trial 0)
    at each trial and A's mean reward probability: {"stable_first": {"choice": [T], "p": [T],
    "episodes": n}, "volatile_first": ...}; an order with no episode is left out."""
    action, good = np.asarray(action), np.asarray(good_option)
    option_a = good[:, :1]
    index = np.repeat(option_a[..., None], good.shape[1], axis=1)  # (E, T, 1)
    p_a = np.take_along_axis(np.asarray(arm_probs, np.float64), index, -1)[..., 0]
    chose_a = (action == option_a).astype(np.float64)
    first = stable_first(volatile)
    out = {}
    for name, rows in (("stable_first", first), ("volatile_first", ~first)):
        if rows.any():
            out[name] = {"choice": chose_a[rows].mean(0).tolist(), "p": p_a[rows].mean(0).tolist(),
                         "episodes": int(rows.sum())}  # fmt: skip
    return out


def analyse_seed(arrays: dict[str, np.ndarray], params: Any = None) -> dict[str, Any]:
    """One seed's metrics from step arrays (E, T):

    - ``reward_per_trial``: mean reward;
    - ``good_choice_stable`` / ``good_choice_volatile``: fraction of the phase's trials on which
      the good option was chosen;
    - ``alpha_stable``, ``beta_stable``, ``alpha_volatile``, ``beta_volatile``: :func:`phase_fits`;
    - ``alpha_difference`` = α̂_volatile − α̂_stable, ``alpha_volatile_greater`` (bool);
    - ``traces``: :func:`choice_traces` (lists, for the figure)."""
    action, reward = np.asarray(arrays["action"]), np.asarray(arrays["reward"], np.float64)
    volatile = np.asarray(arrays["volatile"], bool)
    good = action == np.asarray(arrays["good_option"])
    fits = phase_fits(action, reward, volatile)
    out: dict[str, Any] = {
        "reward_per_trial": float(reward.mean()),
        "good_choice_stable": float(good[~volatile].mean()) if (~volatile).any() else None,
        "good_choice_volatile": float(good[volatile].mean()) if volatile.any() else None,
        **fits,
    }
    both = fits["alpha_stable"] is not None and fits["alpha_volatile"] is not None
    out["alpha_difference"] = fits["alpha_volatile"] - fits["alpha_stable"] if both else None
    out["alpha_volatile_greater"] = bool(out["alpha_difference"] > 0) if both else None
    out["traces"] = choice_traces(action, arrays["good_option"], arrays["arm_probs"], volatile)
    return out


def seed_fits(arrays: dict[str, np.ndarray]) -> list[dict[str, float]]:
    """:func:`phase_fits` of each seed of (S, E, T) arrays."""
    return [phase_fits(a, r, v) for a, r, v in zip(arrays["action"], arrays["reward"], arrays["volatile"])]


def phase_comparison(arrays: dict[str, dict[str, np.ndarray]]) -> dict[str, Any]:
    """For every agent, α̂_volatile − α̂_stable paired across seeds (one fit per seed and phase):
    ``core.stats.paired_difference`` -> {agent: {mean, ci95, low, high, n, significant}}."""
    out = {}
    for name, arrs in arrays.items():
        fits = seed_fits(arrs)
        volatile = np.array([f["alpha_volatile"] for f in fits], np.float64)
        stable = np.array([f["alpha_stable"] for f in fits], np.float64)
        out[name] = paired_difference(volatile, stable)
    return out


def control_recovery(arrays: dict[str, np.ndarray], alpha: float, tolerance: float) -> dict[str, Any]:
    """The fixed-α control's fitted α per seed and phase against its true α: {alpha_true,
    alpha_stable [S], alpha_volatile [S], max_abs_error, tolerance, recovered (every |error| ≤
    tolerance)}."""
    fits = seed_fits(arrays)
    stable = [f["alpha_stable"] for f in fits]
    volatile = [f["alpha_volatile"] for f in fits]
    error = float(np.max(np.abs(np.array(stable + volatile, np.float64) - alpha)))
    return {"alpha_true": alpha, "alpha_stable": stable, "alpha_volatile": volatile, "max_abs_error": error,
            "tolerance": tolerance, "recovered": bool(error <= tolerance)}  # fmt: skip
