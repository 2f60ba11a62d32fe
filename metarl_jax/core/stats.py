"""Statistics over seeds and episodes, one copy: mean/SEM aggregates, t confidence intervals,
paired differences."""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np
import scipy.special


def aggregate(values: Sequence[Any]) -> dict[str, Any]:
    """Mean and SEM over seeds; booleans as the fraction of seeds; None when empty (the SEM
    also for a single seed: it is not defined there)."""
    vals = [v for v in values if v is not None]
    if vals and all(isinstance(v, (bool, np.bool_)) for v in vals):
        return {"fraction": float(np.mean(vals))}
    arr = np.array([float(v) for v in vals], dtype=float)
    arr = arr[np.isfinite(arr)]
    if arr.size == 0:
        return {"mean": None, "sem": None}
    return {"mean": float(arr.mean()), "sem": sem(arr) if arr.size > 1 else None}


def sem(values: Any) -> float:
    """Standard error of the mean (0 for a single value), ignoring NaN."""
    v = np.asarray(values, dtype=float).reshape(-1)
    v = v[np.isfinite(v)]
    return float(np.std(v, ddof=1) / np.sqrt(v.size)) if v.size > 1 else 0.0


def mean_ci95(x: Any) -> tuple[float, float]:
    """Mean of x (flattened) and the half-width of its 95% t confidence interval (NaN if < 2 values)."""
    x = np.asarray(x, np.float64).reshape(-1)
    n = x.size
    if n < 2:
        return float(x.mean()) if n else float("nan"), float("nan")
    half = scipy.special.stdtrit(n - 1, 0.975) * x.std(ddof=1) / np.sqrt(n)
    return float(x.mean()), float(half)


def paired_difference(a: np.ndarray, b: np.ndarray) -> dict[str, float]:
    """Mean of a − b over paired episodes (same problems and keys), with its 95% t CI.
    a, b: per-episode totals of two agents, same shape (any, flattened).
    -> {"mean", "ci95" (half-width), "low", "high", "n", "significant" (CI excludes 0)}."""
    a = np.asarray(a, np.float64)
    b = np.asarray(b, np.float64)
    if a.shape != b.shape:
        raise ValueError(f"paired arrays must have the same shape, got {a.shape} and {b.shape}")
    mean, half = mean_ci95(a - b)
    return {
        "mean": mean,
        "ci95": half,
        "low": mean - half,
        "high": mean + half,
        "n": int(a.size),
        "significant": bool(abs(mean) > half),
    }
