"""Bandit analysis: total reward, cumulative regret, regret curves and paired comparisons.

Inputs are one seed's step-level evaluation arrays, shaped (episodes E, steps T):
``reward`` (float), ``action`` (int) and the env's info ``regret`` (best p − chosen p,
the expected regret of the pull), optionally ``arm_probs`` (E, T, k). A bandit step
is one trial, so per-step and per-trial coincide.

Paired comparisons: when two agents play the same problems with the same keys
(``metarl_jax.evaluation``: every agent meets the same problems), the per-episode
difference of their total rewards removes the between-problem variance; its mean
comes with a t confidence interval.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.special

from metarl_jax.core.stats import paired_difference


def episode_totals(values: np.ndarray) -> np.ndarray:
    """Per-episode sums over steps: (E, T) -> (E,)."""
    values = np.asarray(values, np.float64)
    if values.ndim != 2:
        raise ValueError(f"expected (episodes, steps), got shape {values.shape}")
    return values.sum(axis=1)


def regret_curve(regret: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Cumulative regret after each trial, averaged over episodes: (E, T) ->
    (mean (T,), 95% CI half-width (T,)). curve[t] = mean_e Σ_{τ<=t} regret[e, τ]."""
    cum = np.cumsum(np.asarray(regret, np.float64), axis=1)
    n = cum.shape[0]
    mean = cum.mean(axis=0)
    if n < 2:
        return mean, np.full_like(mean, np.nan)
    half = scipy.special.stdtrit(n - 1, 0.975) * cum.std(axis=0, ddof=1) / np.sqrt(n)
    return mean, half


def analyse_seed(arrays: dict[str, np.ndarray]) -> dict[str, Any]:
    """One seed's metrics from step arrays (E, T):

    - ``total_reward``: mean over episodes of Σₜ rₜ;
    - ``cumulative_regret``: mean over episodes of Σₜ (max p − p[aₜ]);
    - ``reward_per_trial``: total_reward / T;
    - ``regret_curve``: list (T,), mean cumulative regret after each trial;
    - ``best_arm_fraction`` (if ``arm_probs`` given): fraction of pulls of a best arm."""
    rewards = np.asarray(arrays["reward"], np.float64)
    regret = np.asarray(arrays["regret"], np.float64)
    if rewards.shape != regret.shape:
        raise ValueError(f"reward {rewards.shape} and regret {regret.shape} differ")
    num_trials = rewards.shape[1]
    total = float(episode_totals(rewards).mean())
    out: dict[str, Any] = {
        "total_reward": total,
        "cumulative_regret": float(episode_totals(regret).mean()),
        "reward_per_trial": total / num_trials,
        "regret_curve": regret_curve(regret)[0].tolist(),
    }
    if "arm_probs" in arrays:
        probs = np.asarray(arrays["arm_probs"])
        chosen = np.take_along_axis(probs, np.asarray(arrays["action"])[..., None], axis=-1)[..., 0]
        out["best_arm_fraction"] = float(np.mean(chosen == probs.max(axis=-1)))
    return out


def compare_agents(totals: dict[str, np.ndarray], reference: str) -> dict[str, dict[str, float]]:
    """Paired differences of every agent's per-episode total reward against ``reference``'s:
    {agent: paired_difference(totals[agent], totals[reference])} for agent != reference."""
    ref = totals[reference]
    return {name: paired_difference(x, ref) for name, x in totals.items() if name != reference}
