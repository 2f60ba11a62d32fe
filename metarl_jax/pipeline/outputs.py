"""What a run writes beside its checkpoints: config.json (with the run's id and the history of
changed targets) and the evaluation set (eval.npz, analysis.json, figures/, summary.json),
replaced as one set: marked incomplete while it is being written."""

from __future__ import annotations

import datetime
import io
import json
import uuid
from pathlib import Path
from typing import Any

import numpy as np

from metarl_jax.pipeline.setup import RESUMABLE_TRAIN_FIELDS, config_record
from metarl_jax.pipeline.spec import Setup
from metarl_jax.training.config import to_dict
from metarl_jax.training.run_dir import atomic_write, write_json

EVAL_MARKER = "EVALUATION_INCOMPLETE"


def record_config(setup: Setup, layout: Any) -> str | None:
    """Write config.json for a new run (with a fresh run id), or bring a resumed run's up to date:
    the flags that may change on resume (``--total-episodes``, ...) are recorded as the current
    target with the previous values kept under "history". Returns the run's id (None for runs
    written before run ids existed)."""
    path = setup.run_dir / "config.json"
    if not setup.run.resume:
        run_id = uuid.uuid4().hex
        write_json(path, config_record(setup.spec, setup.train, setup.run, setup.env_params, layout, run_id))
        return run_id
    saved = json.loads(path.read_text())
    now = to_dict(setup.train)
    changed = {k: [saved["train"].get(k), now[k]] for k in RESUMABLE_TRAIN_FIELDS if saved["train"].get(k) != now[k]}
    if changed:
        entry = {"time": datetime.datetime.now().isoformat(timespec="seconds"), "changed": changed}
        saved["history"] = [*saved.get("history", []), entry]
        saved["train"] = now
        write_json(path, saved)
    return saved.get("run_id")


def begin_evaluation(run_dir: Path) -> None:
    """Mark the evaluation set incomplete and drop the previous summary, so a run interrupted
    here never shows one evaluation's summary beside another's arrays."""
    atomic_write(
        run_dir / EVAL_MARKER,
        b"evaluation started and not finished: eval.npz, analysis.json and figures/ may be partly new;\n"
        b"rerun it with --eval-only --resume DIR\n",
    )
    (run_dir / "summary.json").unlink(missing_ok=True)
    for name in ("neural.npz", "neural.json"):  # only a recorded evaluation writes them anew
        (run_dir / name).unlink(missing_ok=True)


def save_arrays(path: Path, arrays: dict[str, np.ndarray]) -> None:
    """A compressed .npz of plain arrays (loadable without pickle), written atomically."""
    buf = io.BytesIO()
    np.savez_compressed(buf, **arrays)
    atomic_write(path, buf.getvalue())


def save_eval_arrays(path: Path, arrays: dict[str, dict[str, np.ndarray]]) -> None:
    """eval.npz (keys ``<agent>__<array>``)."""
    save_arrays(path, {f"{agent}__{k}": v for agent, arrs in arrays.items() for k, v in arrs.items()})


def end_evaluation(run_dir: Path, summary: dict[str, Any]) -> None:
    """Write summary.json last, then clear the incomplete mark."""
    write_json(run_dir / "summary.json", summary)
    (run_dir / EVAL_MARKER).unlink(missing_ok=True)
