"""Runs that survive: kills at random moments (one inside a checkpoint write), SIGTERM,
exact resume, eval-only, truncated checkpoints, the NaN guard, compile-once on resume."""

import dataclasses
import json
import logging
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import jax
import jax.numpy as jnp
import msgpack
import numpy as np
import pytest

import metarl_jax.pipeline.run as pipeline_run
from metarl_jax import pipeline
from metarl_jax.pipeline.setup import EXIT_NON_FINITE
from metarl_jax.registry import EXPERIMENTS, make
from metarl_jax.training import a2c
from metarl_jax.training.checkpoint import (
    KILL_IN_CHECKPOINT_ENV,
    CheckpointError,
    list_checkpoints,
    load_checkpoint,
    restore_latest,
    save_checkpoint,
)
from metarl_jax.training.config import TrainConfig
from metarl_jax.training.loop import TIMING_FIELDS, seed_keys

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = str(ROOT / "experiments" / "two_step.py")
# 24 updates of 2 seeds x 128 episodes x 50 trials, 2 updates per chunk, a checkpoint per chunk.
FLAGS = ["--smoke", "--quiet", "--num-envs", "128", "--total-episodes", str(128 * 24), "--chunk-size", "2",
         "--checkpoint-every", "2", "--trials-per-episode", "50", "--eval-episodes", "10"]  # fmt: skip


