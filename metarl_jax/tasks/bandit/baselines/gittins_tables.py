"""Gittins index tables for the agents: computed once per γ (kept in memory and on disk) or per horizon."""

from __future__ import annotations

import functools
import os
from pathlib import Path

import numpy as np

from metarl_jax.core.cache import cache_dir
from metarl_jax.tasks.bandit.baselines.gittins import finite_horizon_gittins_indices, gittins_indices

_GITTINS_TABLES: dict[float, np.ndarray] = {}  # γ -> the largest table computed so far
GITTINS_CACHE_VERSION = 1  # bump when gittins_indices changes its numbers


def _gittins_cache_path(gamma: float) -> Path:
    return cache_dir() / f"gittins_v{GITTINS_CACHE_VERSION}_gamma{gamma!r}.npy"


def _load_cached_gittins(gamma: float, max_level: int) -> np.ndarray | None:
    """The disk table for γ if it covers ``max_level``; None if missing, too small or unreadable."""
    try:
        table = np.load(_gittins_cache_path(gamma))
    except (OSError, ValueError):
        return None
    ok = table.ndim == 2 and table.shape[0] == table.shape[1] > max_level and table.dtype == np.float32
    return table if ok else None


def _save_cached_gittins(gamma: float, table: np.ndarray) -> None:
    """Write atomically (temp file + rename); a read-only or full disk only costs a recompute."""
    path = _gittins_cache_path(gamma)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        with open(tmp, "wb") as f:
            np.save(f, table)
        os.replace(tmp, path)
    except OSError:
        pass


def gittins_table(gamma: float, max_level: int) -> np.ndarray:
    """Discounted Gittins indices as a (max_level+1, max_level+1) float32 table, table[s, f]
    (states beyond s + f = max_level are never reached and hold 0). Computed once per γ
    (large γ take a minute: γ = 0.998 needs a 2400-level lattice), kept in memory and on
    disk (``cache_dir()``), and sliced from the largest table computed so far (indices do
    not depend on the table's size beyond the truncation depth, whose effect is < 1e-6)."""
    gamma, max_level = float(gamma), int(max_level)
    cached = _GITTINS_TABLES.get(gamma)
    if cached is None or cached.shape[0] <= max_level:
        cached = _load_cached_gittins(gamma, max_level)
        if cached is None:
            table, _ = gittins_indices(gamma, max_level)
            cached = np.nan_to_num(table, nan=0.0).astype(np.float32)
            _save_cached_gittins(gamma, cached)
        _GITTINS_TABLES[gamma] = cached
    out = cached[: max_level + 1, : max_level + 1].copy()
    s, f = np.indices(out.shape)
    out[s + f > max_level] = 0.0
    return out


@functools.lru_cache(maxsize=8)
def finite_horizon_gittins_table(num_pulls: int) -> np.ndarray:
    """Finite-horizon indices as a (n+1, n+1, n+1) float32 table [h, s, f]; unreachable entries 0."""
    table, _ = finite_horizon_gittins_indices(int(num_pulls))
    return np.nan_to_num(table, nan=0.0).astype(np.float32)
