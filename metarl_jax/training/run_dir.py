"""Run-directory I/O: the directory itself, config.json and other JSON files (atomic),
metrics.jsonl, and the environment record (versions, device, git commit)."""

from __future__ import annotations

import datetime
import json
import math
import os
import platform
import shutil
import subprocess
from pathlib import Path
from typing import Any

import flax
import jax
import jaxlib
import numpy as np
import optax


class RunDirError(RuntimeError):
    """The run directory cannot be used as asked (exists without --overwrite, ...)."""


def default_run_name() -> str:
    return datetime.datetime.now().strftime("%Y%m%d-%H%M%S")


def prepare_run_dir(path: Path, overwrite: bool) -> Path:
    """Create ``path``; refuse an existing non-empty directory unless ``overwrite``."""
    if path.exists() and any(path.iterdir()):
        if not overwrite:
            raise RunDirError(f"run directory {path} exists; pass --overwrite to replace it or --name for a new one")
        shutil.rmtree(path)
    (path / "figures").mkdir(parents=True, exist_ok=True)
    return path


def git_commit() -> str | None:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            timeout=5,
            cwd=Path(__file__).resolve().parent,
        )
        return out.stdout.strip() or None
    except (OSError, subprocess.SubprocessError):
        return None


def environment_info() -> dict[str, Any]:
    """Versions, device and git commit recorded in config.json."""
    devices = jax.devices()
    return {
        "python": platform.python_version(),
        "jax": jax.__version__,
        "jaxlib": jaxlib.__version__,
        "flax": flax.__version__,
        "optax": optax.__version__,
        "numpy": np.__version__,
        "device": devices[0].platform,
        "device_kind": devices[0].device_kind,
        "device_count": len(devices),
        "git_commit": git_commit(),
    }


def json_ready(obj: Any) -> Any:
    """Convert numpy scalars/arrays and non-finite floats (-> null) for JSON."""
    if isinstance(obj, dict):
        return {str(k): json_ready(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [json_ready(v) for v in obj]
    if isinstance(obj, (np.ndarray, jax.Array)):
        return json_ready(np.asarray(obj).tolist())
    if isinstance(obj, (np.bool_, bool)):
        return bool(obj)
    if isinstance(obj, (np.integer,)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        f = float(obj)
        return f if math.isfinite(f) else None
    return obj


def write_json(path: Path, obj: Any) -> None:
    """Atomic JSON write (temp file + fsync + rename)."""
    atomic_write(path, (json.dumps(json_ready(obj), indent=2) + "\n").encode())


def atomic_write(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


class MetricsLog:
    """Appends one JSON line per chunk to metrics.jsonl (flushed at once)."""

    def __init__(self, path: Path):
        self.path = path

    def append(self, row: dict[str, Any]) -> None:
        with open(self.path, "a") as f:
            f.write(json.dumps(json_ready(row)) + "\n")
            f.flush()


def read_metrics(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def truncate_metrics(path: Path, update: int) -> None:
    """Keep only metrics rows with ``updates <= update`` (and drop a torn last line)."""
    if not path.exists():
        return
    keep = []
    for line in path.read_text().splitlines():
        try:
            row = json.loads(line)
        except json.JSONDecodeError:
            continue
        if row.get("updates", 0) <= update:
            keep.append(json.dumps(row))
    atomic_write(path, ("\n".join(keep) + "\n" if keep else "").encode())
