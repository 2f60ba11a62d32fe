"""``--record``: eval.npz unchanged by recording, neural.npz's format (trained and untrained
networks), --eval-only recording of a finished run, and the flag's refusals before compiling."""

import dataclasses
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from metarl_jax import pipeline
from metarl_jax.pipeline.recording import record_fields, recording_bytes, split_recorded
from metarl_jax.registry import EXPERIMENTS

ROOT = Path(__file__).resolve().parents[2]
TRAINED = ("hidden", "cell", "value", "rpe", "policy")


def _load(path: Path) -> dict[str, np.ndarray]:
    with np.load(path, allow_pickle=False) as f:
        return {k: f[k] for k in f.files}


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Two-step --smoke in this process: run ``plain`` without --record, ``recorded`` with
    --record all (same seeds), then ``plain`` evaluated again with --eval-only --record all."""
    root = tmp_path_factory.mktemp("recording")
    plain, recorded = root / "plain", root / "recorded"
    base = ["--smoke", "--quiet"]
    assert pipeline.main(EXPERIMENTS["two_step"](), [*base, "--run-dir", str(plain)]) == 0
    plain_eval = _load(plain / "eval.npz")  # before --eval-only rewrites it
    assert not (plain / "neural.npz").exists()
    assert pipeline.main(EXPERIMENTS["two_step"](), [*base, "--run-dir", str(recorded), "--record", "all"]) == 0
    code = pipeline.main(
        EXPERIMENTS["two_step"](), ["--quiet", "--resume", str(plain), "--eval-only", "--record", "all"]
    )
    assert code == 0
    setup = pipeline.parse(EXPERIMENTS["two_step"](), ["--smoke"], "two_step.py")
    return {"plain": plain, "recorded": recorded, "plain_eval": plain_eval, "setup": setup}


def test_recording_does_not_change_eval_npz(runs):
    recorded = _load(runs["recorded"] / "eval.npz")
    plain = runs["plain_eval"]
    assert sorted(recorded) == sorted(plain)
    assert not any(k.split("__")[-1] in TRAINED for k in recorded)  # the network's inside is not in eval.npz
    for k, v in plain.items():
        assert recorded[k].dtype == v.dtype, k
        np.testing.assert_array_equal(recorded[k], v, err_msg=k)


def test_neural_npz_format(runs):
    setup = runs["setup"]
    s, e = setup.train.num_seeds, setup.train.eval_episodes
    t, h, a = setup.env.num_steps(setup.env_params), setup.train.hidden_size, setup.env.num_actions
    neural = _load(runs["recorded"] / "neural.npz")
    shapes = {
        "hidden": (s, e, t, h),
        "cell": (s, e, t, h),
        "value": (s, e, t),
        "rpe": (s, e, t),
        "policy": (s, e, t, a),
    }
    for prefix in ("", "untrained__"):
        for k, shape in shapes.items():
            assert neural[prefix + k].shape == shape, prefix + k
            assert neural[prefix + k].dtype == np.float32, prefix + k
            assert np.isfinite(neural[prefix + k]).all(), prefix + k
        np.testing.assert_allclose(neural[prefix + "policy"].sum(-1), 1.0, atol=1e-5)
        assert (neural[prefix + "policy"] >= 0).all()
    # the untrained network's own behaviour: the same arrays as the meta-RL agent's in eval.npz
    behaviour = _load(runs["recorded"] / "eval.npz")
    metarl = {k.removeprefix("metarl__") for k in behaviour if k.startswith("metarl__")}
    assert {"action", "reward", "trial_end"} <= metarl
    assert set(neural) == set(shapes) | {f"untrained__{k}" for k in (*shapes, *metarl)}
    for k in metarl:
        assert neural[f"untrained__{k}"].shape == behaviour[f"metarl__{k}"].shape, k
        assert neural[f"untrained__{k}"].dtype == behaviour[f"metarl__{k}"].dtype, k
    # the trained network is not the untrained one
    assert not np.array_equal(neural["hidden"], neural["untrained__hidden"])


def _rpe(reward, value, trial_end, gamma):
    """δ by the formula, numpy, (S, E, T): V after the last step 0, γ at trial ends, else 1."""
    discount = np.where(trial_end, gamma, 1.0)
    discount[..., -1] = 0.0
    v_next = np.concatenate([value[..., 1:], np.zeros_like(value[..., :1])], axis=-1)
    return reward + discount * v_next - value


def test_neural_npz_rpe_matches_its_episodes(runs):
    """neural.npz's steps are eval.npz's (same episode order): δ from eval.npz's rewards and
    neural.npz's values; the untrained twin from its own rewards."""
    gamma = runs["setup"].train.gamma
    neural = _load(runs["recorded"] / "neural.npz")
    behaviour = _load(runs["recorded"] / "eval.npz")
    expected = _rpe(behaviour["metarl__reward"], neural["value"], behaviour["metarl__trial_end"], gamma)
    np.testing.assert_allclose(neural["rpe"], expected, atol=1e-5)
    untrained = _rpe(neural["untrained__reward"], neural["untrained__value"], neural["untrained__trial_end"], gamma)
    np.testing.assert_allclose(neural["untrained__rpe"], untrained, atol=1e-5)


