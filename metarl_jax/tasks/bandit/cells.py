"""Table cells: one bandit training run per directory, reused, resumed or refused, and read back.

A cell is reused when finished, resumed when interrupted, refused when asked for other settings
than it was trained with; ``trained_state`` and ``metarl_totals`` read its agent and totals back."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from metarl_jax.pipeline import parse, run_experiment
from metarl_jax.tasks.bandit.experiment import bandit
from metarl_jax.training.a2c import make_train
from metarl_jax.training.checkpoint import restore_latest
from metarl_jax.training.cli import RUN_SIZE_FLAGS, without_flags
from metarl_jax.training.config import to_dict
from metarl_jax.training.loop import seed_keys


def smoke_sized(flags: Sequence[str]) -> list[str]:
    """With --smoke among ``flags``, drop the table's run-size flags (and their values) so the
    cell runs at smoke size (explicit flags would beat --smoke)."""
    return without_flags(flags, RUN_SIZE_FLAGS) if "--smoke" in flags else list(flags)


def run_cell(out_dir: Path, name: str, flags: Sequence[str], quiet: bool = False) -> Path:
    """Run the bandit experiment in ``out_dir/name`` (reuse it if finished, resume it if
    interrupted) and return its run directory. Raises like ``pipeline.run_experiment``."""
    flags = smoke_sized(flags)
    run_dir = Path(out_dir) / name
    if (run_dir / "config.json").is_file():
        check_same_config(run_dir, flags)
    if (run_dir / "summary.json").is_file():
        return run_dir
    quiet_flag = ["--quiet"] if quiet else []
    if (run_dir / "config.json").is_file():
        argv = ["--resume", str(run_dir), *quiet_flag]
    else:
        argv = [*flags, "--run-dir", str(run_dir), *quiet_flag]
    run_experiment(parse(bandit(), argv, f"bandit.py [{name}]"))
    return run_dir


class CellMismatch(Exception):
    """An existing cell directory was trained with other settings than the table asks for."""


def check_same_config(run_dir: Path, flags: Sequence[str]) -> None:
    """Refuse to reuse or resume a cell whose saved training/env config differs from ``flags``."""
    wanted = parse(bandit(), [*flags, "--run-dir", str(run_dir)], "bandit.py --table")
    saved = json.loads((run_dir / "config.json").read_text())
    for kind, now in (("train", to_dict(wanted.train)), ("env_params", to_dict(wanted.env_params))):
        diff = {k: (saved[kind].get(k), v) for k, v in now.items() if saved[kind].get(k) != v}
        if diff:
            details = ", ".join(f"{k}: saved {a!r}, asked {b!r}" for k, (a, b) in diff.items())
            raise CellMismatch(f"{run_dir} was trained with other settings ({details}); use another --out")


def metarl_totals(run_dir: Path) -> np.ndarray:
    """Total reward per evaluation episode of every seed, (S·E,), from eval.npz."""
    with np.load(run_dir / "eval.npz") as data:
        return np.asarray(data["metarl__reward"], np.float64).sum(-1).reshape(-1)


def trained_state(run_dir: Path) -> tuple[Any, Any, Any]:
    """(setup, fns, final state) of a finished bandit run directory."""
    setup = parse(bandit(), ["--resume", str(run_dir), "--eval-only", "--quiet"], "bandit.py")
    fns = make_train(setup.train, setup.env, setup.env_params)
    restored = restore_latest(run_dir, fns.init(seed_keys(setup.train)))
    if restored is None:
        raise RuntimeError(f"{run_dir}: no loadable checkpoint")
    return setup, fns, restored[0]


def check_cell_flags(flags: Sequence[str]) -> None:
    """Parse (never run) a cell with these flags: exits 2 with one line on a bad one."""
    parse(bandit(), [*flags, "--run-dir", "unused"], "bandit.py --table")
