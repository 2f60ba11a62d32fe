"""LSTM actor-critic of Wang et al. (2018): one LSTM, linear policy and value heads.

Input at step t: concat(obs_t, one_hot(a_{t-1}), r_{t-1}[, trial_index / trials]), the
observation flattened. The recurrent state and previous action/reward are zero at each
episode start. With ``encoder="cnn"`` (pixel tasks) the first prod(obs_shape) inputs are
un-flattened into the screen and replaced by a small CNN's features
(:mod:`metarl_jax.agents.cnn`) before the LSTM; the rollout code is the same.
"""

from __future__ import annotations

import functools

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
from jax.custom_derivatives import SymbolicZero

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


def sigmoid(z: jax.Array) -> jax.Array:
    """σ(z) written as ½·tanh(z/2) + ½: the same function (absolute difference < 2e-7 in float32),
    but XLA:CPU evaluates tanh faster than its exp-based logistic (benchmarks/README)."""
    return 0.5 * jnp.tanh(0.5 * z) + 0.5


@jax.custom_jvp
def concat_matmul(x: jax.Array, h: jax.Array, kernel: jax.Array) -> jax.Array:
    """[x, h] @ kernel. x (..., K), h (..., H), kernel (K + H, N) -> (..., N).

    Autodiff's derivative, written by kernel's row blocks: dx @ kernel[:K] + dh @ kernel[K:]
    + [x, h] @ dkernel, with a term dropped where its tangent is zero. Plain autodiff
    concatenates [dx, dh] first, so its backward pass forms d[x, h] = dout @ kernelᵀ (K + H
    wide) and slices it; here, where x is data, the backward GEMM is dh's alone, H wide
    (benchmarks/README). Forward and reverse mode both work."""
    return jnp.concatenate([x, h], axis=-1) @ kernel


@functools.partial(concat_matmul.defjvp, symbolic_zeros=True)
def _concat_matmul_jvp(primals, tangents):
    x, h, kernel = primals
    dx, dh, d_kernel = tangents
    k = x.shape[-1]
    xh = jnp.concatenate([x, h], axis=-1)
    out = xh @ kernel
    terms = []
    if not isinstance(dx, SymbolicZero):
        terms.append(dx @ kernel[:k])
    if not isinstance(dh, SymbolicZero):
        terms.append(dh @ kernel[k:])
    if not isinstance(d_kernel, SymbolicZero):
        terms.append(xh @ d_kernel)
    return out, sum(terms[1:], terms[0]) if terms else jnp.zeros_like(out)


class Gates(nn.Module):
    """The LSTM's fused gate projection [x, h] @ kernel + bias, with nn.Dense's parameters
    (``kernel`` (K + H, N), lecun-normal; ``bias`` (N,), zeros) and :func:`concat_matmul`'s
    gradient."""

    features: int

    @nn.compact
    def __call__(self, x: jax.Array, h: jax.Array) -> jax.Array:
        kernel = self.param("kernel", nn.initializers.lecun_normal(), (x.shape[-1] + h.shape[-1], self.features))
        bias = self.param("bias", nn.initializers.zeros_init(), (self.features,))
        return concat_matmul(x, h, kernel) + bias


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
        gates = Gates(4 * self.hidden_size, name="gates")(inputs, h)
        i, f, g, o = jnp.split(gates, 4, axis=-1)
        c = sigmoid(f) * c + sigmoid(i) * jnp.tanh(g)
        h = sigmoid(o) * jnp.tanh(c)
        logits = nn.Dense(self.num_actions, kernel_init=nn.initializers.orthogonal(0.01), name="policy")(h)
        value = nn.Dense(1, kernel_init=nn.initializers.orthogonal(1.0), name="value")(h)[..., 0]
        return (c, h), (logits, value)
