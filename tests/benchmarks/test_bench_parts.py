"""Pieces of the benchmarks: checksums that catch dropped work, generic env rollouts over
every registered env, shapes-based memory, the GEMM-shape cap's timed work, device slugs,
and the report generated from rows."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
import common  # noqa: E402
import env_only  # noqa: E402
import report  # noqa: E402
import train_bench  # noqa: E402

from metarl_jax.registry import make, registered_envs  # noqa: E402


def test_checksum_rejects_dropped_work_and_accepts_the_reference():
    ref_mean, ref_std = np.array([50.0, 50.0, 101.0, 101.0]), np.array([5.0, 5.0, 0.0, 0.0])
    good = (ref_mean * 1000)[None]
    means = env_only.check_checksums("ok", good, 1000, ref_mean, ref_std, None)
    np.testing.assert_allclose(means, ref_mean)
    with pytest.raises(AssertionError, match="reward"):
        env_only.check_checksums("dropped", np.zeros((1, 4)), 1000, ref_mean, ref_std, None)
    with pytest.raises(AssertionError, match="obs"):
        env_only.check_checksums("one step short", good - [0, 0, 1000, 0], 1000, ref_mean, ref_std, None)


@pytest.mark.parametrize("name", registered_envs())
def test_env_rollout_of_every_registered_env_matches_its_reference(name):
    rows: list = []
    out = env_only.bench_env(name, (4,), rows, quick=True, min_time=0.0, target_steps=256)
    steps_s, trials_s = out[4]
    env, params = make(name)
    assert steps_s > 0
    np.testing.assert_allclose(steps_s / trials_s, env.steps_per_trial(params), rtol=1e-6)
    units = {r["unit"] for r in rows}
    assert {"env_steps_per_s", "trials_per_s", "compile_s"} <= units


def test_analytic_reference_agrees_with_monte_carlo():
    env, params = make("two_step", trials_per_episode=20)
    mean, std = env_only.monte_carlo_reference(env.reset, env.step, env.num_actions, params, 20, episodes=2048)
    ref = env_only.analytic_reference("two_step", env, params)
    assert np.all(np.abs(mean - ref) <= 6 * std / np.sqrt(2048) + 1e-9)


def test_episode_bytes_from_shapes():
    env, params = make("two_step")
    state_b, obs_b = env_only.episode_bytes(env, params)
    assert obs_b == 3 * 4  # one-hot float32 (3,)
    assert state_b == 5 * 4 + 1  # five int32 fields and one bool


def test_gemm_cap_fns_compute_the_lstm_gemms():
    """The timed scans do the GEMMs the cap claims (a NumPy loop gives the same results)."""
    s, e, k, n, steps, hidden = 2, 3, 5, 8, 4, 3
    fns, inputs = train_bench.gemm_step_fns(s, e, k, n, steps, hidden)
    assert tuple(fns) == train_bench.GEMM_STAGES
    w, x0, g0 = (np.asarray(a, np.float64) for a in inputs)
    ts = np.arange(steps) * 1e-3
    xh = x0.copy()
    d_hidden, d_weight = np.zeros((s, e, hidden)), np.zeros((s, k, n))
    for t in ts:
        xh = np.einsum("sek,skn->sen", xh + t, w)[..., :k]
        d_hidden += np.einsum("sen,skn->sek", g0 + t, w[:, k - hidden :])
        d_weight += np.einsum("sek,sen->skn", x0 + t, g0 - t)
    for got, want in zip((fn() for fn in fns.values()), (xh, d_hidden, d_weight)):
        np.testing.assert_allclose(np.asarray(got), want, rtol=1e-4, atol=1e-5)


def test_device_slug_names_the_cpu_model_and_cores(monkeypatch):
    monkeypatch.setattr(common, "cpu_model", lambda: "Intel(R) Xeon(R) Platinum 8480+")
    monkeypatch.setattr(common.os, "cpu_count", lambda: 2)
    assert common.device_slug() == "cpu-intel-xeon-platinum-8480-2c"


_CPUINFO = """processor\t: 0
vendor_id\t: AuthenticAMD
cpu family\t: 25
model\t\t: 17
model name\t: AMD EPYC
flags\t\t: fpu sse2 avx avx2 avx512f avx512bw

processor\t: 1
cpu family\t: 99
"""


def test_generic_cpu_names_get_family_model_and_isa(monkeypatch):
    assert common.cpu_signature(_CPUINFO) == "f25m17 avx512"
    assert common.cpu_signature(_CPUINFO.replace(" avx512f avx512bw", "")) == "f25m17 avx2"
    assert common.cpu_signature("processor\t: 0\nmodel name\t: some ARM\n") == ""
    monkeypatch.setattr(common, "_cpuinfo", lambda: _CPUINFO)
    monkeypatch.setattr(common.os, "cpu_count", lambda: 2)
    for name, slug in (("AMD EPYC", "cpu-amd-epyc-f25m17-avx512-2c"), ("AMD EPYC 9B14", "cpu-amd-epyc-9b14-2c")):
        monkeypatch.setattr(common, "cpu_model", lambda name=name: name)
        assert common.device_slug() == slug


def _row(bench, env, unit, batch, value, run_id, mode="full", **extra):
    return {
        "bench": bench,
        "env": env,
        "variant": "trial",
        "unit": unit,
        "batch": batch,
        "value": value,
        "compile_included": unit == "compile_s",
        "device": "cpu",
        "jax_version": "0",
        "device_name": "Test CPU, 2 cores",
        "run_id": run_id,
        "mode": mode,
        **extra,
    }


def test_report_keeps_the_latest_full_run_and_names_units_and_device(tmp_path):
    rows = [
        _row("env_only", "two_step", "trials_per_s", 1, 1.0e6, "2024-01-01T00:00:00"),
        _row("env_only", "two_step", "trials_per_s", 1, 2.0e6, "2024-01-02T00:00:00"),
        _row("env_only", "two_step", "compile_s", 1, 0.5, "2024-01-02T00:00:00"),
        _row("env_only", "two_step", "trials_per_s", 1, 9.0e6, "2024-01-03T00:00:00", mode="quick"),
        _row("peer_neurogym", "neurogym/DawTwoStep-v0", "trials_per_s", 1, 4.0e4, "r", variant="x"),
        _row("naive_loop", "two_step", "trials_per_s", 1, 5.0e3, "r"),
        _row("train", "two_step", "trials_per_s", 512, 1.0e6, "r", num_seeds=8, num_envs=64),
        _row("train", "two_step", "fraction_of_gemm_cap", 512, 0.5, "r", num_seeds=8, num_envs=64),
        _row("train", "two_step", "fraction_of_gemm_cap", 8192, 0.75, "r", num_seeds=8, num_envs=1024),
    ]
    rows[4]["variant"] = "single/valid"
    md = report.render(rows)
    assert "Test CPU, 2 cores" in md
    assert "2e+06" in md and "1e+06 |" not in md.split("### Env-only throughput")[1].split("###")[0]
    assert "9e+06" not in md  # a quick run does not replace a full one
    assert "trials_per_s (after compile)" in md and "compile s" in md
    assert "vs NeuroGym DawTwoStep-v0, batch 1 (single env)" in md and "**50×**" in md
    assert "**200×**" in md  # default training vs the naive loop
    assert "**50%** of its GEMM-shape cap at the default config, up to 75% (8 seeds × 1024 episodes)" in md
    png = report.plot_scaling(rows, tmp_path / "scaling.png")
    assert png is not None and png.read_bytes()[:4] == b"\x89PNG"
