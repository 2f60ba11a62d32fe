"""Claiming a run directory before anything compiles: a lock file naming the holder's pid, and
``--overwrite`` that only ever replaces a run, keeping the old one until the new one has a checkpoint.

- A directory is claimed by creating ``.lock`` with ``O_CREAT | O_EXCL`` (atomic), holding the
  pid and host; a second run into a claimed directory is refused naming that pid. A lock left by
  a process that no longer runs (SIGKILL) is taken over.
- ``--overwrite`` replaces only a directory holding a run's ``config.json``; anything else is
  refused. The old run's files are moved aside into ``.replaced/`` inside the directory and
  deleted only after the new run's first checkpoint (:meth:`RunDirClaim.checkpoint_written`);
  if the new run fails before that, they are moved back.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import socket
from pathlib import Path

from metarl_jax.training.run_dir import RunDirError

LOCK_NAME = ".lock"
REPLACED_NAME = ".replaced"


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True


def lock_holder(path: Path) -> int | None:
    """The pid holding ``path``'s lock if that process still runs on this host, else None."""
    try:
        info = json.loads((path / LOCK_NAME).read_text())
    except (OSError, ValueError):
        return None
    pid = info.get("pid")
    if not isinstance(pid, int) or info.get("host") != socket.gethostname():
        return pid if isinstance(pid, int) else None  # another host: assume it still runs
    return pid if _pid_alive(pid) and pid != os.getpid() else None


def _os_error(path: Path, err: OSError) -> RunDirError:
    why = {errno.EACCES: "permission denied", errno.EROFS: "read-only file system", errno.ENOSPC: "disk full"}
    return RunDirError(f"run directory {path}: {why.get(err.errno, err.strerror or str(err))}")


class RunDirClaim:
    """A run directory held by this process until :meth:`release`."""

    def __init__(self, path: Path):
        self.path = path
        self.replaced: Path | None = None
        self._old_entries: list[str] = []

    def _take_lock(self) -> None:
        lock = self.path / LOCK_NAME
        for _ in range(2):
            try:
                fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            except FileExistsError:
                holder = lock_holder(self.path)
                if holder is not None:
                    raise RunDirError(f"run directory {self.path} is in use by another run (pid {holder})") from None
                lock.unlink(missing_ok=True)  # stale: its process is gone
                continue
            except OSError as err:
                raise _os_error(self.path, err) from None
            with os.fdopen(fd, "w") as f:
                json.dump({"pid": os.getpid(), "host": socket.gethostname()}, f)
            return
        raise RunDirError(f"run directory {self.path}: could not take its lock")

    def _set_aside(self, overwrite: bool) -> None:
        """Move an existing run's files into .replaced/ (overwrite), or refuse."""
        entries = [p for p in self.path.iterdir() if p.name != LOCK_NAME]
        if not entries:
            return
        if not overwrite:
            raise RunDirError(
                f"run directory {self.path} exists; pass --overwrite to replace it or --name for a new one"
            )
        if not (self.path / "config.json").is_file():
            raise RunDirError(
                f"--overwrite: {self.path} is not a run directory (no config.json); only a run is ever replaced"
            )
        aside = self.path / REPLACED_NAME
        if aside.exists():  # left by a replacement that died before its first checkpoint
            shutil.rmtree(aside)
            entries = [p for p in entries if p.name != REPLACED_NAME]
        aside.mkdir()
        for p in entries:
            os.replace(p, aside / p.name)
        self.replaced, self._old_entries = aside, [p.name for p in entries]

    def checkpoint_written(self) -> None:
        """The new run has a checkpoint: the run it replaced is deleted now."""
        if self.replaced is not None:
            shutil.rmtree(self.replaced, ignore_errors=True)
            self.replaced = None

    def release(self, succeeded: bool) -> None:
        """Drop the lock; a replaced run whose replacement failed before its first checkpoint
        is moved back (the failed run's files are discarded)."""
        if self.replaced is not None and not succeeded:
            for p in self.path.iterdir():
                if p.name not in (LOCK_NAME, REPLACED_NAME):
                    shutil.rmtree(p) if p.is_dir() else p.unlink()
            for name in self._old_entries:
                os.replace(self.replaced / name, self.path / name)
            shutil.rmtree(self.replaced, ignore_errors=True)
        elif self.replaced is not None:
            self.checkpoint_written()
        (self.path / LOCK_NAME).unlink(missing_ok=True)


def claim_run_dir(path: Path, overwrite: bool = False, resume: bool = False) -> RunDirClaim:
    """Create (new run) or open (``resume``) ``path`` and lock it; raises RunDirError with one
    line when it is a file, unwritable, held by another run, or an existing directory that may
    not be replaced."""
    if path.exists() and not path.is_dir():
        raise RunDirError(f"run directory {path} is a file, not a directory")
    claim = RunDirClaim(path)
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise _os_error(path, err) from None
    claim._take_lock()
    try:
        if not resume:
            claim._set_aside(overwrite)
            (path / "figures").mkdir(exist_ok=True)
    except BaseException:
        (path / LOCK_NAME).unlink(missing_ok=True)
        raise
    return claim
