"""A small CNN that turns a screen into features for the LSTM (pixel tasks).

Each layer is a convolution whose kernel equals its stride (non-overlapping
patches, ``padding="VALID"``: trailing rows/columns that do not fill a patch are
dropped), followed by a ReLU; then one dense layer with a ReLU. Written as
"cut into patches, then one matmul", which is the same function as
``nn.Conv(c, (k, k), strides=(k, k), padding="VALID")`` but runs as plain
matrix products, several times faster than XLA's CPU convolution and saved by
``jax.checkpoint``'s ``dots_saveable`` policy in the rollout.
Default on a 32 x 32 x 3 screen: 4 x 4 patches -> 8 x 8 x 16, 2 x 2 patches ->
4 x 4 x 32, dense -> 64 (about 0.15 M multiply-adds per frame).
"""

from __future__ import annotations

import flax.linen as nn
import jax
import jax.numpy as jnp


def patches(x: jax.Array, k: int) -> jax.Array:
    """Non-overlapping k x k patches. x (..., H, W, C) -> (..., H // k, W // k, k·k·C),
    each patch flattened in (row, column, channel) order, as a VALID conv kernel sees it."""
    *batch, h, w, c = x.shape
    hk, wk = h // k, w // k
    x = x[..., : hk * k, : wk * k, :].reshape(*batch, hk, k, wk, k, c)
    x = jnp.moveaxis(x, -4, -3)  # (..., hk, wk, k, k, c)
    return x.reshape(*batch, hk, wk, k * k * c)


class CNNEncoder(nn.Module):
    """Image (..., H, W, C) -> features (..., features) float32."""

    channels: tuple[int, ...] = (16, 32)
    kernels: tuple[int, ...] = (4, 2)  # kernel = stride of each layer
    features: int = 64

    @nn.compact
    def __call__(self, image: jax.Array) -> jax.Array:
        x = image.astype(jnp.float32)
        for i, (c, k) in enumerate(zip(self.channels, self.kernels)):
            x = nn.relu(nn.Dense(c, name=f"conv{i}")(patches(x, k)))
        x = x.reshape(*x.shape[:-3], -1)
        return nn.relu(nn.Dense(self.features, name="dense")(x))
