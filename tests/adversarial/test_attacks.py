"""The attacks of issue 19, one or more tests per item: runs never lose data and never report
a wrong result. Command-line attacks run the script in a subprocess; most fail before any
compilation, so the group stays fast (`python -m pytest tests/adversarial`)."""

import errno
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from metarl_jax.core.errors import ConfigError
from metarl_jax.envs.base import checked_step, validate_action
from metarl_jax.pipeline import main
from metarl_jax.pipeline.outputs import EVAL_MARKER, begin_evaluation, end_evaluation
from metarl_jax.registry import EXPERIMENTS, make
from metarl_jax.tasks.two_step.env import TwoStep, TwoStepParams
from metarl_jax.training import checkpoint as ckpt
from metarl_jax.training.claim import LOCK_NAME, REPLACED_NAME, claim_run_dir
from metarl_jax.training.config import TrainConfig, validate_train_config

ROOT = Path(__file__).resolve().parents[2]
TWO_STEP = str(ROOT / "experiments" / "two_step.py")
HARLOW = str(ROOT / "experiments" / "harlow.py")


def _run(script: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, script, *args], capture_output=True, text=True, timeout=600)


def _refused(proc: subprocess.CompletedProcess, *words: str) -> None:
    """Exit 2, one line on stderr naming ``words``, no traceback."""
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    for w in words:
        assert w in lines[0], lines[0]


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory) -> Path:
    """A finished one-seed smoke run (64 episodes), trained in a subprocess."""
    path = tmp_path_factory.mktemp("attacks") / "run"
    proc = _run(TWO_STEP, "--smoke", "--num-seeds", "1", "--run-dir", str(path), "--checkpoint-every", "2")
    assert proc.returncode == 0, proc.stderr
    path.joinpath("stdout.txt").write_text(proc.stdout)
    path.joinpath("stderr.txt").write_text(proc.stderr)
    return path


# 1. --overwrite replaces only a run, and only once the new run has a checkpoint.
def test_overwrite_refuses_a_directory_that_is_not_a_run(tmp_path):
    (tmp_path / "precious.txt").write_text("keep me")
    _refused(_run(TWO_STEP, "--smoke", "--run-dir", str(tmp_path), "--overwrite"), "not a run directory")
    assert (tmp_path / "precious.txt").read_text() == "keep me"
    assert not (tmp_path / LOCK_NAME).exists()


def test_overwritten_run_is_kept_until_the_new_run_checkpoints_and_restored_if_it_fails(tmp_path):
    (tmp_path / "config.json").write_text('{"run_id": "old"}')
    (tmp_path / "metrics.jsonl").write_text("old rows\n")
    claim = claim_run_dir(tmp_path, overwrite=True)
    assert not (tmp_path / "config.json").exists()
    assert (tmp_path / REPLACED_NAME / "config.json").read_text() == '{"run_id": "old"}'
    (tmp_path / "config.json").write_text('{"run_id": "new"}')  # the new run starts, then fails
    claim.release(succeeded=False)
    assert (tmp_path / "config.json").read_text() == '{"run_id": "old"}'
    assert (tmp_path / "metrics.jsonl").read_text() == "old rows\n"
    assert not (tmp_path / REPLACED_NAME).exists() and not (tmp_path / LOCK_NAME).exists()

    claim = claim_run_dir(tmp_path, overwrite=True)
    claim.checkpoint_written()
    assert not (tmp_path / REPLACED_NAME).exists()  # deleted after the first checkpoint
    claim.release(succeeded=True)


# 2. A run directory is claimed before compilation; a second run is refused naming the holder.
def test_second_run_into_a_claimed_directory_names_the_holder(tmp_path):
    claim = claim_run_dir(tmp_path / "run")
    try:
        _refused(_run(TWO_STEP, "--smoke", "--run-dir", str(tmp_path / "run"), "--overwrite"), f"pid {os.getpid()}")
    finally:
        claim.release(succeeded=True)


def test_lock_of_a_dead_process_is_taken_over(tmp_path):
    proc = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead = int(proc.stdout)
    (tmp_path / LOCK_NAME).write_text(json.dumps({"pid": dead, "host": os.uname().nodename}))
    claim_run_dir(tmp_path).release(succeeded=True)
    assert not (tmp_path / LOCK_NAME).exists()


