"""Agent shapes, input layout and the episode-start reset."""

import jax
import jax.numpy as jnp
import numpy as np

from metarl_jax.agents import LSTMActorCritic, agent_inputs


def test_agent_inputs_layout():
    x = agent_inputs(jnp.array([[1.0, 0, 0]]), jnp.array([1]), jnp.array([1.0]), 2, jnp.array([0.25]))
    np.testing.assert_array_equal(x, [[1, 0, 0, 0, 1, 1, 0.25]])
    first = agent_inputs(jnp.array([1.0, 0, 0]), jnp.array(-1), jnp.array(0.0), 2)
    np.testing.assert_array_equal(first, [1, 0, 0, 0, 0, 0])  # no previous action at episode start
    assert x.dtype == jnp.float32


def test_shapes_and_dtypes():
    net = LSTMActorCritic(num_actions=3, hidden_size=16)
    carry = net.initial_state((5,))
    params = net.init(jax.random.key(0), carry, jnp.zeros((5, 7)))
    (c, h), (logits, value) = net.apply(params, carry, jnp.ones((5, 7)))
    assert c.shape == h.shape == (5, 16)
    assert logits.shape == (5, 3) and value.shape == (5,)
    assert all(leaf.dtype == jnp.float32 for leaf in jax.tree.leaves(params))
    # A single unbatched step gives the same numbers as row 0 of the batch.
    (_, h1), (l1, v1) = net.apply(params, net.initial_state(), jnp.ones((7,)))
    np.testing.assert_allclose(l1, logits[0], rtol=1e-5)
    np.testing.assert_allclose(v1, value[0], rtol=1e-5)


def test_initial_policy_is_near_uniform():
    net = LSTMActorCritic(num_actions=2)
    params = net.init(jax.random.key(3), net.initial_state(), jnp.zeros((6,)))
    _, (logits, _) = net.apply(params, net.initial_state(), jnp.ones((6,)))
    assert float(jnp.max(jnp.abs(logits))) < 0.1
