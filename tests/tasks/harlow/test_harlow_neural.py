"""Harlow inside the agent (issue 20): the rewarded object decoded from a planted code, the RPE at
trial 1's and trial 2's outcomes by hand, trials of varying length, the figure, and --record
smoke runs of the symbolic and pixel experiments writing neural.json and summary.json["neural"]."""

import json

import numpy as np
import pytest

from metarl_jax import pipeline
from metarl_jax.tasks.harlow.env import HarlowParams
from metarl_jax.tasks.harlow.experiment import harlow, harlow_pixels
from metarl_jax.tasks.harlow.neural import analyse_neural, outcome_rpe, trial_end_steps
from metarl_jax.tasks.harlow.plots import neural_figure

TRIALS = 6
KEYS = {
    "rewarded_object_accuracy_by_trial",
    "rewarded_object_chance_by_trial",
    "rewarded_object_accuracy_after_trial_1",
    "rewarded_object_chance_after_trial_1",
    "trial_1_layout_accuracy_by_trial",
    "trial_1_layout_chance_by_trial",
    "trial_1_layout_accuracy_after_trial_1",
    "trial_1_layout_chance_after_trial_1",
    "trial_1_layout_accuracy_after_trial_1_hidden_and_cell",
    "rpe_by_trial",
    "rpe_trial_1",
    "rpe_trial_2",
    "rpe_trial_1_correct",
    "rpe_trial_1_incorrect",
    "rpe_trial_2_correct",
    "rpe_trial_2_incorrect",
}
ALL_KEYS = KEYS | {k + "_untrained" for k in KEYS}
NUMBERS = {k for k in ALL_KEYS if "by_trial" not in k}


def synthetic(episodes: int = 240, units: int = 6, seed: int = 0):
    """A symbolic Harlow recording (one step per trial) whose trained hidden state carries, from
    trial 2's choice on, the rewarded object's side in the current trial (unit 1) and, weaker,
    whether it stood on the left in trial 1 (unit 0: ±0.3 plus noise); the untrained one is
    noise. δ at the outcome: ±1 at trial 1, ±0.25 at trial 2."""
    rng = np.random.default_rng(seed)
    sides = rng.integers(0, 2, (episodes, TRIALS))
    chosen = rng.integers(0, 2, (episodes, TRIALS))
    behaviour = {
        "trial_index": np.tile(np.arange(TRIALS), (episodes, 1)),
        "trial_end": np.ones((episodes, TRIALS), bool),
        "correct_side": sides,
        "chosen_side": chosen,
        "correct": chosen == sides,
        "reward": np.where(chosen == sides, 1.0, -1.0),
    }
    left_in_1 = (sides[:, 0] == 0).astype(float)
    hidden = rng.normal(0.0, 0.3, (episodes, TRIALS, units))
    hidden[:, 1:, 0] += 0.3 * (2 * left_in_1 - 1)[:, None]
    hidden[:, 1:, 1] += 2 * sides[:, 1:] - 1
    scale = np.array([1.0, 0.25, 0.25, 0.25, 0.25, 0.25])
    rpe = np.where(chosen == sides, 1.0, -1.0) * scale
    neural = {
        "hidden": hidden,
        "cell": rng.normal(size=hidden.shape),
        "rpe": rpe,
        "untrained__hidden": rng.normal(size=hidden.shape),
        "untrained__cell": rng.normal(size=hidden.shape),
        "untrained__rpe": np.where(chosen == sides, 1.0, -1.0),
        **{f"untrained__{k}": v for k, v in behaviour.items()},
    }
    return behaviour, neural


