"""Volatility reference agents: the hidden-Markov observer against a NumPy forward filter, its
learning rates on the test schedule, and the fixed-α control recovered by the per-phase fits
(the fitting test: |α̂ − α| ≤ 0.05 in both phases)."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from metarl_jax.choice_models import rescorla_wagner_policy
from metarl_jax.evaluation import evaluate_policy
from metarl_jax.tasks.volatility.analysis import phase_fits
from metarl_jax.tasks.volatility.baselines import CONTROL_ALPHA, CONTROL_BETA, bayes_observer, reference_agents
from metarl_jax.tasks.volatility.env import Volatility, VolatilityParams

TOLERANCE = 0.05  # |α̂ − α| for the control, both phases (the experiment's CONTROL_TOLERANCE)
BEHRENS = VolatilityParams(schedule="behrens")


def forward_filter(actions, rewards, volatile, switch, params: VolatilityParams) -> np.ndarray:
    """P(option 0 good) before each trial by the HMM forward algorithm in matrix form:
    prior (2,) · emission, normalised, then times the transition matrix [[1 − h, h], [h, 1 − h]]."""
    belief = np.array([0.5, 0.5])
    out = []
    for a, r, v, h in zip(actions, rewards, volatile, switch):
        out.append(belief[0])
        p = params.volatile_p if v else params.stable_p
        p_win = np.array([p, 1 - p]) if a == 0 else np.array([1 - p, p])  # P(win | good = 0), P(win | good = 1)
        post = belief * (p_win if r > 0 else 1 - p_win)
        belief = (post / post.sum()) @ np.array([[1 - h, h], [h, 1 - h]])
    return np.array(out)


def test_observer_belief_matches_numpy_forward_filter():
    params = VolatilityParams(stable_hazard=0.02, volatile_hazard=0.1)
    rng = np.random.default_rng(0)
    n = 60
    actions = rng.integers(0, 2, n)
    rewards = (rng.random(n) < 0.5).astype(np.float32)
    volatile = np.arange(n) >= 25
    switch = np.where(np.roll(volatile, -1), 0.1, 0.02).astype(np.float32)
    policy = bayes_observer(params)

    def body(b, xs):
        a, r, v, h = xs
        return policy.observe(b, a, r, {"volatile": v, "switch_prob": h}), b

    xs = (jnp.asarray(actions), jnp.asarray(rewards), jnp.asarray(volatile), jnp.asarray(switch))
    _, beliefs = jax.lax.scan(body, policy.init(jax.random.key(0)), xs)
    np.testing.assert_allclose(
        np.asarray(beliefs), forward_filter(actions, rewards, volatile, switch, params), atol=1e-5
    )


def _play(policy, episodes: int = 60) -> dict[str, np.ndarray]:
    arrays = evaluate_policy(Volatility(), BEHRENS, policy, jax.random.key(7)[None], episodes)
    return {k: v[0] for k, v in arrays.items()}


def test_observer_learns_faster_in_the_volatile_phase():
    arrays = _play(reference_agents(BEHRENS)["bayes_observer"])
    fits = phase_fits(arrays["action"], arrays["reward"], arrays["volatile"])
    assert fits["alpha_volatile"] > fits["alpha_stable"] + 0.1, fits
    good = arrays["action"] == arrays["good_option"]
    assert good.mean() > 0.85  # it tracks the good option (random: 0.5)


@pytest.mark.parametrize("alpha", [0.1, CONTROL_ALPHA])
def test_fixed_alpha_control_recovered_in_both_phases(alpha):
    arrays = _play(rescorla_wagner_policy(alpha, CONTROL_BETA, num_actions=2))
    fits = phase_fits(arrays["action"], arrays["reward"], arrays["volatile"])
    for phase in ("stable", "volatile"):
        assert abs(fits[f"alpha_{phase}"] - alpha) <= TOLERANCE, (phase, fits)
        assert abs(fits[f"beta_{phase}"] - CONTROL_BETA) <= 0.25 * CONTROL_BETA, (phase, fits)
