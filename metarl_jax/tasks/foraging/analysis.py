"""Foraging analysis: lagged logistic regression of choice on past rewards and choices (Lau &
Glimcher 2005), matching per episode (Herrnstein), and the same for a Rescorla–Wagner learner
fitted to the agent and replayed on its episodes.

Inputs are one seed's step arrays (E, T): ``action`` (0/1), ``reward`` (0/1) and the env's
``bait_arrival`` (E, T, 2). One step is one trial.

- Regression (Lau & Glimcher 2005, Eq. 5 form): for trials t ≥ K,
  logit P(aₜ = 1) = b + Σₖ₌₁..K βₖ·rₜ₋ₖ + Σₖ γₖ·cₜ₋ₖ, with rₜ = +1 if a reward came from option
  1, −1 if from option 0, 0 if none, and cₜ = +1 / −1 for choosing option 1 / 0. Maximum
  likelihood by Newton's method (iteratively reweighted least squares).
- Matching: per episode with at least one reward, the fraction of choices of option 1 against
  the fraction of rewards that came from option 1; ``matching_slope`` is the least-squares
  slope over episodes (1 = matching, < 1 = undermatching); ``matching_slope_log`` the slope of
  log(C₁/C₀) on log(R₁/R₀) (generalised matching, Baum 1974) over episodes where all four
  counts are positive.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from metarl_jax.tasks.foraging.baselines import fitted_reference

LAGS = 5  # past trials in the regression (Lau & Glimcher 2005 used more; 5 is the example)
NEWTON_STEPS = 25
RIDGE = 1e-6  # keeps the Newton system invertible when a regressor never varies


def lagged_design(action: np.ndarray, reward: np.ndarray, lags: int = LAGS) -> tuple[np.ndarray, np.ndarray]:
    """(E, T) choices and rewards -> design (N, 1 + 2·lags) [1, r lags 1..K, c lags 1..K] and
    y (N,) = aₜ, over trials t = lags..T−1 of every episode."""
    a = np.asarray(action, np.int64)
    r = np.asarray(reward, np.float64)
    if a.ndim != 2 or a.shape != r.shape:
        raise ValueError(f"action {a.shape} and reward {r.shape} must both be (episodes, trials)")
    if a.shape[1] <= lags:
        raise ValueError(f"episodes of {a.shape[1]} trials are too short for {lags} lags")
    c = 2.0 * a - 1.0  # +1 option 1, −1 option 0
    signed = c * (r > 0)  # +1 reward from option 1, −1 from option 0, 0 none
    t = a.shape[1]
    shifted = [(signed[:, lags - k : t - k], c[:, lags - k : t - k]) for k in range(1, lags + 1)]
    cols = [s for s, _ in shifted] + [ch for _, ch in shifted]
    x = np.stack([np.ones_like(cols[0]), *cols], axis=-1).reshape(-1, 1 + 2 * lags)
    return x, a[:, lags:].reshape(-1).astype(np.float64)


def logistic_fit(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Maximum-likelihood logistic regression by Newton's method -> (coef, standard errors)."""
    coef = np.zeros(x.shape[1])
    ridge = RIDGE * np.eye(x.shape[1])
    for _ in range(NEWTON_STEPS):
        p = 1.0 / (1.0 + np.exp(-(x @ coef)))
        hessian = (x * (p * (1 - p))[:, None]).T @ x + ridge
        step = np.linalg.solve(hessian, x.T @ (y - p) - RIDGE * coef)
        coef = coef + step
        if np.max(np.abs(step)) < 1e-10:
            break
    p = 1.0 / (1.0 + np.exp(-(x @ coef)))
    cov = np.linalg.inv((x * (p * (1 - p))[:, None]).T @ x + ridge)
    return coef, np.sqrt(np.diag(cov))


