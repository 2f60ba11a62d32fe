"""benchmarks/run_all.py end to end in its --smoke --save form: runs, prints the tables, writes
DESIGN's rows, RESULTS.md and scaling.png (into a temporary directory); --quick and --smoke
save nothing unless asked. Speed targets are not asserted here (DESIGN: benchmarks measure,
tests check that they run)."""

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
        "--save",
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
            run_all.main(["--smoke", "--save", f"{flag}={blocker / 'sub'}"])
        assert exc.value.code == 2
        assert f"{flag}={blocker / 'sub'}" in capsys.readouterr().err


def _tracked_outputs() -> dict[Path, bytes]:
    """The files a saving run writes by default: RESULTS.md, scaling.png and results/*.json."""
    bench = ROOT / "benchmarks"
    paths = [bench / "RESULTS.md", bench / "scaling.png", *sorted((bench / "results").glob("*.json"))]
    return {p: p.read_bytes() for p in paths if p.is_file()}


def test_quick_run_leaves_the_tracked_results_untouched(fast_compile_flag):
    before = _tracked_outputs()
    times = {p: p.stat().st_mtime_ns for p in before}
    cmd = [sys.executable, str(ROOT / "benchmarks" / "run_all.py"), "--quick", "--only", "matmul"]
    env = {k: v for k, v in os.environ.items() if k not in ("XLA_FLAGS", "NEUROGYM_PYTHON")}
    env["XLA_FLAGS"] = fast_compile_flag
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600, cwd=ROOT, env=env)
        assert proc.returncode == 0, proc.stderr[-4000:]
        assert "### Matmul peak" in proc.stdout and "nothing saved" in proc.stdout
        after = _tracked_outputs()
        assert after == before  # no file rewritten, none added
        assert {p: p.stat().st_mtime_ns for p in after} == times
    finally:  # a failure must not leave the repository's results rewritten
        for path in set(_tracked_outputs()) - set(before):
            path.unlink()
        for path, data in before.items():
            if path.read_bytes() != data:
                path.write_bytes(data)


@pytest.mark.parametrize(
    "argv, saved",
    [
        ([], True),  # a full run saves, as before
        (["--no-save"], False),
        (["--quick"], False),
        (["--smoke"], False),
        (["--quick", "--save"], True),
        (["--smoke", "--save"], True),
    ],
)
def test_only_a_full_run_saves_by_default(argv, saved, tmp_path, monkeypatch, capsys):
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import run_all

    results, out = tmp_path / "results", tmp_path / "out"
    monkeypatch.setattr(run_all, "RESULTS", results)  # the defaults of --results-dir and --out-dir
    monkeypatch.setattr(run_all, "HERE", out)
    monkeypatch.setattr(run_all, "configure_devices", lambda parser, requested: None)
    row = run_all.row("matmul_peak", "matmul", "float32 8x8", "flop_per_s", 8, 1e9, False)
    monkeypatch.setattr(run_all, "run", lambda args: [row])
    assert run_all.main(argv) == 0
    assert (out / "RESULTS.md").is_file() == saved
    assert bool(list(results.glob("*.json"))) == saved
    assert ("nothing saved" in capsys.readouterr().out) != saved
