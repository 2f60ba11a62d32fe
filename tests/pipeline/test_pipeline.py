"""The experiment script end to end (its --smoke form), the run directory, the CLI contract."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from metarl_jax import pipeline
from metarl_jax.plotting.__main__ import main as plotting_main
from metarl_jax.registry import EXPERIMENTS
from metarl_jax.training.cpu_devices import available_cores, seed_device_count

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def smoke_run(tmp_path_factory, fast_compile_env):
    run_dir = tmp_path_factory.mktemp("runs") / "smoke"
    cmd = [sys.executable, str(ROOT / "experiments" / "two_step.py"), "--smoke", "--quiet", "--run-dir", str(run_dir)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600, env=fast_compile_env)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return run_dir, proc


def test_smoke_run_writes_everything(smoke_run):
    run_dir, proc = smoke_run
    for name in ("config.json", "metrics.jsonl", "eval.npz", "analysis.json", "summary.json"):
        assert (run_dir / name).is_file(), name
    for fig in ("stay_probabilities.png", "learning_curve.png"):
        data = (run_dir / "figures" / fig).read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 5000, fig
    assert list((run_dir / "checkpoints").glob("update_*.msgpack"))
    assert str(run_dir) in proc.stdout


def test_summary_has_design_shape(smoke_run):
    run_dir, _ = smoke_run
    text = (run_dir / "summary.json").read_text()
    assert "NaN" not in text and "Infinity" not in text
    s = json.loads(text)
    assert s["experiment"] == "two_step"
    assert s["device"] == "cpu"
    assert s["wall_time_s"] > 0 and s["agent_steps_per_s"] > 0
    assert [seed["seed"] for seed in s["seeds"]] == [0, 1]
    for seed in s["seeds"]:
        assert seed["episodes_trained"] == 64 and seed["eval_episodes"] == 20
        assert 0.0 <= seed["reward_per_trial"] <= 1.0
        assert set(seed["metrics"]) >= {
            "stay_common_rewarded",
            "stay_rare_rewarded",
            "stay_common_unrewarded",
            "stay_rare_unrewarded",
            "model_based_index",
            "model_based_signature",
        }
    assert set(s["baselines"]) == {"model_free", "model_based", "bayes_optimal"}
    assert set(s["aggregate"]["reward_per_trial"]) == {"mean", "sem"}
    assert set(s["aggregate"]["model_based_signature"]) == {"fraction"}
    config = json.loads((run_dir / "config.json").read_text())
    assert config["train"]["num_seeds"] == 2 and config["environment"]["jax"]
    # the script split the CPU into one device per core, as many as divide the 2 seeds
    devices = seed_device_count(2, available_cores())
    assert config["environment"]["device_count"] == devices
    assert config["seed_layout"] == {"devices": devices, "seeds_per_device": 2 // devices, "pad_seeds": 0}
    metrics = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]
    assert metrics[-1]["updates"] == 4 and metrics[-1]["episodes"] == 64
    assert len(metrics[-1]["reward_per_trial_seeds"]) == 2


def test_existing_run_dir_is_refused(smoke_run, capsys):
    run_dir, _ = smoke_run
    before = (run_dir / "summary.json").read_text()
    code = pipeline.main(EXPERIMENTS["two_step"](), ["--smoke", "--quiet", "--run-dir", str(run_dir)])
    assert code == 2
    assert "--overwrite" in capsys.readouterr().err
    assert (run_dir / "summary.json").read_text() == before


def test_plotting_redraws_figures(smoke_run):
    run_dir, _ = smoke_run
    fig = run_dir / "figures" / "stay_probabilities.png"
    fig.unlink()
    assert plotting_main([str(run_dir)]) == 0
    assert fig.is_file()
    assert plotting_main([str(run_dir / "missing")]) == 2


@pytest.mark.parametrize(
    "argv, flag",
    [
        (["--common-prob", "1.5"], "--common-prob"),
        (["--switch-prob", "-0.1"], "--switch-prob"),
        (["--lr", "0"], "--lr"),
        (["--lr", "abc"], "--lr"),
        (["--gamma", "0"], "--gamma"),
        (["--gamma", "1.5"], "--gamma"),
        (["--hidden-size", "0"], "--hidden-size"),
        (["--num-envs", "-4"], "--num-envs"),
        (["--total-episodes", "10", "--num-envs", "64"], "--total-episodes"),
        (["--variant", "three_stage"], "--variant"),
        (["--optimizer", "sgd"], "--optimizer"),
        (["--trials-per-episode", "0"], "--trials-per-episode"),
        (["--checkpoint-every", "7", "--chunk-size", "5"], "--checkpoint-every"),
        (["--max-grad-norm", "-1"], "--max-grad-norm"),
        (["--gae-lambda", "1.5"], "--gae-lambda"),
        (["--lr-final-scale", "2"], "--lr-final-scale"),
        (["--entropy-coef-final", "-0.1"], "--entropy-coef-final"),
        (["--no-such-flag"], "--no-such-flag"),
    ],
)
def test_bad_flags_exit_2_with_one_line(argv, flag, capsys):
    spec = EXPERIMENTS["two_step"]()
    with pytest.raises(SystemExit) as exc:
        pipeline.parse(spec, argv, "two_step.py")
    assert exc.value.code == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1, err
    assert flag in err and "Traceback" not in err


def test_flags_override_smoke_and_defaults():
    spec = EXPERIMENTS["two_step"]()
    setup = pipeline.parse(spec, ["--smoke", "--num-seeds", "3", "--common-prob", "0.7"], "p")
    assert setup.train.num_seeds == 3 and setup.train.total_episodes == 64  # smoke size, explicit flag wins
    assert setup.env_params.common_prob == 0.7 and setup.env_params.trials_per_episode == 20
    assert setup.run.smoke
    defaults = pipeline.parse(spec, [], "p")
    assert defaults.train == spec.train_defaults
    assert defaults.env_params.trials_per_episode == 100
    assert defaults.run_dir.parent == Path("runs") / "two_step"


def test_help_lists_every_flag(capsys):
    spec = EXPERIMENTS["two_step"]()
    with pytest.raises(SystemExit) as exc:
        pipeline.parse(spec, ["--help"], "two_step.py")
    assert exc.value.code == 0
    out = capsys.readouterr().out
    for flag in (
        "--seed",
        "--num-seeds",
        "--total-episodes",
        "--num-envs",
        "--chunk-size",
        "--hidden-size",
        "--time-input",
        "--lr",
        "--optimizer",
        "--gamma",
        "--entropy-coef",
        "--value-coef",
        "--max-grad-norm",
        "--eval-episodes",
        "--eval-policy",
        "--name",
        "--run-dir",
        "--overwrite",
        "--quiet",
        "--smoke",
        "--common-prob",
        "--trials-per-episode",
        "--variant",
    ):
        assert flag in out, flag
