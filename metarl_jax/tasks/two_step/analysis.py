"""Two-step analysis: stay probabilities, model-based index, lagged logistic regression.

All functions take trial-level NumPy arrays of one seed, shaped (episodes, trials):
first-stage action (int), trial reward (0/1 float) and common transition (bool).
"""

from __future__ import annotations

import numpy as np

SIGNATURE_GAP = 0.1  # stay_CR − stay_RR and stay_RU − stay_CU must each reach this
CELLS = ("common_rewarded", "rare_rewarded", "common_unrewarded", "rare_unrewarded")
REGRESSION_TYPES = ("common_rewarded", "common_unrewarded", "rare_rewarded", "rare_unrewarded")


def stay_probabilities(first_actions: np.ndarray, rewards: np.ndarray, common: np.ndarray) -> dict[str, float]:
    """P(repeat the previous first-stage action) split by the previous trial's
    transition (common/rare) and outcome (rewarded/unrewarded), pooled over
    episodes, skipping each episode's first trial. NaN for an empty cell.
    Inputs (E, T) -> {"stay_common_rewarded": ..., ...}."""
    a = np.asarray(first_actions)
    stay = a[:, 1:] == a[:, :-1]
    rewarded = np.asarray(rewards)[:, :-1] > 0
    is_common = np.asarray(common, dtype=bool)[:, :-1]
    out = {}
    for name in CELLS:
        c = is_common if name.startswith("common") else ~is_common
        r = rewarded if name.endswith("_rewarded") else ~rewarded
        mask = c & r
        out[f"stay_{name}"] = float(stay[mask].mean()) if mask.any() else float("nan")
    return out


def model_based_index(stay: dict[str, float]) -> float:
    """(stay_CR − stay_RR) − (stay_CU − stay_RU): the transition × reward interaction."""
    return (stay["stay_common_rewarded"] - stay["stay_rare_rewarded"]) - (
        stay["stay_common_unrewarded"] - stay["stay_rare_unrewarded"]
    )


def reward_main_effect(stay: dict[str, float]) -> float:
    """½(stay_CR + stay_RR) − ½(stay_CU + stay_RU): how much reward alone drives staying."""
    return 0.5 * (stay["stay_common_rewarded"] + stay["stay_rare_rewarded"]) - 0.5 * (
        stay["stay_common_unrewarded"] + stay["stay_rare_unrewarded"]
    )


def model_based_signature(stay: dict[str, float], gap: float = SIGNATURE_GAP) -> bool:
    """True when stay_CR − stay_RR >= gap and stay_RU − stay_CU >= gap (NaN -> False)."""
    a = stay["stay_common_rewarded"] - stay["stay_rare_rewarded"]
    b = stay["stay_rare_unrewarded"] - stay["stay_common_unrewarded"]
    return bool(a >= gap and b >= gap)


def lagged_design(
    first_actions: np.ndarray, rewards: np.ndarray, common: np.ndarray, num_lags: int = 5
) -> tuple[np.ndarray, np.ndarray]:
    """Miller et al. (2016) design: for lag k and trial type j, the regressor is the
    choice (±1) at t−k if trial t−k was of type j, else 0. Trials t >= num_lags of
    each episode. Returns X (N, 4·num_lags) ordered [type][lag] and y (N,) in {0, 1}."""
    a = np.asarray(first_actions)
    choice = np.where(a == 0, 1.0, -1.0)
    rewarded = np.asarray(rewards) > 0
    is_common = np.asarray(common, dtype=bool)
    types = {
        "common_rewarded": is_common & rewarded,
        "common_unrewarded": is_common & ~rewarded,
        "rare_rewarded": ~is_common & rewarded,
        "rare_unrewarded": ~is_common & ~rewarded,
    }
    num_trials = a.shape[1]
    cols = []
    for name in REGRESSION_TYPES:
        signed = choice * types[name]
        for k in range(1, num_lags + 1):
            cols.append(signed[:, num_lags - k : num_trials - k].reshape(-1))
    x = np.stack(cols, axis=1)
    y = (a[:, num_lags:] == 0).reshape(-1).astype(np.float64)
    return x, y