# 3. --resume --total-episodes records the new target in config.json (history kept).
def test_resume_with_a_new_length_updates_config_and_a_later_resume_keeps_it(run_dir, tmp_path):
    import shutil

    run = tmp_path / "run"
    shutil.copytree(run_dir, run)
    assert _run(TWO_STEP, "--quiet", "--resume", str(run), "--total-episodes", "96").returncode == 0
    config = json.loads((run / "config.json").read_text())
    assert config["train"]["total_episodes"] == 96
    assert config["history"][-1]["changed"] == {"total_episodes": [64, 96]}
    proc = _run(TWO_STEP, "--quiet", "--resume", str(run))  # crash recovery: no flags
    assert proc.returncode == 0, proc.stderr
    summary = json.loads((run / "summary.json").read_text())
    assert summary["config"]["train"]["total_episodes"] == 96
    assert summary["seeds"][0]["episodes_trained"] == 96


# 4. Every summary metric of every experiment is filled in after a smoke run.
@pytest.mark.parametrize("name", sorted(EXPERIMENTS))
def test_every_summary_metric_is_present_after_a_smoke_run(name, tmp_path):
    assert main(EXPERIMENTS[name](), ["--smoke", "--quiet", "--run-dir", str(tmp_path / "run")]) == 0
    summary = json.loads((tmp_path / "run" / "summary.json").read_text())
    for seed in summary["seeds"]:
        missing = [k for k, v in seed["metrics"].items() if v is None]
        assert not missing, f"{name}: null metrics {missing}"
    assert set(summary["seeds"][0]["metrics"]) == set(EXPERIMENTS[name]().summary_metrics)


# 5. Harlow never trains on the held-out objects.
def test_harlow_refuses_to_train_on_held_out_objects():
    _refused(_run(HARLOW, "--smoke", "--test-objects"), "--test-objects", "evaluation only")


# 6. Seeds never wrap modulo 2^32.
@pytest.mark.parametrize("seed, num_seeds", [("4294967296", "1"), ("4294967295", "2"), (str(10**30), "1")])
def test_seeds_outside_uint32_are_refused(seed, num_seeds):
    _refused(_run(TWO_STEP, "--smoke", "--seed", seed, "--num-seeds", num_seeds), "--seed")


def test_largest_seeds_that_fit_are_accepted():
    validate_train_config(TrainConfig(seed=2**32 - 2, num_seeds=2))
    with pytest.raises(ConfigError, match="seed"):
        validate_train_config(TrainConfig(seed=2**32 - 1, num_seeds=2))


# 7. Outputs written atomically, the evaluation set replaced as one, conflicting flags refused.
def test_resume_with_a_conflicting_run_dir_is_refused(run_dir, tmp_path):
    _refused(_run(TWO_STEP, "--resume", str(run_dir), "--run-dir", str(tmp_path / "x")), "--run-dir", "--resume")
    assert not (tmp_path / "x").exists()


def test_interrupted_evaluation_is_marked_and_never_mixes_summaries(tmp_path):
    (tmp_path / "summary.json").write_text('{"old": true}')
    begin_evaluation(tmp_path)  # ... and the process dies here
    assert (tmp_path / EVAL_MARKER).exists() and not (tmp_path / "summary.json").exists()
    begin_evaluation(tmp_path)
    end_evaluation(tmp_path, {"new": True})
    assert json.loads((tmp_path / "summary.json").read_text()) == {"new": True}
    assert not (tmp_path / EVAL_MARKER).exists()


def test_finished_run_has_no_partial_files(run_dir):
    leftovers = [p for p in run_dir.rglob("*") if p.name.endswith(".tmp") or p.name in (EVAL_MARKER, LOCK_NAME)]
    assert not leftovers
    assert np.load(run_dir / "eval.npz")["metarl__reward"].shape[:2] == (1, 20)


# 8. Checkpoints carry a checksum and the run's id.
class _State(NamedTuple):
    w: jax.Array
    update: jax.Array  # (seeds,), as a training state's


def _state(value: float) -> _State:
    return _State(jnp.full((3,), value, jnp.float32), jnp.array([5], jnp.int32))


