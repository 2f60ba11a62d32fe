"""LSTM actor-critic of Wang et al. (2018): one LSTM, linear policy and value heads.

Input at step t: concat(obs_t, one_hot(a_{t-1}), r_{t-1}[, trial_index / trials]), the
observation flattened. The recurrent state and previous action/reward are zero at each
episode start. With ``encoder="cnn"`` (pixel tasks) the first prod(obs_shape) inputs are
un-flattened into the screen and replaced by a small CNN's features
(:mod:`metarl_jax.agents.cnn`) before the LSTM; the rollout code is the same.
"""

from __future__ import annotations

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np

from metarl_jax.agents.cnn import CNNEncoder

LSTMState = tuple[jax.Array, jax.Array]  # (cell c, hidden h), each (..., hidden_size)


def agent_inputs(
    obs: jax.Array,
    prev_action: jax.Array,
    prev_reward: jax.Array,
    num_actions: int,
    time_fraction: jax.Array | None = None,
) -> jax.Array:
    """Concatenate the agent's inputs. obs (..., d) (flatten images first), prev_action (...)
    int32 (-1 = none), prev_reward (...) -> (..., d + num_actions + 1 [+ 1])."""
    parts = [
        obs.astype(jnp.float32),
        jax.nn.one_hot(prev_action, num_actions, dtype=jnp.float32),  # -1 -> all zeros
        prev_reward.astype(jnp.float32)[..., None],
    ]
    if time_fraction is not None:
        parts.append(time_fraction.astype(jnp.float32)[..., None])
    return jnp.concatenate(parts, axis=-1)


class LSTMActorCritic(nn.Module):
    """One LSTM cell (a single fused gate matmul) with linear policy and value heads;
    optionally a CNN in front for image observations of ``obs_shape`` (H, W, C)."""

    num_actions: int
    hidden_size: int = 48
    encoder: str = "none"  # "cnn": encode the first prod(obs_shape) inputs as an image
    obs_shape: tuple[int, ...] = ()  # the image's shape, with encoder="cnn"

    def initial_state(self, batch_shape: tuple[int, ...] = ()) -> LSTMState:
        zeros = jnp.zeros((*batch_shape, self.hidden_size), jnp.float32)
        return zeros, zeros

    @nn.compact
    def __call__(self, carry: LSTMState, inputs: jax.Array) -> tuple[LSTMState, tuple[jax.Array, jax.Array]]:
        """carry ((..., H), (..., H)), inputs (..., D) -> carry, (logits (..., A), value (...))."""
        c, h = carry
        if self.encoder == "cnn":
            n = int(np.prod(self.obs_shape))
            image = inputs[..., :n].reshape(*inputs.shape[:-1], *self.obs_shape)
            inputs = jnp.concatenate([CNNEncoder(name="cnn")(image), inputs[..., n:]], axis=-1)
        gates = nn.Dense(4 * self.hidden_size, name="gates")(jnp.concatenate([inputs, h], axis=-1))
        i, f, g, o = jnp.split(gates, 4, axis=-1)
        c = jax.nn.sigmoid(f) * c + jax.nn.sigmoid(i) * jnp.tanh(g)
        h = jax.nn.sigmoid(o) * jnp.tanh(c)
        logits = nn.Dense(self.num_actions, kernel_init=nn.initializers.orthogonal(0.01), name="policy")(h)
        value = nn.Dense(1, kernel_init=nn.initializers.orthogonal(1.0), name="value")(h)[..., 0]
        return (c, h), (logits, value)
