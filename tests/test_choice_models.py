"""Rescorla–Wagner fitting: the likelihood against a plain NumPy loop, the values by hand, and
maximum likelihood recovering known (alpha, beta) from simulated agents."""

import jax
import numpy as np
import pytest

from metarl_jax.agents.rollout import policy_rollout
from metarl_jax.choice_models import (
    fit_rescorla_wagner,
    rescorla_wagner_nll,
    rescorla_wagner_policy,
    rescorla_wagner_values,
)
from metarl_jax.registry import make


def _numpy_nll(alpha, beta, choices, rewards, mask, q0=0.5):
    """The model written out trial by trial."""
    total = 0.0
    for c_ep, r_ep, m_ep in zip(choices, rewards, mask):
        q = np.full(2, q0)
        for c, r, m in zip(c_ep, r_ep, m_ep):
            logits = beta * q
            logp = logits - np.log(np.exp(logits).sum())
            total -= logp[c] * m
            q[c] += alpha * (r - q[c])
    return total


def test_values_by_hand():
    q = rescorla_wagner_values(0.5, [[0, 0, 1]], [[1.0, 0.0, 1.0]])
    np.testing.assert_allclose(q[0], [[0.5, 0.5], [0.75, 0.5], [0.375, 0.5]])


def test_nll_matches_numpy_loop_with_mask():
    rng = np.random.default_rng(0)
    choices, rewards = rng.integers(0, 2, (3, 20)), rng.integers(0, 2, (3, 20)).astype(float)
    mask = rng.random((3, 20)) < 0.5
    ours = rescorla_wagner_nll((0.3, 4.0), choices, rewards, mask)
    np.testing.assert_allclose(ours, _numpy_nll(0.3, 4.0, choices, rewards, mask), rtol=1e-5)
    assert rescorla_wagner_nll((0.3, 4.0), choices, rewards) > ours  # more trials, more surprise


def _simulate(alpha, beta, episodes=400):
    env, params = make("bandit", distribution="dependent", difficulty="medium")
    rollout = jax.jit(policy_rollout(env, params, rescorla_wagner_policy(alpha, beta, 2)))
    traj = rollout(jax.random.split(jax.random.PRNGKey(1), episodes))
    return np.asarray(traj.actions).T, np.asarray(traj.rewards).T


@pytest.mark.parametrize("alpha,beta", [(0.1, 5.0), (0.4, 3.0), (0.8, 8.0)])
def test_fit_recovers_known_parameters(alpha, beta):
    """400 episodes x 100 trials: alpha within 0.05 and beta within 15% of the truth."""
    choices, rewards = _simulate(alpha, beta)
    fit = fit_rescorla_wagner(choices, rewards)
    assert abs(fit["alpha"] - alpha) < 0.05, fit
    assert abs(fit["beta"] - beta) < 0.15 * beta, fit
    assert fit["num_trials"] == choices.size
    # the optimum is no worse than the truth
    assert fit["nll"] <= rescorla_wagner_nll((alpha, beta), choices, rewards) + 1e-3 * fit["num_trials"]


def test_fit_on_part_of_the_trials_and_empty_mask():
    choices, rewards = _simulate(0.4, 3.0, episodes=200)
    mask = np.zeros(choices.shape, bool)
    mask[:, 50:] = True
    assert abs(fit_rescorla_wagner(choices, rewards, mask)["alpha"] - 0.4) < 0.08
    with pytest.raises(ValueError, match="no trial"):
        fit_rescorla_wagner(choices, rewards, np.zeros(choices.shape, bool))
