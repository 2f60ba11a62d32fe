"""A2C pieces: returns, discounts and the loss against hand computations."""

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np
from jax.extend import core as jax_core

from metarl_jax.registry import make
from metarl_jax.training.a2c import (
    a2c_loss,
    discounted_returns,
    entropy_schedule,
    lambda_returns,
    linear_schedule,
    make_train,
    step_discounts,
)
from metarl_jax.training.config import TrainConfig
from metarl_jax.training.loop import seed_keys


def test_discounted_returns_by_hand():
    rewards = jnp.array([1.0, 0.0, 2.0, 1.0])
    discounts = jnp.array([0.5, 1.0, 0.9, 0.0])
    # G3 = 1; G2 = 2 + 0.9*1 = 2.9; G1 = 0 + 1*2.9 = 2.9; G0 = 1 + 0.5*2.9 = 2.45
    np.testing.assert_allclose(discounted_returns(rewards, discounts), [2.45, 2.9, 2.9, 1.0], rtol=1e-6)


def test_discounted_returns_batched_and_jitted():
    r = jax.random.uniform(jax.random.key(0), (7, 3))
    d = jnp.full((7, 3), 0.9).at[-1].set(0.0)
    eager = discounted_returns(r, d)
    np.testing.assert_allclose(jax.jit(discounted_returns)(r, d), eager, rtol=1e-6)
    np.testing.assert_allclose(jax.vmap(discounted_returns, in_axes=1, out_axes=1)(r, d), eager, rtol=1e-6)


def test_lambda_returns_by_hand_and_limits():
    rewards = jnp.array([1.0, 0.0, 2.0, 1.0])
    discounts = jnp.array([0.5, 1.0, 0.9, 0.0])
    values = jnp.array([3.0, 2.0, 1.0, 4.0])
    lam = 0.5
    # G3 = 1; G2 = 2 + .9(.5·4 + .5·1) = 4.25; G1 = 0 + (.5·1 + .5·4.25) = 2.625; G0 = 1 + .5(.5·2 + .5·2.625)
    expected = [1 + 0.5 * (0.5 * 2 + 0.5 * 2.625), 2.625, 4.25, 1.0]
    np.testing.assert_allclose(lambda_returns(rewards, discounts, values, lam), expected, rtol=1e-6)
    # λ = 1: Monte-Carlo returns bit for bit; λ = 0: one-step TD targets r + d·V(t+1).
    assert np.array_equal(lambda_returns(rewards, discounts, values, 1.0), discounted_returns(rewards, discounts))
    np.testing.assert_allclose(lambda_returns(rewards, discounts, values, 0.0), [2.0, 1.0, 5.6, 1.0], rtol=1e-6)


def test_lambda_returns_do_not_backpropagate_into_values():
    rewards, discounts = jnp.ones(5), jnp.full(5, 0.9).at[-1].set(0.0)
    grad = jax.grad(lambda v: lambda_returns(rewards, discounts, v, 0.7).sum())(jnp.arange(5.0))
    np.testing.assert_array_equal(grad, np.zeros(5))


def test_entropy_schedule_anneals_linearly_then_holds():
    coef = jnp.float32(0.5)
    assert entropy_schedule(coef, None, jnp.int32(7), 10) is coef
    got = [float(entropy_schedule(coef, 0.1, jnp.int32(u), 10)) for u in (0, 5, 10, 20)]
    np.testing.assert_allclose(got, [0.5, 0.3, 0.1, 0.1], rtol=1e-6)


def test_linear_schedule_reaches_final_scale_at_the_last_update():
    assert linear_schedule(None, jnp.int32(3), 5) == 1.0
    got = [float(linear_schedule(0.1, jnp.int32(u), 5)) for u in (0, 2, 4, 9)]
    np.testing.assert_allclose(got, [1.0, 0.55, 0.1, 0.1], rtol=1e-6)


