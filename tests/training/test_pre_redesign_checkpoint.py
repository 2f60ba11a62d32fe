"""A run written before the task-folder redesign (commit 350d801) still resumes, bit for bit.

tests/fixtures/pre_redesign_two_step/ holds that code's ``--smoke --total-episodes 32
--checkpoint-every 2`` run (config.json, metrics.jsonl, its checkpoint) and the summary.json
that the same code wrote after ``--resume DIR --total-episodes 64``."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = ROOT / "tests" / "fixtures" / "pre_redesign_two_step"
TIMING = ("wall_time_s", "agent_steps_per_s", "trials_per_s")


def _without_timing(summary: dict) -> dict:
    return {k: v for k, v in summary.items() if k not in TIMING}


def test_pre_redesign_checkpoint_resumes_to_the_same_summary(tmp_path):
    run_dir = tmp_path / "run"
    shutil.copytree(FIXTURE, run_dir, ignore=shutil.ignore_patterns("expected_summary.json"))
    cmd = [sys.executable, str(ROOT / "experiments" / "two_step.py"), "--quiet", "--resume", str(run_dir),
           "--total-episodes", "64"]  # fmt: skip
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    got = json.loads((run_dir / "summary.json").read_text())
    expected = json.loads((FIXTURE / "expected_summary.json").read_text())
    assert got["seeds"][0]["episodes_trained"] == 64
    assert _without_timing(got) == _without_timing(expected)
