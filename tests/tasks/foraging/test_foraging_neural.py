"""Foraging unit coding on hand-built hidden states with known answers: which units code which
variable under the significance-only and the significance-and-modulation criteria, the
regressors' alignment with h, and trained vs untrained in analyse_neural."""

from __future__ import annotations

import numpy as np
import pytest

from metarl_jax.choice_models import rescorla_wagner_values
from metarl_jax.tasks.foraging.baselines import fit_choices
from metarl_jax.tasks.foraging.neural import (
    MIN_MODULATION,
    VARIABLES,
    analyse_neural,
    coding_fractions,
    coding_regressors,
    regressor_spans,
)

E, T = 60, 30


def _history(seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.integers(0, 2, (E, T)), (rng.random((E, T)) < 0.4).astype(np.float32)


def _hidden(action, reward, alpha, gains: list[dict[str, float]], noise: float, seed: int) -> np.ndarray:
    """h (E, T, U): unit u = Σ gains[u][variable] · regressor at step t (t ≥ 1) + noise."""
    regs = coding_regressors(action, reward, alpha)
    rng = np.random.default_rng(seed)
    h = rng.normal(0, noise, (E, T, len(gains)))
    for u, g in enumerate(gains):
        h[:, 1:, u] += sum(w * regs[v].reshape(E, T - 1) for v, w in g.items())
    return h


def test_regressors_are_the_previous_trial_and_the_chosen_value():
    a, r = _history(0)
    regs = coding_regressors(a, r, 0.3)
    np.testing.assert_array_equal(regs["prev_action"].reshape(E, T - 1), 2 * a[:, :-1] - 1)
    np.testing.assert_array_equal(regs["prev_reward"].reshape(E, T - 1), 2 * r[:, :-1] - 1)
    np.testing.assert_array_equal(regs["interaction"], regs["prev_action"] * regs["prev_reward"])
    q = rescorla_wagner_values(0.3, a, r)  # before each trial
    chosen = np.take_along_axis(q, a[..., None], -1)[..., 0]
    np.testing.assert_allclose(regs["chosen_value"].reshape(E, T - 1), chosen[:, 1:], rtol=1e-6)
    # by hand, episode 0: Q of the option chosen at trial 2 after the updates of trials 0 and 1
    qh = np.full(2, 0.5)
    for t in range(2):
        qh[a[0, t]] += 0.3 * (r[0, t] - qh[a[0, t]])
    assert regs["chosen_value"][1] == pytest.approx(qh[a[0, 2]], rel=1e-5)


def test_coding_criteria_on_built_units():
    """4 strong units (one per variable), 1 weak prev-action unit (significant, modulated less
    than MIN_MODULATION), 3 noise units."""
    a, r = _history(1)
    strong = 3 * MIN_MODULATION
    gains = [{v: strong} for v in VARIABLES] + [{"prev_action": MIN_MODULATION / 10}] + [{}] * 3
    h = _hidden(a, r, 0.3, gains, noise=0.002, seed=2)
    out = coding_fractions(h, a, r, 0.3)
    units = len(gains)
    assert out["significant"]["prev_action"] == pytest.approx(2 / units)
    assert out["coding"]["prev_action"] == pytest.approx(1 / units)
    for v in VARIABLES[1:]:
        assert out["significant"][v] == pytest.approx(1 / units), v
        assert out["coding"][v] == pytest.approx(1 / units), v
    spans = regressor_spans(coding_regressors(a, r, 0.3))
    for v in VARIABLES:  # the strong unit's gain times the regressor's span
        assert out["strongest"][v] == pytest.approx(strong * spans[v], rel=0.02), v


def test_analyse_neural_trained_vs_untrained():
    a, r = _history(3)
    ua, ur = _history(4)
    alpha = fit_choices(a, r)["alpha"]  # the value regressor's α: the RW fit to the trained agent's choices
    # gains per unit of each regressor's span: the trained units move by 3 x MIN_MODULATION over
    # it, the untrained ones by MIN_MODULATION / 10 (significant, barely modulated)
    spans = regressor_spans(coding_regressors(a, r, alpha))
    strong = [{v: 3 * MIN_MODULATION / spans[v]} for v in VARIABLES] * 2
    weak = [{v: MIN_MODULATION / 10 / spans[v]} for v in VARIABLES] * 2
    neural = {
        "hidden": _hidden(a, r, alpha, strong, 0.002, 5),
        "untrained__hidden": _hidden(ua, ur, alpha, weak, 0.00002, 6),
        "untrained__action": ua,
        "untrained__reward": ur,
    }
    out = analyse_neural({"action": a, "reward": r}, neural)
    assert out["rw_alpha_for_value"] == alpha
    for v in VARIABLES:
        assert out[f"coding_{v}"] == pytest.approx(0.25) and out[f"coding_{v}_untrained"] == 0.0, v
        assert out[f"significant_{v}"] == pytest.approx(0.25) and out[f"significant_{v}_untrained"] == 0.25, v
    assert out["more_coding_in_trained"] and not out["more_significant_in_trained"]
    for v in VARIABLES:
        assert out[f"coding_{v}_trained_minus_untrained"] == pytest.approx(0.25), v
        assert out[f"strongest_{v}"] == pytest.approx(3 * MIN_MODULATION, rel=0.02), v
        untrained_span = regressor_spans(coding_regressors(ua, ur, alpha))[v]  # its own history's span
        expected = MIN_MODULATION / 10 / spans[v] * untrained_span
        assert out[f"strongest_{v}_untrained"] == pytest.approx(expected, rel=0.02), v
    assert analyse_neural({"action": a, "reward": r}, {}) == {}
