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


# Filled in since (issue 19: the old code stored them under "regression" only, so they were null).
NEW_METRICS = ("regression_model_based_index", "regression_model_free_index")


def _comparable(summary: dict) -> dict:
    """The summary without timing fields and the metrics the old code left null."""
    out = {k: v for k, v in summary.items() if k not in TIMING}
    out["seeds"] = [
        {**s, "metrics": {k: v for k, v in s["metrics"].items() if k not in NEW_METRICS}} for s in out["seeds"]
    ]
    out["aggregate"] = {k: v for k, v in out["aggregate"].items() if k not in NEW_METRICS}
    out["baselines"] = {
        name: {**b, "metrics": {k: v for k, v in b["metrics"].items() if k not in NEW_METRICS}}
        for name, b in out["baselines"].items()
    }
    return out


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
    assert _comparable(got) == _comparable(expected)
    assert all(s["metrics"][k] is not None for s in got["seeds"] for k in NEW_METRICS)
