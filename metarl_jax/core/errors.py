"""Configuration errors and the validators every layer uses (envs, training, pipeline).

A ``ConfigError`` names the field, its value and what is allowed, so the command line can
exit with one line (status 2) before anything compiles.
"""

from __future__ import annotations

from typing import Any

import numpy as np


class ConfigError(ValueError):
    """A bad setting: names the field, its value and what is allowed."""

    def __init__(self, field: str, value: Any, allowed: str):
        self.field, self.value, self.allowed = field, value, allowed
        super().__init__(f"{field}={value!r} is not allowed: {allowed}")


def _numbers(value: Any) -> np.ndarray | None:
    """Value as a float array if it is a real number or an array of them (params may hold
    NumPy/JAX leaves for vmapped task distributions), else None."""
    if isinstance(value, (bool, np.bool_, str)) or value is None:
        return None
    try:
        arr = np.asarray(value)
    except Exception:
        return None
    if arr.dtype.kind not in "iuf":
        return None
    return arr.astype(np.float64)


def check_probability(name: str, value: Any) -> None:
    """Raise ConfigError unless ``value`` (a number or array) lies in [0, 1]."""
    arr = _numbers(value)
    if arr is None or not np.all((arr >= 0.0) & (arr <= 1.0)):
        raise ConfigError(name, value, "must be a probability in [0, 1]")


def check_positive_int(name: str, value: Any) -> None:
    """Raise ValueError unless ``value`` is an integer >= 1."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigError(name, value, "must be an integer >= 1")


def check_choice(name: str, value: Any, allowed: tuple[str, ...]) -> None:
    """Raise ValueError unless ``value`` is one of ``allowed``."""
    if value not in allowed:
        raise ConfigError(name, value, f"choose one of {', '.join(allowed)}")


def check_finite(name: str, value: Any) -> None:
    """Raise ConfigError unless ``value`` (a number or array) is finite."""
    arr = _numbers(value)
    if arr is None or not np.all(np.isfinite(arr)):
        raise ConfigError(name, value, "must be a finite number")
