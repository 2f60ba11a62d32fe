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
import signal
import subprocess
from pathlib import Path
from typing import Any

import jax
import jax.numpy as jnp
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


class CheckpointError(RuntimeError):
    """A checkpoint file is truncated, corrupt, or does not match the run's config."""


# Test hook: SIGKILL this process in the middle of the n-th checkpoint write (1-based), after
# part of the temp file is on disk, to prove a torn write never damages a run.
KILL_IN_CHECKPOINT_ENV = "METARL_KILL_IN_CHECKPOINT"
_checkpoint_writes = 0


def _maybe_die_mid_write(f: Any, data: bytes) -> None:
    global _checkpoint_writes
    _checkpoint_writes += 1
    target = os.environ.get(KILL_IN_CHECKPOINT_ENV)
    if target and int(target) == _checkpoint_writes:
        f.write(data[: len(data) // 2])
        f.flush()
        os.fsync(f.fileno())
        os.kill(os.getpid(), signal.SIGKILL)


def checkpoint_path(ckpt_dir: Path, update: int) -> Path:
    return ckpt_dir / f"update_{update:09d}.msgpack"


def save_checkpoint(ckpt_dir: Path, state: Any, update: int) -> Path:
    """Serialise ``state`` (PRNG keys as key data) to ckpt_dir/update_<n>.msgpack
    (temp file, fsync, rename); keep the last 3."""
    ckpt_dir.mkdir(parents=True, exist_ok=True)
    path = checkpoint_path(ckpt_dir, update)
    data = serialization.to_bytes(keys_to_data(jax.device_get(state)))
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as f:
        _maybe_die_mid_write(f, data)
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    _fsync_dir(ckpt_dir)
    for old in list_checkpoints(ckpt_dir)[:-CHECKPOINT_KEEP]:
        old.unlink()
    return path


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def list_checkpoints(ckpt_dir: Path) -> list[Path]:
    """Complete checkpoints, oldest first (temp files of interrupted writes are ignored)."""
    return sorted(ckpt_dir.glob("update_*.msgpack")) if ckpt_dir.exists() else []


def load_checkpoint(path: Path, template: Any) -> Any:
    """Restore a checkpoint into the structure of ``template`` (a fresh state for the same
    config). Checks structure, shapes and dtypes; raises CheckpointError with the reason."""
    try:
        raw = serialization.msgpack_restore(path.read_bytes())
    except Exception as err:  # msgpack raises several types on torn data
        raise CheckpointError(f"checkpoint {path} is truncated or corrupt ({type(err).__name__}: {err})") from None
    data_template = keys_to_data(template)
    try:
        restored = serialization.from_state_dict(data_template, raw)
    except (ValueError, KeyError, TypeError) as err:
        raise CheckpointError(f"checkpoint {path} does not match this run's config: {err}") from None
    flat_t, _ = jax.tree_util.tree_flatten_with_path(data_template)
    flat_r = jax.tree.leaves(restored)
    if len(flat_t) != len(flat_r):
        raise CheckpointError(
            f"checkpoint {path} does not match this run's config: {len(flat_r)} arrays, expected {len(flat_t)}"
        )
    for (key_path, t), r in zip(flat_t, flat_r):
        r = np.asarray(r)
        if r.shape != np.shape(t) or r.dtype != np.asarray(t).dtype:
            where = jax.tree_util.keystr(key_path)
            raise CheckpointError(
                f"checkpoint {path} does not match this run's config: {where} is {r.dtype}{list(r.shape)}, "
                f"expected {np.asarray(t).dtype}{list(np.shape(t))}"
            )
    return data_to_keys(restored, template)


def is_key(x: Any) -> bool:
    """Whether an array holds typed PRNG keys (they need key_data / wrap_key_data to be stored or moved)."""
    return jax.dtypes.issubdtype(x.dtype, jax.dtypes.prng_key)


def data_to_keys(data: Any, template: Any) -> Any:
    """Inverse of keys_to_data: wrap uint32 key data back into typed keys where template has keys,
    and give every leaf the template's dtype (no weak types), so a restored state compiles alike."""

    def restore(d, t):
        if is_key(t):
            return jax.random.wrap_key_data(jnp.asarray(d, jnp.uint32), impl=jax.random.key_impl(t))
        return jnp.asarray(d, dtype=t.dtype)

    return jax.tree.map(restore, data, template)


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


def keys_to_data(state: Any) -> Any:
    """Replace typed PRNG keys by their uint32 key data (serialisable)."""
    return jax.tree.map(lambda x: jax.random.key_data(x) if is_key(x) else x, state)
