"""benchmarks/run_all.py end to end in its --smoke form: runs, prints the tables, writes
DESIGN's rows, RESULTS.md and scaling.png (into a temporary directory). Speed targets are
not asserted here (DESIGN: benchmarks measure, tests check that they run)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DESIGN_FIELDS = {"bench", "env", "variant", "unit", "batch", "value", "compile_included", "device", "jax_version"}


def test_run_all_smoke_prints_tables_and_writes_results(tmp_path, fast_compile_flag):
    out_dir = tmp_path / "new" / "out"  # made by run_all
    cmd = [
        sys.executable,
        str(ROOT / "benchmarks" / "run_all.py"),
        "--smoke",
        f"--results-dir={tmp_path / 'results'}",
        f"--out-dir={out_dir}",
    ]
    # No inherited device-count flags; XLA's fastest compile (smoke sizes: compilation dominates).
    env = {k: v for k, v in os.environ.items() if k not in ("XLA_FLAGS", "NEUROGYM_PYTHON")}
    env["XLA_FLAGS"] = fast_compile_flag
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600, cwd=ROOT, env=env)
    assert proc.returncode == 0, proc.stderr[-4000:]
    out = proc.stdout
    for heading in (
        "### Env-only throughput",
        "### Peer: gymnax BernoulliBandit-misc vs our bandit",
        "### Naive loop",
        "### Training throughput (default two-step config)",
        "### Time to science (default two-step config)",
        "### Matmul peak",
        "### GEMM-shape cap of training (default config)",
        "### Memory per episode",
    ):
        assert heading in out, heading
    assert "skip NeuroGym peer:" in out  # skipped with its reason where neurogym is missing
    assert "| env | variant | batch |" in out
    assert "trials_per_s (after compile)" in out and "compile s" in out

    files = list((tmp_path / "results").glob("*.json"))
    assert len(files) == 1
    rows = json.loads(files[0].read_text())
    assert rows and all(DESIGN_FIELDS <= set(r) for r in rows)
    assert {r["mode"] for r in rows} == {"smoke"}
    benches = {r["bench"] for r in rows}
    assert {
        "env_only",
        "peer_gymnax",
        "naive_loop",
        "train",
        "time_to_science",
        "matmul_peak",
        "gemm_cap",
        "memory",
    } <= benches
    env_rows = [r for r in rows if r["bench"] == "env_only" and r["unit"] == "trials_per_s"]
    assert all(r["value"] > 0 and r["compile_included"] is False for r in env_rows)
    assert any(r["unit"] == "compile_s" and r["compile_included"] for r in rows)
    caps = [r for r in rows if r["bench"] == "gemm_cap" and r["unit"] == "trials_per_s"]
    assert caps and all(r["value"] > 0 for r in caps)
    of_cap = [r["value"] for r in rows if r["bench"] == "train" and r["unit"] == "fraction_of_gemm_cap"]
    assert of_cap and all(v > 0 for v in of_cap)
    md = (out_dir / "RESULTS.md").read_text()
    assert md.startswith("# Benchmark results") and "### Env-only throughput" in md
    assert (out_dir / "scaling.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_unwritable_output_directory_is_refused_before_the_run(tmp_path, capsys):
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import run_all

    blocker = tmp_path / "a_file"
    blocker.write_text("")
    for flag in ("--out-dir", "--results-dir"):
        with pytest.raises(SystemExit) as exc:
            run_all.main(["--smoke", f"{flag}={blocker / 'sub'}"])
        assert exc.value.code == 2
        assert f"{flag}={blocker / 'sub'}" in capsys.readouterr().err