def test_planted_code_is_recovered_and_every_key_returned():
    behaviour, neural = synthetic()
    out = analyse_neural(behaviour, neural, HarlowParams())
    assert set(out) == ALL_KEYS
    assert out["rewarded_object_accuracy_after_trial_1"] > 0.95  # the planted code
    assert 0.6 < out["trial_1_layout_accuracy_after_trial_1"] < 0.95  # the weaker planted code
    assert out["trial_1_layout_accuracy_after_trial_1_hidden_and_cell"] > 0.6
    assert out["trial_1_layout_accuracy_by_trial"][0] < 0.7
    acc = out["rewarded_object_accuracy_by_trial"]
    assert len(acc) == TRIALS and acc[1] == out["rewarded_object_accuracy_after_trial_1"]
    assert acc[0] < 0.7 and min(acc[1:]) > 0.95  # trial 1's choice knows no outcome yet
    assert 0.3 < out["rewarded_object_chance_after_trial_1"] < 0.7
    assert out["rewarded_object_accuracy_after_trial_1_untrained"] < 0.7  # noise: chance
    assert out["rpe_trial_1"] == pytest.approx(1.0) and out["rpe_trial_2"] == pytest.approx(0.25)
    assert out["rpe_trial_1_correct"] == pytest.approx(1.0) and out["rpe_trial_1_incorrect"] == pytest.approx(-1.0)
    assert out["rpe_trial_2_correct"] == pytest.approx(0.25) and out["rpe_trial_2_incorrect"] == pytest.approx(-0.25)
    assert out["rpe_by_trial"] == pytest.approx([1.0] + [0.25] * 5)
    assert out["rpe_trial_1_untrained"] == pytest.approx(1.0) == out["rpe_trial_2_untrained"]
    json.dumps(out)  # neural.json-ready


def test_only_what_was_recorded_is_analysed():
    behaviour, neural = synthetic(episodes=40)
    rpe_only = {k: v for k, v in neural.items() if "hidden" not in k and "cell" not in k}
    out = analyse_neural(behaviour, rpe_only, HarlowParams())
    assert not any(k.startswith(("rewarded_object", "trial_1_layout")) for k in out)
    assert "rpe_trial_2_untrained" in out


def test_trials_of_varying_length_pixel_style():
    """Trial steps found from trial_index/trial_end; a timeout (no choice) has no outcome δ, a
    trial never started no end step."""
    behaviour = {  # 2 episodes, 6 steps, 3 trials
        "trial_index": np.array([[0, 0, 1, 1, 1, 2], [0, 0, 0, 1, 1, 1]]),
        "trial_end": np.array([[0, 1, 0, 0, 1, 1], [0, 0, 1, 0, 0, 1]], bool),
        "chosen_side": np.array([[-1, 0, -1, -1, 1, 0], [-1, -1, -1, -1, -1, -1]]),
        "correct": np.array([[0, 1, 0, 0, 0, 1], [0, 0, 0, 0, 0, 0]], bool),
    }
    np.testing.assert_array_equal(trial_end_steps(behaviour, 3), [[1, 4, 5], [2, 5, -1]])
    rpe = np.arange(12, dtype=float).reshape(2, 6) - 3  # δ at (0,1) = -2, (0,4) = 1, (0,5) = 2
    out = outcome_rpe(rpe, behaviour, 3)  # episode 1 timed out twice and never started trial 3
    assert out["by_trial"] == [2.0, 1.0, 2.0]
    assert out["trial_1_correct"] == -2.0 and out["trial_1_incorrect"] is None
    assert out["trial_2_incorrect"] == 1.0 and out["trial_2_correct"] is None


def test_neural_figure_draws(tmp_path):
    seeds = [analyse_neural(*synthetic(episodes=60, seed=s), HarlowParams()) for s in range(2)]
    path = tmp_path / "neural.png"
    assert neural_figure(path, {"seeds": seeds}) is not False
    assert path.stat().st_size > 5000
    assert neural_figure(tmp_path / "none.png", {"seeds": [{"seed": 0}]}) is False


@pytest.mark.parametrize("experiment", [harlow, harlow_pixels])
def test_record_smoke_writes_neural_json_summary_and_figure(tmp_path, experiment):
    run_dir = tmp_path / "run"
    argv = ["--smoke", "--quiet", "--record", "all", "--run-dir", str(run_dir)]
    assert pipeline.main(experiment(), argv) == 0
    neural = json.loads((run_dir / "neural.json").read_text())
    assert len(neural["seeds"]) == 2
    for seed in neural["seeds"]:
        assert ALL_KEYS <= set(seed)
        assert len(seed["rewarded_object_accuracy_by_trial"]) == len(seed["rpe_by_trial"]) == TRIALS
    summary = json.loads((run_dir / "summary.json").read_text())
    assert NUMBERS <= set(summary["neural"]["aggregate"])
    assert "rpe_by_trial" not in summary["neural"]["seeds"][0]  # lists stay in neural.json
    assert (run_dir / "figures" / "neural.png").stat().st_size > 5000
