"""Benchmark helpers: result rows in DESIGN's schema, appended to results/<device>-<date>.json."""

from __future__ import annotations

import argparse
import datetime
import functools
import json
import os
import platform
import re
import time
from pathlib import Path
from typing import Any, Callable

import jax

RESULTS = Path(__file__).resolve().parent / "results"
BATCHES = (1, 16, 256, 4096, 65536)
GIB = 1024**3

# Tags every row of this process: which run it came from and how it was run.
RUN_INFO: dict[str, Any] = {"run_id": datetime.datetime.now().isoformat(timespec="seconds"), "mode": "full"}


def set_mode(mode: str) -> None:
    """'full', 'quick' or 'smoke': RESULTS.md prefers full runs and says when it shows another."""
    RUN_INFO["mode"] = mode


def add_cpu_devices_flag(parser: argparse.ArgumentParser) -> None:
    """``--cpu-devices N``: XLA CPU devices training shards seeds over (default: one per core)."""
    parser.add_argument(
        "--cpu-devices", type=int, help="XLA CPU devices training shards seeds over (default: one per core)"
    )


def configure_devices(parser: argparse.ArgumentParser, requested: int | None) -> None:
    """Split a CPU into ``requested`` XLA devices, by default one per core, as the experiment
    scripts do (metarl_jax.training.cpu_devices), before JAX starts; training benches shard
    their seeds as training lays them out (metarl_jax.training.seed_layout). A bad request is a parser error."""
    from metarl_jax.core.errors import ConfigError
    from metarl_jax.training.cpu_devices import available_cores, configure_cpu_devices

    try:
        configure_cpu_devices(available_cores(), requested)  # as many seeds as cores: one device each
    except ConfigError as err:
        parser.error(str(err))


def _slug(text: str) -> str:
    text = re.sub(r"\((r|tm)\)", "", text.lower())
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-")


def device_slug() -> str:
    """gpu-<card>, tpu-<kind>, or cpu-<model>-<cores>c: CPUs of one name but another model
    or core count (machines of one kind can differ between sessions) keep their own rows."""
    d = jax.devices()[0]
    if d.platform != "cpu":
        return _slug(f"{d.platform}-{d.device_kind}")
    return _slug(f"cpu-{cpu_label()}-{os.cpu_count()}c")


@functools.cache
def _cpuinfo() -> str:
    try:
        return Path("/proc/cpuinfo").read_text()
    except OSError:
        return ""


@functools.cache
def cpu_model() -> str:
    """/proc/cpuinfo's model name (else platform's guess)."""
    for line in _cpuinfo().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def cpu_signature(cpuinfo: str) -> str:
    """'f<family>m<model> <widest x86 vector ISA>' from /proc/cpuinfo's first CPU ('' where
    it has none): tells apart the generations a virtual machine names alike ('AMD EPYC')."""
    fields: dict[str, str] = {}
    for line in cpuinfo.splitlines():
        if not line.strip():
            break
        key, _, value = line.partition(":")
        fields[key.strip()] = value.strip()
    if "cpu family" not in fields or "model" not in fields:
        return ""
    flags = set(fields.get("flags", "").split())
    isa = "avx512" if "avx512f" in flags else "avx2" if "avx2" in flags else ""
    return f"f{fields['cpu family']}m{fields['model']} {isa}".strip()


def cpu_label() -> str:
    """The CPU's model name, with its family/model and vector ISA where the name carries no
    model number ('AMD EPYC f25m17 avx512'), so results of different chips stay apart."""
    name = cpu_model()
    if re.search(r"\d", name):
        return name
    signature = cpu_signature(_cpuinfo())
    return f"{name} {signature}" if signature else name


@functools.cache
def device_name() -> str:
    """The card's name (GPU/TPU) or the CPU model and core count."""
    d = jax.devices()[0]
    if d.platform != "cpu":
        return f"{d.device_kind} x{jax.device_count()}"
    return f"{cpu_label()}, {os.cpu_count()} cores"


def row(
    bench: str, env: str, variant: str, unit: str, batch: int, value: float | None, compile_included: bool, **extra
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
        "device_name": device_name(),
        **RUN_INFO,
        **extra,
    }


def compile_row(bench: str, env: str, variant: str, batch: int, seconds: float, **extra) -> dict[str, Any]:
    """Compilation time on its own (jit lower + compile), unit compile_s."""
    return row(bench, env, variant, "compile_s", batch, seconds, True, **extra)


def results_path(results_dir: Path = RESULTS) -> Path:
    return results_dir / f"{device_slug()}-{datetime.date.today().isoformat()}.json"


def append_rows(rows: list[dict[str, Any]], results_dir: Path = RESULTS) -> Path:
    """Append rows to results/<device-slug>-<ISO date>.json (a JSON list)."""
    results_dir.mkdir(parents=True, exist_ok=True)
    path = results_path(results_dir)
    existing = json.loads(path.read_text()) if path.exists() else []
    path.write_text(json.dumps(existing + rows, indent=1) + "\n")
    return path


def compile_timed(fn: Callable, *args: Any) -> tuple[Callable, float]:
    """AOT-compile a jitted fn for these arguments -> (compiled fn, seconds to lower + compile)."""
    t0 = time.perf_counter()
    compiled = fn.lower(*args).compile()
    return compiled, time.perf_counter() - t0


def time_call(fn: Callable[[], Any], min_time: float = 1.0, max_reps: int = 50) -> float:
    """Seconds per call of an already-compiled fn (blocks on the result), at least min_time total."""
    jax.block_until_ready(fn())
    reps, total = 0, 0.0
    while reps == 0 or (total < min_time and reps < max_reps):
        t0 = time.perf_counter()
        jax.block_until_ready(fn())
        total += time.perf_counter() - t0
        reps += 1
    return total / reps


def time_interleaved(
    fns: dict[str, Callable[[], Any]], min_time: float = 1.0, min_rounds: int = 3, max_rounds: int = 50
) -> dict[str, float]:
    """Fastest seconds per call of each already-compiled fn, timed in interleaved rounds (one
    call of each per round, after one warm-up call each): contenders see the same machine
    state, so a burst of other load or a slow first call cannot decide a comparison."""
    times = {name: float("inf") for name in fns}
    for fn in fns.values():
        jax.block_until_ready(fn())
    t_end = time.perf_counter() + min_time
    rounds = 0
    while rounds < min_rounds or (time.perf_counter() < t_end and rounds < max_rounds):
        for name, fn in fns.items():
            t0 = time.perf_counter()
            jax.block_until_ready(fn())
            times[name] = min(times[name], time.perf_counter() - t0)
        rounds += 1
    return times


def available_memory_bytes() -> int | None:
    """MemAvailable from /proc/meminfo (None where unknown)."""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None
