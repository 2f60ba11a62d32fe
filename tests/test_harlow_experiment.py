"""experiments/harlow.py end to end in its --smoke form; progress evaluations; the figure."""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_harlow_smoke_run(tmp_path):
    run_dir = tmp_path / "harlow"
    cmd = [sys.executable, str(ROOT / "experiments" / "harlow.py"), "--smoke", "--quiet", "--run-dir", str(run_dir)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["experiment"] == "harlow"
    for seed in summary["seeds"]:
        m = seed["metrics"]
        assert set(m) == {"accuracy_trial_1", "accuracy_trials_2_6", "return_fraction", "trials_completed"}
        assert 0 <= m["accuracy_trials_2_6"] <= 1 and m["trials_completed"] == 6
    assert set(summary["baselines"]) == {"side_only", "ideal_observer"}
    assert summary["baselines"]["ideal_observer"]["metrics"]["accuracy_trials_2_6"]["mean"] == 1.0
    config = json.loads((run_dir / "config.json").read_text())
    assert config["env_params"]["test_objects"] is False  # trains on the training pool ...
    assert summary["config"]["env_params"]["test_objects"] is False
    rows = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]
    progress = [r["progress_eval"] for r in rows if "progress_eval" in r]
    assert len(progress) == 4 and progress[-1]["update"] == rows[-1]["updates"]
    assert len(progress[0]["accuracy_by_trial"]) == 2 and len(progress[0]["accuracy_by_trial"][0]) == 6
    # ... and the final progress evaluation is the final evaluation (same params, keys, test objects).
    final = [s["accuracy_by_trial"] for s in json.loads((run_dir / "analysis.json").read_text())["metarl"]["seeds"]]
    assert progress[-1]["accuracy_by_trial"] == final
    for fig in ("accuracy_by_trial.png", "learning_curve.png"):
        assert (run_dir / "figures" / fig).stat().st_size > 5000
