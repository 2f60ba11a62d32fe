"""Checkpoint I/O: flax msgpack files (never pickle), written to a temp file, fsynced, then
renamed, so a crash never leaves a torn file; the last few kept; restore checks structure.

A file is a msgpack map {"format": 2, "run_id", "sha256", "state"}: ``state`` is the flax
msgpack of the training state (PRNG keys as key data), ``sha256`` its digest (a flipped bit
is caught) and ``run_id`` the run that wrote it (another run's checkpoint of the same shapes
is refused). Files written before format 2 (the bare state) still load.
"""

from __future__ import annotations

import hashlib
import os
import signal
import sys
from pathlib import Path
from typing import Any

import jax
import msgpack
import numpy as np
from flax import serialization

from metarl_jax.core.keys import data_to_keys, keys_to_data

CHECKPOINT_KEEP = 3
CHECKPOINT_FORMAT = 2


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


def save_checkpoint(ckpt_dir: Path, state: Any, update: int, run_id: str | None = None) -> Path:
    """Serialise ``state`` (PRNG keys as key data) with its checksum and ``run_id`` to
    ckpt_dir/update_<n>.msgpack (temp file, fsync, rename); keep the last 3."""
    ckpt_dir.mkdir(parents=True, exist_ok=True)
    path = checkpoint_path(ckpt_dir, update)
    body = serialization.to_bytes(keys_to_data(jax.device_get(state)))
    data = msgpack.packb(
        {"format": CHECKPOINT_FORMAT, "run_id": run_id or "", "sha256": hashlib.sha256(body).hexdigest(), "state": body}
    )
    tmp = path.with_name(path.name + ".tmp")
    try:
        with open(tmp, "wb") as f:
            _maybe_die_mid_write(f, data)
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except OSError:  # disk full, ...: the earlier checkpoints stay as they were
        tmp.unlink(missing_ok=True)
        raise
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


def _state_bytes(path: Path, run_id: str | None) -> bytes:
    """The state's msgpack bytes of a checkpoint file, its checksum and run checked."""
    data = path.read_bytes()
    try:
        wrapper = msgpack.unpackb(data, raw=False)
    except Exception as err:  # msgpack raises several types on torn data
        raise CheckpointError(f"checkpoint {path} is truncated or corrupt ({type(err).__name__}: {err})") from None
    if not (isinstance(wrapper, dict) and wrapper.get("format") == CHECKPOINT_FORMAT):
        return data  # written before format 2: the bare state, no checksum or run id
    body = wrapper.get("state")
    if not isinstance(body, bytes) or hashlib.sha256(body).hexdigest() != wrapper.get("sha256"):
        raise CheckpointError(f"checkpoint {path} is damaged (its checksum does not match its contents)")
    if run_id and wrapper.get("run_id") and wrapper["run_id"] != run_id:
        raise CheckpointError(f"checkpoint {path} belongs to another run (run id {wrapper['run_id']}, not {run_id})")
    return body


def load_checkpoint(path: Path, template: Any, run_id: str | None = None) -> Any:
    """Restore a checkpoint into the structure of ``template`` (a fresh state for the same
    config). Checks checksum, run id (when both sides have one), structure, shapes and
    dtypes; raises CheckpointError with the reason."""
    try:
        raw = serialization.msgpack_restore(_state_bytes(path, run_id))
    except CheckpointError:
        raise
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


def restore_latest(run_dir: Path, template: Any, run_id: str | None = None) -> tuple[Any, int] | None:
    """Latest loadable checkpoint as (state, update), skipping (and reporting) damaged files
    and other runs' checkpoints."""
    for path in reversed(list_checkpoints(run_dir / "checkpoints")):
        try:
            state = load_checkpoint(path, template, run_id)
        except CheckpointError as err:
            sys.stderr.write(f"warning: skipping {err}\n")
            continue
        return state, int(np.asarray(state.update)[0])
    return None
