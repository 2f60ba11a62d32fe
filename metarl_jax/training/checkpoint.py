"""Checkpoint I/O: flax msgpack files (never pickle), written to a temp file, fsynced, then
renamed, so a crash never leaves a torn file; the last few kept; restore checks structure."""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path
from typing import Any

import jax
import numpy as np
from flax import serialization

from metarl_jax.core.keys import data_to_keys, keys_to_data

CHECKPOINT_KEEP = 3


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


def restore_latest(run_dir: Path, template: Any) -> tuple[Any, int] | None:
    """Latest loadable checkpoint as (state, update), skipping (and reporting) damaged files."""
    for path in reversed(list_checkpoints(run_dir / "checkpoints")):
        try:
            state = load_checkpoint(path, template)
        except CheckpointError as err:
            sys.stderr.write(f"warning: skipping {err}\n")
            continue
        return state, int(np.asarray(state.update)[0])
    return None