def test_lr_final_scale_scales_the_last_step(tiny_config):
    """With lr decayed to 0 the last update leaves params unchanged; the first moves them fully."""
    env, params = make("two_step", trials_per_episode=5)
    cfg = dataclasses.replace(tiny_config, total_episodes=8, num_envs=4, chunk_size=1, lr_final_scale=0.0)
    fns = make_train(cfg, env, params)
    s0 = fns.init(seed_keys(cfg))
    p0 = jax.tree.map(np.array, s0.params)  # update_chunk donates its input
    s1, _ = fns.update_chunk(s0, jnp.int32(1))
    p1 = jax.tree.map(np.array, s1.params)
    s2, _ = fns.update_chunk(s1, jnp.int32(1))  # update index 1 = the last of 2: scale 0
    moved = lambda a, b: max(float(np.max(np.abs(x - y))) for x, y in zip(jax.tree.leaves(a), jax.tree.leaves(b)))
    assert moved(p0, p1) > 1e-4
    assert moved(p1, jax.tree.map(np.array, s2.params)) == 0.0


def test_step_discounts_follow_design():
    trial_end = jnp.array([False, True, False, True])
    terminated = jnp.array([False, False, False, True])
    np.testing.assert_allclose(step_discounts(trial_end, terminated, jnp.float32(0.9)), [1.0, 0.9, 1.0, 0.0])


def test_a2c_loss_matches_hand_computation():
    logits = jnp.array([[0.0, jnp.log(3.0)], [jnp.log(2.0), 0.0]])  # pi = (.25,.75), (2/3,1/3)
    values = jnp.array([0.5, -1.0])
    actions = jnp.array([1, 0])
    returns = jnp.array([1.5, 1.0])
    terms = a2c_loss(logits, values, actions, returns, 0.05, 0.05)
    adv = np.array([1.0, 2.0])
    logp = np.log([0.75, 2 / 3])
    policy = -np.mean(logp * adv)
    value = np.mean(0.5 * adv**2)
    ent = np.mean([-(0.25 * np.log(0.25) + 0.75 * np.log(0.75)), -(2 / 3 * np.log(2 / 3) + 1 / 3 * np.log(1 / 3))])
    np.testing.assert_allclose(terms.policy_loss, policy, rtol=1e-5)
    np.testing.assert_allclose(terms.value_loss, value, rtol=1e-5)
    np.testing.assert_allclose(terms.entropy, ent, rtol=1e-5)
    np.testing.assert_allclose(terms.loss, policy + 0.05 * value - 0.05 * ent, rtol=1e-5)


def test_advantage_is_stop_gradient():
    """d loss / d values comes from the value term only (the advantage is a constant)."""
    logits = jnp.zeros((3, 2))
    actions = jnp.array([0, 1, 0])
    returns = jnp.array([1.0, 2.0, 3.0])
    values = jnp.array([0.5, 0.5, 0.5])
    g = jax.grad(lambda v: a2c_loss(logits, v, actions, returns, 0.05, 0.0).loss)(values)
    np.testing.assert_allclose(g, -0.05 * (returns - values) / 3, rtol=1e-5)


def _dot_output_shapes(jaxpr) -> set[tuple[int, ...]]:
    """Output shapes of every dot_general in a jaxpr and its sub-jaxprs (scan, remat, ...)."""
    shapes = set()
    for eqn in jaxpr.eqns:
        if eqn.primitive.name == "dot_general":
            shapes.add(tuple(eqn.outvars[0].aval.shape))
        for value in eqn.params.values():
            for sub in value if isinstance(value, (list, tuple)) else [value]:
                if isinstance(sub, jax_core.ClosedJaxpr):
                    shapes |= _dot_output_shapes(sub.jaxpr)
                elif isinstance(sub, jax_core.Jaxpr):
                    shapes |= _dot_output_shapes(sub)
    return shapes


def test_update_never_forms_the_input_gradient():
    """The agent's inputs are data: the backward pass forms dh (episodes × hidden) but no
    d[x, h] (episodes × (inputs + hidden)), the wider GEMM autodiff of a concatenation
    would form and slice (agents.lstm_actor_critic.concat_matmul; benchmarks/README)."""
    env, params = make("two_step", trials_per_episode=5)
    config = TrainConfig(num_seeds=1, num_envs=4, hidden_size=8, chunk_size=1, total_episodes=4)
    fns = make_train(config, env, params)
    state = jax.tree.map(lambda x: x[0], fns.init(jax.random.split(jax.random.key(0), 1)))
    shapes = _dot_output_shapes(jax.make_jaxpr(fns.update)(state).jaxpr)
    in_dim = env.observation_shape(params)[0] + env.num_actions + 1
    assert (4, 4 * 8) in shapes  # the gates GEMM: the walk reached the rollout's scan body
    assert (4, in_dim + 8) not in shapes