def test_flipped_bit_is_caught_and_the_previous_checkpoint_used(tmp_path, capsys):
    ckpt.save_checkpoint(tmp_path / "checkpoints", _state(1.0), 1, run_id="a")
    last = ckpt.save_checkpoint(tmp_path / "checkpoints", _state(2.0), 2, run_id="a")
    data = bytearray(last.read_bytes())
    data[-5] ^= 0x40  # inside the state's bytes
    last.write_bytes(bytes(data))
    with pytest.raises(ckpt.CheckpointError, match="checksum"):
        ckpt.load_checkpoint(last, _state(0.0), "a")
    state, _ = ckpt.restore_latest(tmp_path, _state(0.0), "a")
    assert float(state.w[0]) == 1.0
    assert "skipping" in capsys.readouterr().err


def test_checkpoint_of_another_run_is_refused(tmp_path):
    path = ckpt.save_checkpoint(tmp_path / "checkpoints", _state(1.0), 1, run_id="other")
    with pytest.raises(ckpt.CheckpointError, match="another run"):
        ckpt.load_checkpoint(path, _state(0.0), "mine")
    assert ckpt.restore_latest(tmp_path, _state(0.0), "mine") is None


# 9. Out-of-range actions and bad params.
def test_out_of_range_actions_are_reported_by_checked_step_and_validate_action():
    env, params = make("two_step")
    _, state = env.reset(jax.random.key(0), params)
    step = jax.jit(checked_step(env))
    step(jax.random.key(1), state, jnp.int32(1), params)[0].throw()  # in range: no error
    for bad in (-1, 2, 99):
        err, _ = step(jax.random.key(1), state, jnp.int32(bad), params)
        with pytest.raises(Exception, match="outside"):
            err.throw()
    with pytest.raises(ConfigError, match="action"):
        validate_action(env, np.array([0, 1, 2]))


def test_bad_params_are_refused_on_every_construction_path():
    with pytest.raises(ConfigError, match="common_prob"):
        TwoStep().validate(TwoStepParams(common_prob=2.0))
    with pytest.raises(ConfigError, match="switch_prob"):
        TwoStep().validate(TwoStepParams(switch_prob=float("nan")))
    with pytest.raises(ConfigError):
        make("two_step", common_prob=2.0)


# 10. Failures exit 2 with one line, before compilation where the cause is known then.
def test_run_dir_that_is_a_file_is_refused(tmp_path):
    (tmp_path / "f").write_text("")
    _refused(_run(TWO_STEP, "--smoke", "--run-dir", str(tmp_path / "f")), "is a file")


@pytest.mark.parametrize(
    "content, words",
    [("{not json", "damaged"), ('{"experiment": "two_step", "train": {"seed": 0, "future": 1}}', "this version")],
)
def test_damaged_or_newer_config_is_refused(tmp_path, content, words):
    (tmp_path / "config.json").write_text(content)
    _refused(_run(TWO_STEP, "--resume", str(tmp_path)), words)


def test_eval_only_without_a_checkpoint_is_refused(tmp_path):
    (tmp_path / "config.json").write_text('{"experiment": "two_step", "train": {}, "env_params": {}}')
    _refused(_run(TWO_STEP, "--resume", str(tmp_path), "--eval-only"), "no checkpoint")


@pytest.mark.parametrize(
    "flags, field",
    [(["--eval-episodes", "1000000000"], "--eval-episodes"), (["--hidden-size", "300000"], "--hidden-size")],
)
def test_sizes_beyond_memory_are_refused_with_both_numbers(flags, field):
    proc = _run(TWO_STEP, *flags)
    _refused(proc, field, "GiB", "available")


def test_disk_full_during_a_checkpoint_keeps_the_last_good_one(tmp_path, monkeypatch):
    good = ckpt.save_checkpoint(tmp_path, _state(1.0), 1)

    def full(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(ckpt.os, "fsync", full)
    with pytest.raises(OSError):
        ckpt.save_checkpoint(tmp_path, _state(2.0), 2)
    monkeypatch.undo()
    assert ckpt.list_checkpoints(tmp_path) == [good]
    assert not list(tmp_path.glob("*.tmp"))


# 11. What the run says about itself.
def test_one_seed_summary_says_seed_and_has_no_sem(run_dir):
    out = (run_dir / "stdout.txt").read_text()
    assert "1 seed," in out and "±" not in out and "compilation excluded" in out
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["aggregate"]["reward_per_trial"]["sem"] is None
    err = (run_dir / "stderr.txt").read_text()
    assert "compiling the first chunk" in err and "evaluating" in err