def fit_logistic(x: np.ndarray, y: np.ndarray, ridge: float = 1.0, iters: int = 50) -> tuple[np.ndarray, float]:
    """Ridge-penalised logistic regression by Newton's method (bias unpenalised).
    Stays near 1 cause separation; the ridge keeps weights finite. -> (weights, bias)."""
    n, d = x.shape
    xb = np.concatenate([x, np.ones((n, 1))], axis=1)
    w = np.zeros(d + 1)
    penalty = np.full(d + 1, ridge)
    penalty[-1] = 0.0
    for _ in range(iters):
        p = 1.0 / (1.0 + np.exp(-(xb @ w)))
        grad = xb.T @ (p - y) + penalty * w
        hess = (xb * (p * (1 - p))[:, None]).T @ xb + np.diag(penalty + 1e-9)
        step = np.linalg.solve(hess, grad)
        w -= step
        if np.max(np.abs(step)) < 1e-8:
            break
    return w[:-1], float(w[-1])


def lagged_regression(
    first_actions: np.ndarray, rewards: np.ndarray, common: np.ndarray, num_lags: int = 5, ridge: float = 1.0
) -> dict[str, object]:
    """Fit the lagged regression; report weights per trial type and lag, and the
    summed model-free (reward) and model-based (transition × reward) indices."""
    x, y = lagged_design(first_actions, rewards, common, num_lags)
    w, bias = fit_logistic(x, y, ridge)
    weights = {name: w[i * num_lags : (i + 1) * num_lags] for i, name in enumerate(REGRESSION_TYPES)}
    cr, cu, rr, ru = (weights[n] for n in REGRESSION_TYPES)
    return {
        "weights": {k: v.tolist() for k, v in weights.items()},
        "bias": bias,
        "model_free_index": float(np.sum(cr + rr - cu - ru) / 4),
        "model_based_index": float(np.sum(cr - rr - cu + ru) / 4),
    }


def trial_arrays(episodes: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Step-level evaluation arrays (..., steps) -> trial-level arrays (..., trials):
    first_stage_action, reward (summed over the trial), common_transition, good_state."""
    trial_end = np.asarray(episodes["trial_end"], dtype=bool)
    ends = np.nonzero(trial_end.reshape(-1, trial_end.shape[-1])[0])[0]
    steps_per_trial = int(ends[0]) + 1
    rewards = np.asarray(episodes["reward"])
    shape = rewards.shape[:-1] + (-1, steps_per_trial)
    return {
        "first_stage_action": np.asarray(episodes["first_stage_action"])[..., ends],
        "reward": rewards.reshape(shape).sum(-1),
        "common_transition": np.asarray(episodes["common_transition"], dtype=bool)[..., ends],
        "good_state": np.asarray(episodes["good_state"])[..., ends],
        "second_stage_state": np.asarray(episodes["second_stage_state"])[..., ends],
    }


def analyse_seed(trials: dict[str, np.ndarray]) -> dict[str, object]:
    """All two-step metrics of one seed from its trial arrays (episodes, trials)."""
    stay = stay_probabilities(trials["first_stage_action"], trials["reward"], trials["common_transition"])
    out: dict[str, object] = dict(stay)
    out["model_based_index"] = model_based_index(stay)
    out["reward_main_effect"] = reward_main_effect(stay)
    out["model_based_signature"] = model_based_signature(stay)
    out["regression"] = lagged_regression(trials["first_stage_action"], trials["reward"], trials["common_transition"])
    out["regression_model_based_index"] = out["regression"]["model_based_index"]
    out["regression_model_free_index"] = out["regression"]["model_free_index"]
    out["reward_per_trial"] = float(np.mean(trials["reward"]))
    out["reward_per_episode"] = float(np.mean(np.sum(trials["reward"], axis=-1)))
    return out
