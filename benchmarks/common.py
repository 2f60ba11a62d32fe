"""Benchmark helpers: result rows in DESIGN's schema, appended to results/<device>-<date>.json."""

from __future__ import annotations

import datetime
import json
import re
import time
from pathlib import Path
from typing import Any, Callable

import jax

RESULTS = Path(__file__).resolve().parent / "results"
BATCHES = (1, 16, 256, 4096, 65536)


def device_slug() -> str:
    d = jax.devices()[0]
    kind = d.device_kind if d.platform != "cpu" else "cpu"
    return re.sub(r"[^a-z0-9]+", "-", f"{d.platform}-{kind}".lower()).strip("-")


def row(
    bench: str, env: str, variant: str, unit: str, batch: int, value: float, compile_included: bool, **extra
) -> dict[str, Any]:
    return {
        "bench": bench,
        "env": env,
        "variant": variant,
        "unit": unit,
        "batch": batch,
        "value": value,
        "compile_included": compile_included,
        "device": device_slug(),
        "jax_version": jax.__version__,
        **extra,
    }


def append_rows(rows: list[dict[str, Any]], results_dir: Path = RESULTS) -> Path:
    """Append rows to results/<device-slug>-<ISO date>.json (a JSON list)."""
    results_dir.mkdir(parents=True, exist_ok=True)
    path = results_dir / f"{device_slug()}-{datetime.date.today().isoformat()}.json"
    existing = json.loads(path.read_text()) if path.exists() else []
    path.write_text(json.dumps(existing + rows, indent=1) + "\n")
    return path


def time_call(fn: Callable[[], Any], min_time: float = 1.0, max_reps: int = 50) -> float:
    """Seconds per call of an already-compiled fn (blocks on the result), at least min_time total."""
    jax.block_until_ready(fn())
    reps, total = 0, 0.0
    while total < min_time and reps < max_reps:
        t0 = time.perf_counter()
        jax.block_until_ready(fn())
        total += time.perf_counter() - t0
        reps += 1
    return total / reps