def test_eval_only_records_a_finished_run(runs):
    plain, recorded = runs["plain"], runs["recorded"]
    assert (plain / "neural.npz").is_file()
    after = _load(plain / "eval.npz")
    for k, v in runs["plain_eval"].items():  # re-evaluated the same
        np.testing.assert_array_equal(after[k], v, err_msg=k)
    # the same seeds trained the same way: the same recording as the run that recorded from the start
    a, b = _load(plain / "neural.npz"), _load(recorded / "neural.npz")
    assert sorted(a) == sorted(b)
    for k in a:
        np.testing.assert_array_equal(a[k], b[k], err_msg=k)


def test_record_fields_and_size():
    """--record's fields, the size estimate by hand, and what a subset keeps."""
    assert record_fields("value, rpe") == ("value", "rpe")
    assert record_fields("all") == ("hidden", "value", "policy", "rpe")
    assert record_fields(None) == () and record_fields("") == () and record_fields("none") == ()
    # hand count: 2 networks x 4 bytes x S E T x (2H + 1 + A + 1)
    assert recording_bytes(("hidden", "value", "policy", "rpe"), 2, 3, 5, 7, 2) == 2 * 4 * 2 * 3 * 5 * (14 + 1 + 2 + 1)
    assert recording_bytes(("rpe",), 2, 3, 5, 7, 2) == 2 * 4 * 2 * 3 * 5
    arrays = {k: np.zeros(1) for k in ("action", "reward", "trial_end", *TRAINED)}
    behaviour, neural = split_recorded(arrays, ("value", "rpe"))
    assert set(behaviour) == {"action", "reward", "trial_end"} and set(neural) == {"value", "rpe"}


def _one_error_line(capsys) -> str:
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1, err
    assert "Traceback" not in err
    return err


def test_size_refusal_before_compiling(tmp_path, capsys, compile_counter):
    before = compile_counter()
    argv = ["--record", "all", "--eval-episodes", "100000", "--record-max-gb", "0.5", "--run-dir", str(tmp_path / "r")]
    with pytest.raises(SystemExit) as exc:
        pipeline.main(EXPERIMENTS["two_step"](), argv)
    assert exc.value.code == 2
    err = _one_error_line(capsys)
    # 2 networks x 4 bytes x 8 seeds x 100000 episodes x 100 steps x (2 x 48 + 1 + 2 + 1) = 59.6 GiB
    assert "--record" in err and "59.6 GiB" in err and "--record-max-gb=0.5" in err, err
    assert compile_counter() == before  # refused before anything was compiled
    assert not (tmp_path / "r").exists()


def test_size_refusal_script(tmp_path):
    cmd = [sys.executable, str(ROOT / "experiments" / "two_step.py"), "--record", "all", "--eval-episodes", "100000"]
    start = time.perf_counter()
    proc = subprocess.run([*cmd, "--record-max-gb", "0.5"], capture_output=True, text=True, timeout=120, cwd=tmp_path)
    elapsed = time.perf_counter() - start
    assert proc.returncode == 2, proc.stderr[-2000:]
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "59.6 GiB" in lines[0], proc.stderr
    assert proc.stdout == "" and not (tmp_path / "runs").exists()
    assert elapsed < 60  # seconds: Python and JAX start, nothing is compiled or trained


@pytest.mark.parametrize("value", ["nonsense", "hidden,nonsense", "all,", "none,hidden"])
def test_bad_record_exits_2_with_one_line(value, tmp_path, capsys):
    with pytest.raises(SystemExit) as exc:
        pipeline.main(EXPERIMENTS["two_step"](), ["--smoke", "--record", value, "--run-dir", str(tmp_path / "r")])
    assert exc.value.code == 2
    err = _one_error_line(capsys)
    assert "--record" in err and "hidden" in err, err
    assert not (tmp_path / "r").exists()


@pytest.mark.parametrize("value", ["0", "-1", "nan"])
def test_bad_record_max_gb_exits_2_with_one_line(value, capsys):
    with pytest.raises(SystemExit) as exc:
        pipeline.parse(EXPERIMENTS["two_step"](), ["--smoke", "--record", "all", "--record-max-gb", value], "p")
    assert exc.value.code == 2
    assert "--record-max-gb" in _one_error_line(capsys)


def test_record_default_of_an_experiment(capsys):
    """An experiment's ``record_default`` is the flag's default (shown in --help); --record none
    turns it off; experiments without one record nothing unless asked."""
    spec = dataclasses.replace(EXPERIMENTS["two_step"](), record_default="all")
    assert pipeline.parse(spec, ["--smoke"], "p").run.record == "all"
    assert record_fields(pipeline.parse(spec, ["--smoke", "--record", "none"], "p").run.record) == ()
    assert pipeline.parse(EXPERIMENTS["two_step"](), ["--smoke"], "p").run.record is None
    with pytest.raises(SystemExit):
        pipeline.parse(spec, ["--help"], "p")
    assert "default: all" in " ".join(capsys.readouterr().out.split())
