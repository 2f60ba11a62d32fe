"""experiments/harlow.py end to end in its --smoke form (symbolic and --pixels); progress
evaluations; the figures; the --pixels switch."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from metarl_jax import pipeline
from metarl_jax.tasks.harlow.experiment import harlow, harlow_pixels

ROOT = Path(__file__).resolve().parents[3]


def test_harlow_smoke_run(tmp_path, fast_compile_env):
    run_dir = tmp_path / "harlow"
    cmd = [sys.executable, str(ROOT / "experiments" / "harlow.py"), "--smoke", "--quiet", "--run-dir", str(run_dir)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600, env=fast_compile_env)
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


def test_harlow_pixels_smoke_run(tmp_path):
    """`experiments/harlow.py --pixels --smoke`, in process: the switch picks the pixel experiment."""
    run_dir = tmp_path / "pixels"
    argv = ["--pixels", "--smoke", "--quiet", "--run-dir", str(run_dir)]
    assert pipeline.main(harlow(), argv) == 0
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["experiment"] == "harlow_pixels"
    assert summary["config"]["train"]["encoder"] == "cnn" and summary["config"]["env_params"]["screen_size"] == 32
    for seed in summary["seeds"]:
        m = seed["metrics"]
        assert set(m) == {"accuracy_trial_1", "accuracy_trials_2_6", "return_fraction", "trials_completed", "timeouts"}
        assert 0 <= m["accuracy_trials_2_6"] <= 1 and 0 <= m["trials_completed"] <= 6
    ideal = summary["baselines"]["ideal_observer"]["metrics"]
    assert ideal["accuracy_trials_2_6"]["mean"] == 1.0 and ideal["trials_completed"]["mean"] == 6.0
    assert ideal["timeouts"]["mean"] == 0.0 and ideal["accuracy_trial_1"]["mean"] < 1.0
    random = summary["baselines"]["random"]["metrics"]  # the floor: timeouts, trials never started
    assert random["timeouts"]["mean"] > 0.5 and random["trials_completed"]["mean"] < 5
    config = json.loads((run_dir / "config.json").read_text())
    assert config["experiment"] == "harlow_pixels" and config["env_params"]["test_objects"] is False
    rows = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]
    progress = [r["progress_eval"] for r in rows if "progress_eval" in r]
    assert len(progress) == len(rows) == 2 and progress[-1]["update"] == rows[-1]["updates"]  # 2 chunks
    for fig in ("accuracy_by_trial.png", "learning_curve.png", "episode_frames.png"):
        assert (run_dir / "figures" / fig).stat().st_size > 5000
    # --resume of a pixel run needs no --pixels: the run's config.json names its experiment
    assert pipeline.select_variant(harlow(), ["--resume", str(run_dir)]).name == "harlow_pixels"
    with pytest.raises(SystemExit) as exc:  # and a pixel run cannot be resumed as another experiment
        pipeline.parse(harlow(), ["--resume", str(run_dir)], "harlow.py")
    assert exc.value.code == 2


def test_pixels_flag_in_help_and_cnn_needs_an_image(capsys):
    spec = harlow()
    with pytest.raises(SystemExit) as exc:
        pipeline.main(spec, ["--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    assert "--pixels" in out and "--screen-size" not in out
    with pytest.raises(SystemExit) as exc:
        pipeline.main(spec, ["--pixels", "--help"])
    out = capsys.readouterr().out
    assert "--screen-size" in out and "--gaze-positions" in out and "--encoder" in out
    with pytest.raises(SystemExit) as exc:
        pipeline.parse(spec, ["--encoder", "cnn"], "harlow.py")  # symbolic objects are no image
    assert exc.value.code == 2 and "argument --encoder: invalid choice: 'cnn'" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exc:
        pipeline.parse(harlow_pixels(), ["--screen-size", "8"], "harlow.py")
    assert exc.value.code == 2 and "--screen-size=8" in capsys.readouterr().err
