"""What the recorded network represents, for any task: cross-validated linear decoding (folds by
episode, chance from label permutation), PCA of hidden states, single-unit coding with a
corrected threshold, and reward-prediction-error summaries by condition.

Inputs are NumPy arrays from ``neural.npz`` (hidden states (E, T, H), values, TD errors) and
a task's own variables from ``eval.npz``; nothing here knows a task. Built on scikit-learn,
the library decoding studies in neuroscience already use.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any, Sequence

import numpy as np
import scipy.special
from threadpoolctl import threadpool_limits

from metarl_jax.core.stats import sem


def _sklearn() -> SimpleNamespace:
    """The scikit-learn pieces used here, imported on first use: about 1 s at start-up that
    only runs with --record need (every experiment script imports this module)."""
    from sklearn.decomposition import PCA
    from sklearn.linear_model import LogisticRegression, Ridge
    from sklearn.metrics import accuracy_score, r2_score
    from sklearn.model_selection import GroupKFold
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    return SimpleNamespace(
        PCA=PCA,
        LogisticRegression=LogisticRegression,
        Ridge=Ridge,
        accuracy_score=accuracy_score,
        r2_score=r2_score,
        GroupKFold=GroupKFold,
        make_pipeline=make_pipeline,
        StandardScaler=StandardScaler,
    )


def episode_folds(groups: np.ndarray, num_folds: int = 5) -> list[tuple[np.ndarray, np.ndarray]]:
    """(train, test) index pairs whose test sets hold whole episodes: ``groups`` (N,) is the
    episode of each sample, so no episode is ever split between training and testing."""
    groups = np.asarray(groups)
    k = min(num_folds, len(np.unique(groups)))
    return list(_sklearn().GroupKFold(n_splits=k).split(np.zeros(len(groups)), groups=groups))


def _flatten(features: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """features (E, D) or (E, T, D), labels (E,) or (E, T) -> (N, D), (N,), episode of each (N,)."""
    features, labels = np.asarray(features, np.float64), np.asarray(labels)
    if features.ndim == 2:
        return features, labels, np.arange(features.shape[0])
    e, t, d = features.shape
    return features.reshape(e * t, d), labels.reshape(e * t), np.repeat(np.arange(e), t)


def _cv_score(x: np.ndarray, y: np.ndarray, groups: np.ndarray, discrete: bool, folds: int) -> float:
    """Held-out accuracy (discrete) or R² (continuous) pooled over episode folds."""
    pred = np.empty(len(y), dtype=y.dtype if discrete else np.float64)
    for train, test in episode_folds(groups, folds):
        if discrete and len(np.unique(y[train])) < 2:  # one class only: predict it
            pred[test] = y[train][0]
            continue
        sk = _sklearn()
        model = sk.make_pipeline(
            sk.StandardScaler(), sk.LogisticRegression(max_iter=1000) if discrete else sk.Ridge(alpha=1.0)
        )
        model.fit(x[train], y[train])
        pred[test] = model.predict(x[test])
    return float(_sklearn().accuracy_score(y, pred)) if discrete else float(_sklearn().r2_score(y, pred))


def decode(
    features: np.ndarray,
    labels: np.ndarray,
    discrete: bool,
    folds: int = 5,
    permutations: int = 10,
    seed: int = 0,
) -> dict[str, Any]:
    """Cross-validated linear decoding of ``labels`` from ``features`` (logistic regression for a
    discrete variable: accuracy; ridge for a continuous one: R²), folds by episode. Chance is the
    mean score with the labels permuted across episodes (``permutations`` times).
    -> {"score", "chance", "chance_sd", "n"}."""
    x, y, groups = _flatten(features, labels)
    rng = np.random.default_rng(seed)
    episodes_labels = np.asarray(labels)
    # One BLAS thread: the fits are tiny, and BLAS threads waiting on each other make the
    # solver's many small calls slow on a busy machine (one decode, 60 samples, on 2 busy
    # cores: 6.7 s with 2 threads, 0.26 s with 1; the same results).
    with threadpool_limits(limits=1, user_api="blas"):
        score = _cv_score(x, y, groups, discrete, folds)
        null = [
            _cv_score(x, episodes_labels[rng.permutation(len(episodes_labels))].reshape(-1), groups, discrete, folds)
            for _ in range(permutations)
        ]  # whole episodes' labels shuffled: the structure within an episode is kept
    return {"score": score, "chance": float(np.mean(null)), "chance_sd": float(np.std(null)), "n": int(len(y))}


def pca(hidden: np.ndarray, num_components: int = 3) -> dict[str, Any]:
    """PCA of hidden states (E, T, H) over all steps -> {"explained_variance_ratio" (k,),
    "trajectories" (E, T, k): each episode's path in the top components}."""
    e, t, h = hidden.shape
    k = min(num_components, h, e * t)
    model = _sklearn().PCA(n_components=k).fit(hidden.reshape(e * t, h))
    return {
        "explained_variance_ratio": model.explained_variance_ratio_.tolist(),
        "trajectories": model.transform(hidden.reshape(e * t, h)).reshape(e, t, k),
    }


def unit_coding(activity: np.ndarray, regressors: dict[str, np.ndarray], alpha: float = 0.05) -> dict[str, Any]:
    """Per unit, least-squares regression of activity (N, U) on the named regressors (each (N,))
    with an intercept; a unit codes a regressor when its coefficient's two-sided t-test gives
    p < alpha / U (Bonferroni over units). -> {"fraction": {name: fraction of units},
    "significant": {name: bool (U,)}, "coef": {name: (U,)}}."""
    y = np.asarray(activity, np.float64)
    names = list(regressors)
    x = np.column_stack([np.ones(len(y)), *[np.asarray(regressors[n], np.float64) for n in names]])
    beta, *_ = np.linalg.lstsq(x, y, rcond=None)
    dof = max(len(y) - x.shape[1], 1)
    resid = y - x @ beta
    s2 = (resid**2).sum(0) / dof
    xtx_inv = np.linalg.pinv(x.T @ x)
    se = np.sqrt(np.outer(np.diag(xtx_inv), s2))
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.where(se > 0, beta / se, 0.0)
    p = 2 * scipy.special.stdtr(dof, -np.abs(t))  # two-sided t-test (= 2 * scipy.stats.t.sf(|t|, dof))
    threshold = alpha / y.shape[1]
    significant = {n: p[i + 1] < threshold for i, n in enumerate(names)}
    return {
        "fraction": {n: float(s.mean()) for n, s in significant.items()},
        "significant": significant,
        "coef": {n: beta[i + 1] for i, n in enumerate(names)},
    }


def mean_by_condition(values: np.ndarray, conditions: dict[str, np.ndarray]) -> dict[str, dict[str, Any]]:
    """Mean, SEM and count of ``values`` where each boolean mask (same shape) holds:
    e.g. the TD error at the outcome split by the previous trial's transition × reward."""
    values = np.asarray(values, np.float64)
    out = {}
    for name, mask in conditions.items():
        v = values[np.asarray(mask, bool)]
        out[name] = {
            "mean": float(v.mean()) if v.size else None,
            "sem": sem(v) if v.size > 1 else None,
            "n": int(v.size),
        }
    return out


def by_time_in_trial(values: np.ndarray, steps_per_trial: int) -> list[float]:
    """Mean of ``values`` (E, T) at each step within a trial (T = trials × steps_per_trial)."""
    values = np.asarray(values, np.float64)
    e, t = values.shape
    return values.reshape(e, t // steps_per_trial, steps_per_trial).mean((0, 1)).tolist()


def select_steps(array: np.ndarray, steps: Sequence[int] | np.ndarray) -> np.ndarray:
    """``array`` (E, T, ...) at the given step indices -> (E, len(steps), ...)."""
    return np.asarray(array)[:, np.asarray(steps)]
