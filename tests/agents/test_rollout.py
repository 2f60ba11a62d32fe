"""agents.rollout: actions sampled from the policy's logits (moved from tests/training/test_a2c.py)."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from metarl_jax.agents.rollout import sample_categorical


@pytest.mark.parametrize("probs", [(0.2, 0.8), (0.5, 0.3, 0.2)])
def test_sample_categorical_frequencies(probs):
    logits = jnp.log(jnp.array(probs))
    u = jax.random.uniform(jax.random.key(1), (200_000,))
    a = sample_categorical(u, jnp.broadcast_to(logits, (u.shape[0], len(probs))))
    freq = np.bincount(np.asarray(a), minlength=len(probs)) / u.shape[0]
    np.testing.assert_allclose(freq, probs, atol=0.005)
