"""Seed-sharded training under jax.distributed: two processes on localhost (CPU devices,
gloo collectives) train the same model as one process. Processes, since each must call
jax.distributed.initialize before anything else touches JAX."""

from __future__ import annotations

import dataclasses
import json
import os
import socket
import subprocess
import sys

import jax
import jax.numpy as jnp
import numpy as np

from metarl_jax.registry import make
from metarl_jax.training.a2c import make_train
from metarl_jax.training.checkpoint import load_checkpoint
from metarl_jax.training.config import TrainConfig
from metarl_jax.training.loop import seed_keys

CONFIG = dataclasses.replace(
    TrainConfig(), num_seeds=2, num_envs=4, chunk_size=2, total_episodes=16, hidden_size=8, seed=3
)
ENV = {"trials_per_episode": 10}
FLAGS = [
    "--seed=3",
    "--num-seeds=2",
    "--num-envs=4",
    "--chunk-size=2",
    "--total-episodes=16",
    "--hidden-size=8",
    "--trials-per-episode=10",
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _child_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "XLA_FLAGS"}  # one CPU device per process
    env["JAX_PLATFORMS"] = "cpu"
    return env


def _one_process_params():
    """-> (the params one process trains to, a fresh state: the checkpoint's template)."""
    env, params = make("two_step", **ENV)
    fns = make_train(CONFIG, env, params)
    state = fns.init(seed_keys(CONFIG))
    template = fns.init(seed_keys(CONFIG))  # update_chunk donates its input
    done = 0
    while done < CONFIG.num_updates:
        active = min(CONFIG.chunk_size, CONFIG.num_updates - done)
        state, _ = fns.update_chunk(state, jnp.int32(active))
        done += active
    return jax.tree.map(np.asarray, state.params), template


def test_two_processes_train_the_same_model_as_one(tmp_path):
    port = _free_port()
    out = tmp_path / "out"
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "metarl_jax.multihost",
                f"--coordinator-address=127.0.0.1:{port}",
                "--num-processes=2",
                f"--process-id={i}",
                f"--out={out}",
                *FLAGS,
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=_child_env(),
        )
        for i in range(2)
    ]
    try:
        results = [p.communicate(timeout=600) for p in procs]
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
    for p, (_stdout, stderr) in zip(procs, results):
        assert p.returncode == 0, stderr[-3000:]

    dist = json.loads((out / "distributed.json").read_text())
    assert dist["process_count"] == 2
    assert dist["device_count"] == 2
    assert dist["sharded_devices"] == 2  # the seed axis really spans both processes
    assert dist["seeds_of_process_0"] == [3]  # process 0 computed only its own seed
    config = json.loads((out / "config.json").read_text())
    assert config["processes"] == 2
    assert config["seed_layout"] == {"devices": 2, "seeds_per_device": 1, "pad_seeds": 0}  # one seed per process
    lines = (out / "metrics.jsonl").read_text().splitlines()
    assert [json.loads(line)["updates"] for line in lines] == [2, 4]
    assert json.loads(lines[-1])["seeds"] == [3, 4]

    ckpts = sorted((out / "checkpoints").glob("update_*.msgpack"))
    assert [p.name for p in ckpts] == [f"update_{CONFIG.num_updates:09d}.msgpack"]
    expected, template = _one_process_params()
    saved = load_checkpoint(ckpts[0], template)  # whatever the file format: the library reads it
    got = jax.tree.map(np.asarray, saved.params)
    for a, b in zip(jax.tree.leaves(got), jax.tree.leaves(expected), strict=True):
        assert a.shape == b.shape
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)
    assert np.asarray(saved.update).tolist() == [CONFIG.num_updates] * CONFIG.num_seeds

    # Process 0 then evaluated the run as the experiment script's --eval-only would.
    summary = json.loads((out / "summary.json").read_text())
    assert summary["experiment"] == "two_step"
    assert [s["seed"] for s in summary["seeds"]] == [3, 4]
    assert all(s["episodes_trained"] == CONFIG.total_episodes for s in summary["seeds"])
    assert summary["trials_per_s"] > 0  # from the multi-host metrics rows
    assert (out / "eval.npz").is_file() and (out / "analysis.json").is_file()
    assert any((out / "figures").glob("*.png"))
    assert "results in" in results[0][0]


def test_out_holding_a_run_is_refused_before_any_work(tmp_path):
    (tmp_path / "config.json").write_text("{}")
    proc = subprocess.run(
        [sys.executable, "-m", "metarl_jax.multihost", f"--out={tmp_path}", *FLAGS],
        capture_output=True,
        text=True,
        env=_child_env(),
        timeout=300,
    )
    assert proc.returncode == 2
    assert f"--out={tmp_path}: already holds a run" in proc.stderr
    assert not (tmp_path / "metrics.jsonl").exists()


def test_num_seeds_must_divide_the_global_device_count():
    proc = subprocess.run(
        [sys.executable, "-m", "metarl_jax.multihost", "--num-seeds=3", *FLAGS[2:]],
        capture_output=True,
        text=True,
        env={**_child_env(), "XLA_FLAGS": "--xla_force_host_platform_device_count=2"},
        timeout=300,
    )
    assert proc.returncode == 2
    assert "--num-seeds=3" in proc.stderr and "device count (2)" in proc.stderr
