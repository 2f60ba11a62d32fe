"""Agent shapes, input layout and the episode-start reset."""

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np

from metarl_jax.agents import LSTMActorCritic, agent_inputs
from metarl_jax.agents.lstm_actor_critic import Gates, concat_matmul, sigmoid


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


def test_concat_matmul_gradients_match_autodiff_of_the_concatenation():
    """concat_matmul's block-wise derivative gives autodiff's gradients for x, h and the
    kernel, batched, under vmap and in forward mode (the CNN agent needs dx; the LSTM's data
    inputs drop it)."""
    keys = jax.random.split(jax.random.key(0), 4)
    x = jax.random.normal(keys[0], (3, 5, 6))
    h = jax.random.normal(keys[1], (3, 5, 4))
    kernel = jax.random.normal(keys[2], (10, 8))
    weights = jax.random.normal(keys[3], (3, 5, 8))

    def loss(matmul):
        return lambda x, h, k: jnp.sum(weights * jnp.tanh(matmul(x, h, k)))

    reference = lambda x, h, k: jnp.concatenate([x, h], axis=-1) @ k  # noqa: E731
    np.testing.assert_allclose(concat_matmul(x, h, kernel), reference(x, h, kernel), rtol=1e-6)
    got = jax.grad(loss(concat_matmul), argnums=(0, 1, 2))(x, h, kernel)
    want = jax.grad(loss(reference), argnums=(0, 1, 2))(x, h, kernel)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-5)
    per_row = jax.vmap(jax.grad(lambda x, h, k: jnp.sum(jnp.sin(concat_matmul(x, h, k))), argnums=2), (0, 0, None))
    per_row_ref = jax.vmap(jax.grad(lambda x, h, k: jnp.sum(jnp.sin(reference(x, h, k))), argnums=2), (0, 0, None))
    np.testing.assert_allclose(per_row(x, h, kernel), per_row_ref(x, h, kernel), rtol=1e-5, atol=1e-5)
    # Forward mode too (e.g. Jacobians of the recurrent update for fixed-point analyses).
    fwd = jax.jacfwd(concat_matmul, argnums=(0, 1, 2))(x[0, 0], h[0, 0], kernel)
    rev = jax.jacrev(reference, argnums=(0, 1, 2))(x[0, 0], h[0, 0], kernel)
    for g, w in zip(fwd, rev):
        np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-6)


def test_tanh_sigmoid_equals_the_logistic_function():
    z = jnp.linspace(-40.0, 40.0, 200_001, dtype=jnp.float32)
    np.testing.assert_allclose(sigmoid(z), jax.nn.sigmoid(z), rtol=0, atol=2e-7)
    np.testing.assert_allclose(jax.vmap(jax.grad(sigmoid))(z), jax.vmap(jax.grad(jax.nn.sigmoid))(z), atol=2e-7)


def test_gates_keep_dense_parameters():
    """Checkpoints of the agent stay valid: Gates has nn.Dense's names, shapes and init values."""
    x, h = jnp.ones((2, 6)), jnp.ones((2, 48))
    gates = Gates(192).init(jax.random.key(5), x, h)
    dense = nn.Dense(192).init(jax.random.key(5), jnp.concatenate([x, h], -1))
    assert jax.tree.map(jnp.shape, gates) == jax.tree.map(jnp.shape, dense)
    for a, b in zip(jax.tree.leaves(gates), jax.tree.leaves(dense)):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_allclose(
        Gates(192).apply(gates, x, h), nn.Dense(192).apply(dense, jnp.concatenate([x, h], -1)), rtol=1e-6
    )
