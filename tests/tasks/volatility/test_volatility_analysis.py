"""Volatility analysis on hand-built data with known answers: per-phase learning rates of a
simulated agent whose α changes with the phase, choice traces, the paired comparison across
seeds, the control's recovery check, and the phase decoding at matched trials."""

from __future__ import annotations

import numpy as np
import pytest

from metarl_jax.tasks.volatility import analysis, neural


def simulate_phase_rw(alphas: tuple[float, float], beta: float, episodes: int, rng) -> dict[str, np.ndarray]:
    """A Rescorla–Wagner agent whose α is alphas[0] on stable trials and alphas[1] on volatile
    ones (NumPy); a 40-trial stable phase (p 0.75) then a 60-trial volatile phase (p 0.8, reversing
    every 15 trials); Q starts at 0.5."""
    volatile = np.broadcast_to(np.arange(100) >= 40, (episodes, 100))
    flips = np.maximum(np.arange(100) - 40, 0) // 15 % 2 == 1
    good = np.where(flips, 1, 0) ^ rng.integers(0, 2, (episodes, 1))
    p = np.where(volatile, 0.8, 0.75)
    q = np.full((episodes, 2), 0.5)
    rows = np.arange(episodes)
    action = np.zeros((episodes, 100), int)
    reward = np.zeros((episodes, 100))
    for t in range(100):
        p1 = 1 / (1 + np.exp(-beta * (q[:, 1] - q[:, 0])))
        a = (rng.random(episodes) < p1).astype(int)
        r = (rng.random(episodes) < np.where(a == good[:, t], p[:, t], 1 - p[:, t])).astype(float)
        alpha = alphas[1] if volatile[0, t] else alphas[0]
        q[rows, a] += alpha * (r - q[rows, a])
        action[:, t], reward[:, t] = a, r
    return {"action": action, "reward": reward, "volatile": volatile, "good_option": good,
            "arm_probs": np.stack([np.where(good == 0, p, 1 - p), np.where(good == 0, 1 - p, p)], -1)}  # fmt: skip


def test_per_phase_fits_recover_each_phases_alpha():
    arrays = simulate_phase_rw((0.1, 0.5), 6.0, 150, np.random.default_rng(1))
    out = analysis.analyse_seed(arrays)
    assert abs(out["alpha_stable"] - 0.1) < 0.04, out
    assert abs(out["alpha_volatile"] - 0.5) < 0.1, out
    assert out["alpha_volatile_greater"] and out["alpha_difference"] > 0.25
    assert 0.5 < out["good_choice_stable"] <= 1 and 0.5 < out["good_choice_volatile"] <= 1
    assert out["reward_per_trial"] == pytest.approx(arrays["reward"].mean())
    assert set(out["traces"]) == {"stable_first"} and out["traces"]["stable_first"]["episodes"] == 150


def test_choice_traces_by_order():
    action = np.array([[0, 0, 1], [1, 1, 1], [0, 1, 0]])
    good = np.array([[0, 0, 1], [1, 1, 1], [1, 1, 1]])  # option A: 0, 1, 1
    volatile = np.array([[0, 1, 1], [0, 1, 1], [1, 0, 0]], bool)  # stable first, stable first, volatile first
    p = np.where(volatile, 0.8, 0.75)
    arm_probs = np.stack([np.where(good == 0, p, 1 - p), np.where(good == 0, 1 - p, p)], -1)
    traces = analysis.choice_traces(action, good, arm_probs, volatile)
    assert traces["stable_first"]["choice"] == [1.0, 1.0, 0.5] and traces["stable_first"]["episodes"] == 2
    np.testing.assert_allclose(traces["stable_first"]["p"], [0.75, 0.8, 0.5])  # A reversed in episode 0 at trial 3
    assert traces["volatile_first"]["choice"] == [0.0, 1.0, 0.0]
    np.testing.assert_allclose(traces["volatile_first"]["p"], [0.8, 0.75, 0.75])


FITS = {  # seed -> hand-set fits
    0: {"alpha_stable": 0.2, "alpha_volatile": 0.35},
    1: {"alpha_stable": 0.25, "alpha_volatile": 0.3},
    2: {"alpha_stable": 0.1, "alpha_volatile": 0.4},
}


@pytest.fixture
def fake_fits(monkeypatch):
    """phase_fits reads the seed from the (S, E, T) arrays' first action."""
    monkeypatch.setattr(analysis, "phase_fits", lambda a, r, v: FITS[int(a[0, 0])])
    return {"action": np.arange(3)[:, None, None] * np.ones((3, 2, 4), int), "reward": np.zeros((3, 2, 4)),
            "volatile": np.zeros((3, 2, 4), bool)}  # fmt: skip


def test_phase_comparison_pairs_seeds(fake_fits):
    diff = analysis.phase_comparison({"metarl": fake_fits})["metarl"]
    d = np.array([0.15, 0.05, 0.3])
    half = 4.302652729911275 * d.std(ddof=1) / np.sqrt(3)  # t(0.975, 2)
    assert diff["n"] == 3 and diff["mean"] == pytest.approx(d.mean())
    assert diff["ci95"] == pytest.approx(half) and diff["significant"] == (d.mean() > half)


def test_control_recovery_tolerance(fake_fits):
    ok = analysis.control_recovery(fake_fits, alpha=0.25, tolerance=0.16)
    assert ok["recovered"] and ok["max_abs_error"] == pytest.approx(0.15)
    assert ok["alpha_stable"] == [0.2, 0.25, 0.1] and ok["alpha_volatile"] == [0.35, 0.3, 0.4]
    assert not analysis.control_recovery(fake_fits, alpha=0.25, tolerance=0.1)["recovered"]


def test_matched_steps_skip_trials_whose_phase_the_step_gives():
    first = np.arange(40) % 2 == 0
    t = np.arange(100)
    volatile = np.where(first[:, None], t >= 30, t < 60)  # trials 30-59 volatile in every episode
    steps = neural.matched_steps(volatile)
    assert len(steps) == neural.NUM_STEPS and steps.min() >= neural.FIRST_TRIAL
    assert not np.any((steps >= 30) & (steps < 60))
    assert np.all(volatile[:, steps].mean(0) == 0.5)


def test_phase_decoded_from_a_unit_that_carries_it_and_not_from_time():
    rng = np.random.default_rng(0)
    first = np.arange(60) % 2 == 0
    t = np.arange(50)
    volatile = np.where(first[:, None], t >= 20, t < 30)
    hidden = rng.normal(size=(60, 50, 4))
    hidden[..., 0] += 3.0 * volatile  # unit 0 codes the phase
    behaviour = {"volatile": volatile}
    out = neural.analyse_neural(behaviour, {"hidden": hidden, "untrained__hidden": rng.normal(size=(60, 50, 4)),
                                            "untrained__volatile": volatile}, None)  # fmt: skip
    assert out["regime_accuracy"] > 0.9 and out["regime_above_chance"]
    assert abs(out["regime_chance"] - 0.5) < 0.1 and abs(out["regime_accuracy_untrained"] - 0.5) < 0.1
    assert not out["regime_above_chance_untrained"]
    assert out["regime_accuracy_from_time"] == pytest.approx(0.5, abs=0.05)
    assert neural.analyse_neural(behaviour, {}, None) == {}