def choice_regression(action: np.ndarray, reward: np.ndarray, lags: int = LAGS) -> dict[str, Any]:
    """Lau–Glimcher weights: {"reward_weights" [β₁..β_K], "choice_weights" [γ₁..γ_K], their
    standard errors, "bias"}."""
    coef, se = logistic_fit(*lagged_design(action, reward, lags))
    return {
        "reward_weights": coef[1 : 1 + lags].tolist(),
        "reward_weights_se": se[1 : 1 + lags].tolist(),
        "choice_weights": coef[1 + lags :].tolist(),
        "choice_weights_se": se[1 + lags :].tolist(),
        "bias": float(coef[0]),
    }


def matching(action: np.ndarray, reward: np.ndarray) -> dict[str, Any]:
    """Per-episode choice and reward fractions of option 1 and the matching slopes (module
    docstring). Episodes without a reward are left out."""
    a1 = np.asarray(action) == 1
    r = np.asarray(reward, np.float64) > 0
    rewards = r.sum(1)
    keep = rewards > 0
    choice_frac = a1.mean(1)[keep]
    reward_frac = ((r & a1).sum(1) / np.maximum(rewards, 1))[keep]
    slope = float(np.polyfit(reward_frac, choice_frac, 1)[0]) if np.ptp(reward_frac) > 0 else None
    counts = np.stack([a1.sum(1), (~a1).sum(1), (r & a1).sum(1), (r & ~a1).sum(1)], axis=1).astype(np.float64)
    full = (counts > 0).all(1)
    log_slope = None
    if full.sum() >= 3:
        lc, lr = np.log(counts[full, 0] / counts[full, 1]), np.log(counts[full, 2] / counts[full, 3])
        log_slope = float(np.polyfit(lr, lc, 1)[0]) if np.ptp(lr) > 0 else None
    return {
        "choice_fraction": choice_frac.tolist(),
        "reward_fraction": reward_frac.tolist(),
        "matching_slope": slope,
        "matching_slope_log": log_slope,
        "matching_episodes": int(keep.sum()),
    }


def weights_decay(weights: list[float]) -> bool:
    """Decay with lag: the least-squares slope of the weights over lags is negative and the last
    lag's weight is below the first's (a peak at lag 2 is allowed; see :func:`weights_monotone`)."""
    w = np.asarray(weights, np.float64)
    return bool(np.polyfit(np.arange(1, w.size + 1), w, 1)[0] < 0 and w[-1] < w[0])


def weights_monotone(weights: list[float]) -> bool:
    """Every weight smaller than the one before it (β₁ > β₂ > ... > β_K)."""
    return bool(np.all(np.diff(np.asarray(weights)) < 0))


def behaviour(action: np.ndarray, reward: np.ndarray, prefix: str = "") -> dict[str, Any]:
    """Regression and matching of one agent's choices, keys prefixed with ``prefix``."""
    reg = choice_regression(action, reward)
    out = reg | matching(action, reward)
    out |= {
        "reward_per_trial": float(np.mean(reward)),
        "reward_weights_positive": bool(np.all(np.asarray(reg["reward_weights"]) > 0)),
        "reward_weights_decay": weights_decay(reg["reward_weights"]),
        "reward_weights_monotone": weights_monotone(reg["reward_weights"]),
        "reward_weight_peak_lag": int(np.argmax(reg["reward_weights"])) + 1,
        "reward_weight_lag1": reg["reward_weights"][0],
        "choice_weight_lag1": reg["choice_weights"][0],
    }
    return {f"{prefix}{k}": v for k, v in out.items()}


def analyse_seed(arrays: dict[str, np.ndarray], params: Any = None) -> dict[str, Any]:
    """One seed's agent: :func:`behaviour` of its choices; the Rescorla–Wagner fit to them
    (``rw_alpha``, ``rw_beta``, ``rw_nll_per_trial``) and :func:`behaviour` of the fitted model
    replayed on the same episodes (keys ``rw_...``)."""
    out = behaviour(arrays["action"], arrays["reward"])
    fit, replayed = fitted_reference(arrays)
    out |= {"rw_alpha": fit["alpha"], "rw_beta": fit["beta"], "rw_nll_per_trial": fit["nll"] / fit["num_trials"]}
    return out | behaviour(replayed["action"], replayed["reward"], prefix="rw_")
