"""Run-directory I/O: config.json, metrics.jsonl, msgpack checkpoints, summary helpers.

Checkpoints use ``flax.serialization`` msgpack (never pickle), written to a
temp file, fsynced, then renamed, so a crash never leaves a torn file.
"""

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

import jax
import numpy as np
from flax import serialization

CHECKPOINT_KEEP = 3


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
    import flax
    import jaxlib
    import optax

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


def save_checkpoint(ckpt_dir: Path, state: Any, update: int) -> Path:
    """Serialise ``state`` (PRNG keys as key data) to ckpt_dir/update_<n>.msgpack; keep the last 3."""
    ckpt_dir.mkdir(parents=True, exist_ok=True)
    path = ckpt_dir / f"update_{update:09d}.msgpack"
    atomic_write(path, serialization.to_bytes(keys_to_data(state)))
    for old in sorted(ckpt_dir.glob("update_*.msgpack"))[:-CHECKPOINT_KEEP]:
        old.unlink()
    return path


def keys_to_data(state: Any) -> Any:
    """Replace typed PRNG keys by their uint32 key data (serialisable)."""
    return jax.tree.map(
        lambda x: jax.random.key_data(x) if jax.dtypes.issubdtype(x.dtype, jax.dtypes.prng_key) else x, state
    )
