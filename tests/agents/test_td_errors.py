"""The recorded TD error δₜ = rₜ + discountₜ·Vₜ₊₁ − Vₜ (agents.rollout.td_errors and the
evaluation's ``rpe``) against hand computations, and a recording rollout's other arrays."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from metarl_jax.agents.rollout import make_rollout, step_discounts, td_errors
from metarl_jax.evaluation import NEURAL_KEYS, evaluate_network
from metarl_jax.tasks.two_step import TwoStep
from metarl_jax.training.a2c import make_train
from metarl_jax.training.config import TrainConfig
from metarl_jax.training.loop import seed_keys

GAMMA = 0.9


def hand_td(rewards, values, trial_end, gamma):
    """δ of one episode (T,) step by step: discount γ after a trial's last step, 1 inside a
    trial, 0 after the episode's last step (whose next value is 0)."""
    t_max = len(rewards)
    delta = np.zeros(t_max)
    for t in range(t_max):
        last = t == t_max - 1
        discount = 0.0 if last else (gamma if trial_end[t] else 1.0)
        v_next = 0.0 if last else float(values[t + 1])
        delta[t] = float(rewards[t]) + discount * v_next - float(values[t])
    return delta


def test_step_discounts_two_stage_trials():
    # two trials of two steps: 1 inside a trial, γ at its end, 0 at the episode's end
    trial_end = jnp.array([False, True, False, True])
    terminated = jnp.array([False, False, False, True])
    d = step_discounts(trial_end, terminated, jnp.float32(GAMMA))
    assert d.dtype == jnp.float32
    np.testing.assert_allclose(np.asarray(d), [1.0, GAMMA, 1.0, 0.0], rtol=1e-7)


def test_td_errors_by_hand_two_stage():
    rewards = jnp.array([0.0, 1.0, 0.0, 0.5], jnp.float32)
    values = jnp.array([0.2, 0.4, 0.3, 0.6], jnp.float32)
    trial_end = jnp.array([False, True, False, True])
    terminated = jnp.array([False, False, False, True])
    delta = td_errors(rewards, values, step_discounts(trial_end, terminated, jnp.float32(GAMMA)))
    expected = [
        0.0 + 1.0 * 0.4 - 0.2,  # first stage: no discount inside the trial
        1.0 + GAMMA * 0.3 - 0.4,  # trial end: γ times the next trial's first value
        0.0 + 1.0 * 0.6 - 0.3,
        0.5 + 0.0 - 0.6,  # the episode's last step: V after it = 0
    ]
    np.testing.assert_allclose(np.asarray(delta), expected, atol=1e-6)
    np.testing.assert_allclose(np.asarray(delta), hand_td(rewards, values, trial_end, GAMMA), atol=1e-6)


def test_td_errors_value_after_last_step_is_zero_whatever_the_discount():
    # discount 1 at the last step still bootstraps from V = 0, not from a wrapped-around value
    rewards = jnp.array([[1.0, 0.0], [0.0, 2.0], [3.0, 1.0]], jnp.float32)  # (T=3, E=2)
    values = jnp.array([[0.5, -1.0], [0.25, 0.75], [2.0, 4.0]], jnp.float32)
    delta = np.asarray(td_errors(rewards, values, jnp.ones_like(rewards)))
    expected = np.asarray(rewards) + np.concatenate([np.asarray(values)[1:], np.zeros((1, 2))]) - np.asarray(values)
    np.testing.assert_allclose(delta, expected, atol=1e-6)
    np.testing.assert_allclose(delta[-1], [1.0, -3.0], atol=1e-6)


@pytest.fixture(scope="module")
def recorded():
    """A tiny recorded evaluation: two-stage two-step, 4 trials, 2 seeds x 3 episodes (that
    recording keeps the actions is checked end to end in tests/pipeline/test_recording.py)."""
    env = TwoStep()
    env_params = env.default_params.replace(variant="two_stage", trials_per_episode=4)
    cfg = TrainConfig(seed=3, num_seeds=2, total_episodes=8, num_envs=4, chunk_size=2, hidden_size=8, gamma=GAMMA)
    fns = make_train(cfg, env, env_params)
    state = fns.init(seed_keys(cfg))
    recording = make_rollout(env, env_params, fns.network, cfg.time_input, record=True)
    rec = evaluate_network(recording, state.params, state.seed_key, 3, False, gamma=GAMMA)
    return rec, state.params, env.num_steps(env_params)


def test_recorded_rpe_is_the_hand_formula_on_its_own_arrays(recorded):
    rec, _, num_steps = recorded
    s, e, t = rec["reward"].shape
    assert (s, e, t) == (2, 3, num_steps) == (2, 3, 8)
    trial_end = rec["trial_end"]
    assert trial_end[..., 0::2].sum() == 0 and trial_end[..., 1::2].all()  # both kinds of step occur
    assert np.abs(rec["value"]).max() > 1e-3  # the check is not trivially r = δ
    for i in range(s):
        for j in range(e):
            np.testing.assert_allclose(
                rec["rpe"][i, j], hand_td(rec["reward"][i, j], rec["value"][i, j], trial_end[i, j], GAMMA), atol=1e-5
            )


def test_recording_adds_the_network_inside(recorded):
    rec, params, _ = recorded
    assert set(NEURAL_KEYS) <= set(rec) and {"action", "reward", "trial_end"} <= set(rec)
    assert rec["hidden"].shape == rec["cell"].shape == (2, 3, 8, 8)
    assert rec["policy"].shape == (2, 3, 8, 2)
    np.testing.assert_allclose(rec["policy"].sum(-1), 1.0, atol=1e-6)
    # h = o * tanh(c): the LSTM output is "hidden", its cell state "cell" (not swapped)
    assert np.all(np.abs(rec["hidden"]) <= np.tanh(np.abs(rec["cell"])) + 1e-6)
    # V is the value head applied to the recorded hidden state of the same step
    head = params["params"]["value"]
    value = jnp.einsum("setH,sH->set", rec["hidden"], head["kernel"][..., 0]) + head["bias"][:, None, None, 0]
    np.testing.assert_allclose(rec["value"], np.asarray(value), atol=1e-5)
    logits = params["params"]["policy"]
    probs = jax.nn.softmax(
        jnp.einsum("setH,sHa->seta", rec["hidden"], logits["kernel"]) + logits["bias"][:, None, None]
    )
    np.testing.assert_allclose(rec["policy"], np.asarray(probs), atol=1e-5)