def _start(args, env_extra=None):
    env = dict(os.environ, **(env_extra or {}))
    return subprocess.Popen([sys.executable, SCRIPT, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)


def _metrics_lines(run_dir: Path) -> int:
    path = run_dir / "metrics.jsonl"
    return len(path.read_text().splitlines()) if path.exists() else 0


def _wait_for_lines(proc, run_dir: Path, n: int, timeout: float = 120.0) -> None:
    t0 = time.time()
    while _metrics_lines(run_dir) < n:
        assert proc.poll() is None, proc.communicate()[1].decode()[-2000:]
        assert time.time() - t0 < timeout, "run made no progress"
        time.sleep(0.01)


def _deterministic(rows):
    return [{k: v for k, v in r.items() if k not in TIMING_FIELDS} for r in rows]


def _read_rows(run_dir: Path):
    return [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]


def _final_checkpoint(run_dir: Path) -> bytes:
    """The training state's bytes in the last checkpoint (the file also holds the run's id)."""
    return msgpack.unpackb(list_checkpoints(run_dir / "checkpoints")[-1].read_bytes())["state"]


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    run_dir = tmp_path_factory.mktemp("ref") / "run"
    proc = _start([*FLAGS, "--run-dir", str(run_dir)])
    _, err = proc.communicate(timeout=600)
    assert proc.returncode == 0, err.decode()[-2000:]
    return run_dir


def test_killed_and_resumed_run_is_bit_identical(reference, tmp_path):
    rng = random.Random(1234)
    run_dir = tmp_path / "run"
    resume = ["--quiet", "--resume", str(run_dir)]

    # 1) SIGKILL at a random moment mid-training (after a random number of chunks + jitter).
    proc = _start([*FLAGS, "--run-dir", str(run_dir)])
    _wait_for_lines(proc, run_dir, rng.randint(1, 3))
    time.sleep(rng.uniform(0.0, 0.3))
    proc.kill()
    proc.wait()

    # 2) SIGTERM: the run checkpoints at the end of the current chunk and exits 128 + 15.
    proc = _start(resume)
    _wait_for_lines(proc, run_dir, _metrics_lines(run_dir) + rng.randint(1, 2))
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 128 + signal.SIGTERM, err.decode()[-2000:]
    assert "--resume" in err.decode()
    last = _read_rows(run_dir)[-1]["updates"]
    assert list_checkpoints(run_dir / "checkpoints")[-1].name == f"update_{last:09d}.msgpack"

    # 3) SIGKILL inside a checkpoint write (half the temp file on disk).
    proc = _start(resume, {KILL_IN_CHECKPOINT_ENV: "2"})
    proc.communicate(timeout=120)
    assert proc.returncode == -signal.SIGKILL
    assert list((run_dir / "checkpoints").glob("*.tmp")), "the kill should leave a torn temp file"

    # 4) SIGKILL at another random moment, then run to the end.
    proc = _start(resume)
    _wait_for_lines(proc, run_dir, _metrics_lines(run_dir) + 1)
    time.sleep(rng.uniform(0.0, 0.3))
    proc.kill()
    proc.wait()
    proc = _start(resume)
    _, err = proc.communicate(timeout=600)
    assert proc.returncode == 0, err.decode()[-2000:]

    assert _final_checkpoint(run_dir) == _final_checkpoint(reference)  # bit-identical state
    assert _deterministic(_read_rows(run_dir)) == _deterministic(_read_rows(reference))
    ours = json.loads((run_dir / "summary.json").read_text())
    ref = json.loads((reference / "summary.json").read_text())
    for s in (ours, ref):
        for k in ("wall_time_s", "agent_steps_per_s", "trials_per_s"):
            s.pop(k)
    assert ours == ref


def test_eval_only_reproduces_summary(reference, tmp_path, capsys):
    run_dir = tmp_path / "copy"
    subprocess.run(["cp", "-r", str(reference), str(run_dir)], check=True)
    before = json.loads((run_dir / "summary.json").read_text())
    (run_dir / "summary.json").unlink()
    spec = EXPERIMENTS["two_step"]()
    assert pipeline.main(spec, ["--eval-only", "--quiet", "--resume", str(run_dir)]) == 0
    after = json.loads((run_dir / "summary.json").read_text())
    for s in (before, after):
        s.pop("wall_time_s")
    assert after == before
    assert _read_rows(run_dir) == _read_rows(reference)  # eval-only never touches metrics


def test_resume_refuses_changed_training_flags(reference, capsys):
    spec = EXPERIMENTS["two_step"]()
    with pytest.raises(SystemExit) as exc:
        pipeline.parse(spec, ["--resume", str(reference), "--lr", "0.5"], "two_step.py")
    assert exc.value.code == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "--lr=0.5" in err
    with pytest.raises(SystemExit):
        pipeline.parse(spec, ["--resume", str(reference / "nope")], "two_step.py")
    with pytest.raises(SystemExit):
        pipeline.parse(spec, ["--eval-only"], "two_step.py")  # needs --resume
    setup = pipeline.parse(spec, ["--resume", str(reference), "--total-episodes", "9999"], "two_step.py")
    assert setup.train.total_episodes == 9999 and setup.train.num_envs == 128
    assert setup.run.checkpoint_every == 2  # kept from the saved run


def _small_state(hidden=8):
    config = dataclasses.replace(TrainConfig(), num_seeds=2, num_envs=2, hidden_size=hidden, chunk_size=1)
    env, params = make("two_step", trials_per_episode=5)
    fns = a2c.make_train(config, env, params)
    return fns, fns.init(seed_keys(config)), config


def test_checkpoint_roundtrip_truncation_and_mismatch(tmp_path):
    fns, state, _ = _small_state()
    state, _ = fns.update_chunk(state, jnp.int32(1))
    path = save_checkpoint(tmp_path, state, 1)
    template, _ = _small_state()[1], None
    restored = load_checkpoint(path, template)
    for a, b in zip(
        jax.tree.leaves(jax.random.key_data(restored.seed_key)), jax.tree.leaves(jax.random.key_data(state.seed_key))
    ):
        np.testing.assert_array_equal(a, b)
    for a, b in zip(jax.tree.leaves(restored.params), jax.tree.leaves(state.params)):
        np.testing.assert_array_equal(a, b)
    assert restored.opt_state.hyperparams["learning_rate"].dtype == jnp.float32
    assert int(restored.update[0]) == 1

    data = path.read_bytes()
    torn = tmp_path / "torn.msgpack"
    torn.write_bytes(data[: len(data) // 2])
    with pytest.raises(CheckpointError, match="truncated or corrupt"):
        load_checkpoint(torn, template)
    with pytest.raises(CheckpointError, match="does not match"):
        load_checkpoint(path, _small_state(hidden=16)[1])
    for u in range(2, 7):
        save_checkpoint(tmp_path, state, u)
    assert [p.name for p in list_checkpoints(tmp_path)] == [f"update_{u:09d}.msgpack" for u in (4, 5, 6)]


def test_resume_skips_a_damaged_latest_checkpoint(tmp_path, capsys):
    fns, state, _ = _small_state()
    state, _ = fns.update_chunk(state, jnp.int32(1))
    save_checkpoint(tmp_path / "checkpoints", state, 1)
    bad = tmp_path / "checkpoints" / "update_000000002.msgpack"
    bad.write_bytes(b"\x85garbage")
    restored, update = restore_latest(tmp_path, _small_state()[1])
    assert update == 1
    assert "skipping" in capsys.readouterr().err


def _inject_nan(monkeypatch, seed_index=1):
    """Make one seed's entropy coefficient NaN, so its first loss is non-finite (in the
    make_train the pipeline calls)."""
    original = a2c.make_train

    def make_train(config, env, params):
        fns = original(config, env, params)

        def init(keys):
            state = fns.init(keys)
            coef = state.hparams.entropy_coef.at[seed_index].set(jnp.nan)
            return state._replace(hparams=state.hparams._replace(entropy_coef=coef))

        return fns._replace(init=init)

    monkeypatch.setattr(pipeline_run, "make_train", make_train)


SMALL = ["--smoke", "--quiet", "--num-seeds", "3", "--total-episodes", "96", "--num-envs", "16", "--chunk-size", "2"]


def test_nan_guard_freezes_one_seed_and_fails_the_run(monkeypatch, tmp_path, capsys):
    _inject_nan(monkeypatch)
    spec = EXPERIMENTS["two_step"]()
    code = pipeline.main(spec, [*SMALL, "--run-dir", str(tmp_path / "run")])
    assert code == EXIT_NON_FINITE
    err = capsys.readouterr().err
    assert "seed 1 (update 0)" in err
    summary = json.loads((tmp_path / "run" / "summary.json").read_text())
    assert summary["frozen_seeds"] == {"1": 0}
    assert [s["episodes_trained"] for s in summary["seeds"]] == [96, 96, 96]
    state = load_checkpoint(list_checkpoints(tmp_path / "run" / "checkpoints")[-1], _nan_template())
    assert all(np.isfinite(np.asarray(x)).all() for x in jax.tree.leaves(state.params))
    assert np.asarray(state.frozen_at).tolist() == [-1, 0, -1]
    fresh = _nan_template()
    kernel = np.asarray(state.params["params"]["gates"]["kernel"])
    np.testing.assert_array_equal(kernel[1], np.asarray(fresh.params["params"]["gates"]["kernel"])[1])  # never updated
    assert not np.array_equal(kernel[0], np.asarray(fresh.params["params"]["gates"]["kernel"])[0])  # trained


def _nan_template():
    spec = EXPERIMENTS["two_step"]()
    setup = pipeline.parse(spec, SMALL, "p")
    return a2c.make_train(setup.train, setup.env, setup.env_params).init(seed_keys(setup.train))


def test_stop_on_nan_stops_at_once(monkeypatch, tmp_path, capsys):
    _inject_nan(monkeypatch, seed_index=2)
    spec = EXPERIMENTS["two_step"]()
    code = pipeline.main(spec, [*SMALL, "--stop-on-nan", "--run-dir", str(tmp_path / "run")])
    assert code == EXIT_NON_FINITE
    assert "--stop-on-nan" in capsys.readouterr().err
    rows = _read_rows(tmp_path / "run")
    assert len(rows) == 1 and rows[0]["frozen_seeds"] == [2]
    assert not (tmp_path / "run" / "summary.json").exists()
    ckpts = list_checkpoints(tmp_path / "run" / "checkpoints")
    assert [p.name for p in ckpts] == ["update_000000002.msgpack"]


def test_chunk_compiles_once_across_resume(tmp_path, caplog):
    spec = EXPERIMENTS["two_step"]()
    run_dir = str(tmp_path / "run")
    args = ["--smoke", "--quiet", "--num-seeds", "1", "--total-episodes", "32", "--num-envs", "8", "--chunk-size", "2"]
    assert pipeline.main(spec, [*args, "--run-dir", run_dir]) == 0
    caplog.set_level(logging.WARNING)
    with jax.log_compiles():
        assert pipeline.main(spec, ["--quiet", "--resume", run_dir, "--total-episodes", "80"]) == 0
    compiles = [r for r in caplog.records if "Compiling jit(update_chunk)" in r.getMessage()]
    assert len(compiles) == 1  # restored state has exactly the avals of a fresh one
    assert _read_rows(Path(run_dir))[-1]["updates"] == 10
