"""Foraging analysis on data with known answers: the lagged logistic regression recovers the
weights of a simulated lagged-logistic chooser, matching slopes of hand-built episodes, the
decay criteria, the replay of a policy on recorded bait arrivals equals the env's own rollout,
and the Rescorla–Wagner fit recovers α of a simulated RW agent on the baited task."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from metarl_jax.agents.policy import Policy
from metarl_jax.evaluation import evaluate_policy
from metarl_jax.tasks.foraging.analysis import (
    analyse_seed,
    choice_regression,
    lagged_design,
    matching,
    weights_decay,
    weights_monotone,
)
from metarl_jax.tasks.foraging.baselines import fit_choices, replay, replay_rescorla_wagner
from metarl_jax.tasks.foraging.env import Foraging, ForagingParams


def _simulate_lagged_logistic(rng, reward_w, choice_w, bias, episodes=400, trials=100):
    """Choices drawn from logit P(a=1) = bias + Σ βₖ rₜ₋ₖ + Σ γₖ cₜ₋ₖ with independent
    Bernoulli(0.4) rewards: the generative model of ``choice_regression``."""
    lags = len(reward_w)
    a = np.zeros((episodes, trials), int)
    r = (rng.random((episodes, trials)) < 0.4).astype(float)
    for t in range(trials):
        z = np.full(episodes, bias)
        for k in range(1, min(lags, t) + 1):
            c = 2.0 * a[:, t - k] - 1
            z += reward_w[k - 1] * c * r[:, t - k] + choice_w[k - 1] * c
        a[:, t] = rng.random(episodes) < 1 / (1 + np.exp(-z))
    return a, r


def test_regression_recovers_known_weights():
    rng = np.random.default_rng(0)
    reward_w, choice_w, bias = [1.2, 0.7, 0.4, 0.2, 0.1], [-0.8, 0.3, 0.2, 0.1, 0.0], 0.3
    a, r = _simulate_lagged_logistic(rng, reward_w, choice_w, bias)
    fit = choice_regression(a, r)
    se_r, se_c = np.asarray(fit["reward_weights_se"]), np.asarray(fit["choice_weights_se"])
    assert np.all(np.abs(np.asarray(fit["reward_weights"]) - reward_w) < 5 * se_r)
    assert np.all(np.abs(np.asarray(fit["choice_weights"]) - choice_w) < 5 * se_c)
    assert abs(fit["bias"] - bias) < 0.1
    assert np.all(se_r < 0.06)  # 400 x 95 trials: tight enough that the test can fail


def test_lagged_design_codes_rewards_by_option_and_skips_the_first_lags():
    a = np.array([[1, 0, 0, 1]])
    r = np.array([[1.0, 1.0, 0.0, 1.0]])
    x, y = lagged_design(a, r, lags=2)
    # trial 2: r lag1 = −1 (reward from option 0), r lag2 = +1 (from option 1); c lag1 = −1, c lag2 = +1
    np.testing.assert_array_equal(x, [[1, -1, 1, -1, 1], [1, 0, -1, -1, -1]])
    np.testing.assert_array_equal(y, [0, 1])
    with pytest.raises(ValueError):
        lagged_design(a, r, lags=4)


def test_matching_slopes_of_hand_built_episodes():
    # Episode e: 10 trials, choices of option 1 = k_e, every choice of option 1 rewarded and one
    # of option 0 rewarded: reward fraction k/(k+1), choice fraction k/10.
    rows_a, rows_r = [], []
    for k in (2, 4, 6, 8):
        a = np.array([1] * k + [0] * (10 - k))
        r = np.zeros(10)
        r[:k] = 1
        r[k] = 1
        rows_a.append(a)
        rows_r.append(r)
    rows_a.append(np.zeros(10, int))  # an episode without reward is left out
    rows_r.append(np.zeros(10))
    out = matching(np.array(rows_a), np.array(rows_r))
    assert out["matching_episodes"] == 4
    ks = np.array([2, 4, 6, 8])
    np.testing.assert_allclose(out["reward_fraction"], ks / (ks + 1))
    np.testing.assert_allclose(out["choice_fraction"], ks / 10)
    assert out["matching_slope"] == pytest.approx(np.polyfit(ks / (ks + 1), ks / 10, 1)[0])
    # log ratios: log(k / (10 − k)) on log(k / 1)
    assert out["matching_slope_log"] == pytest.approx(np.polyfit(np.log(ks), np.log(ks / (10 - ks)), 1)[0])


def test_perfect_matching_has_slope_one():
    a = np.array([[1, 1, 0, 0], [1, 0, 0, 0], [1, 1, 1, 0]])
    r = np.ones((3, 4))
    assert matching(a, r)["matching_slope"] == pytest.approx(1.0)


def test_decay_criteria():
    assert weights_decay([1.0, 0.8, 0.5, 0.3, 0.1]) and weights_monotone([1.0, 0.8, 0.5, 0.3, 0.1])
    assert weights_decay([0.6, 0.7, 0.5, 0.4, 0.2]) and not weights_monotone([0.6, 0.7, 0.5, 0.4, 0.2])
    assert not weights_decay([0.1, 0.2, 0.3, 0.4, 0.5]) and not weights_decay([0.5, 0.1, 0.1, 0.1, 0.6])


ENV = Foraging()
PARAMS = ForagingParams()


def _alternate() -> Policy:
    """Deterministic: alternate options, starting with option 1."""
    return Policy(
        "alternate",
        init=lambda key: jnp.int32(0),
        act=lambda key, last, obs: (1 - last).astype(jnp.int32),
        observe=lambda last, action, reward, info: action,
    )


@pytest.fixture(scope="module")
def episodes() -> dict[str, np.ndarray]:
    """300 baited episodes played by the alternating policy (one seed): their arrivals serve every
    simulated agent below (arrivals do not depend on the choices)."""
    return evaluate_policy(ENV, PARAMS, _alternate(), jax.random.split(jax.random.key(3), 1), 300)


def test_replay_on_recorded_arrivals_equals_the_env_rollout(episodes):
    """A deterministic policy meets the same episode in the env and in the replay."""
    again = replay(_alternate(), episodes["bait_arrival"][0, :50])
    np.testing.assert_array_equal(again["action"], episodes["action"][0, :50])
    np.testing.assert_array_equal(again["reward"], episodes["reward"][0, :50])


@pytest.mark.parametrize(("alpha", "beta"), [(0.3, 5.0), (0.1, 8.0)])
def test_rescorla_wagner_fit_recovers_alpha_on_the_baited_task(episodes, alpha, beta):
    """RW with known (α, β) plays 300 baited episodes; the fit recovers α within 25 % and β
    within 30 % (tolerances measured: errors below 10 % at these sizes)."""
    played = replay_rescorla_wagner(alpha, beta, episodes["bait_arrival"][0])
    fit = fit_choices(played["action"], played["reward"])
    assert fit["alpha"] == pytest.approx(alpha, rel=0.25)
    assert fit["beta"] == pytest.approx(beta, rel=0.3)


def test_analyse_seed_of_a_rescorla_wagner_agent(episodes):
    """On a simulated RW agent: reward weights positive and decaying, undermatching slope in
    (0, 1], and its fitted replay behaves alike (reward per trial within 0.02)."""
    played = replay_rescorla_wagner(0.3, 6.0, episodes["bait_arrival"][0])
    out = analyse_seed(played | {"bait_arrival": episodes["bait_arrival"][0]})
    assert out["reward_weights_positive"] and out["reward_weights_decay"]
    assert out["rw_reward_weights_positive"] and out["rw_reward_weights_decay"]
    assert 0 < out["matching_slope"] <= 1.0
    assert abs(out["rw_reward_per_trial"] - out["reward_per_trial"]) < 0.02
    assert out["rw_alpha"] == pytest.approx(0.3, rel=0.25)
