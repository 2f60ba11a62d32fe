"""A small CNN that turns a screen into features for the LSTM (pixel tasks).

image (..., H, W, 3) in [0, 1] -> features (..., features):
1. Pixels: black stays 0; a lit pixel (any channel > 0) becomes (x − 0.5)·4. Black is
   "nothing there" and must stay a zero input; lit pixels are centred on mid-grey so that
   two different objects give uncorrelated inputs. Raw positive pixels (or pixels centred
   with the black background as −2) make every object look alike to a freshly initialised
   network, and on the pixel Harlow task learning then stalls for >10x longer (measured).
2. Convolutions whose kernel equals their stride (non-overlapping patches, ``VALID``:
   trailing rows/columns that fill no patch are dropped), each followed by tanh, which
   keeps features centred (ReLU features all share a positive offset: learning stalled).
   Written as "cut into patches, then one matmul" (the same function as
   ``nn.Conv(c, (k, k), strides=(k, k), padding="VALID")``), which runs as plain matrix
   products, far faster than XLA's CPU convolution, and is kept by
   ``jax.checkpoint``'s ``dots_saveable`` policy in the rollout.
   The convolutions learn ``conv_lr_scale`` (0.1) times as fast as the rest: their
   weights are stored divided by it and their outputs multiplied by it, so Adam's
   step per weight is unchanged but moves the features 10x less. A filter shared by
   every patch of every frame otherwise drifts faster than the LSTM can follow.
3. A linear dense layer to ``features`` (no nonlinearity: centred features).

Default on a 32 x 32 x 3 screen: 4 x 4 patches -> 8 x 8 x 32, 2 x 2 patches ->
4 x 4 x 32, dense -> 64 (about 0.2 M multiply-adds per frame).
"""

from __future__ import annotations

import flax.linen as nn
import jax
import jax.numpy as jnp

PIXEL_SCALE = 4.0  # lit pixels: (x - 0.5) * PIXEL_SCALE, so [0.1, 0.9] -> [-1.6, 1.6]


def patches(x: jax.Array, k: int) -> jax.Array:
    """Non-overlapping k x k patches. x (..., H, W, C) -> (..., H // k, W // k, k·k·C),
    each patch flattened in (row, column, channel) order, as a VALID conv kernel sees it."""
    *batch, h, w, c = x.shape
    hk, wk = h // k, w // k
    x = x[..., : hk * k, : wk * k, :].reshape(*batch, hk, k, wk, k, c)
    x = jnp.moveaxis(x, -4, -3)  # (..., hk, wk, k, k, c)
    return x.reshape(*batch, hk, wk, k * k * c)


def centre_pixels(image: jax.Array) -> jax.Array:
    """Black pixels stay 0; lit pixels (any channel > 0) become (x − 0.5)·PIXEL_SCALE."""
    x = image.astype(jnp.float32)
    lit = jnp.any(x > 0, axis=-1, keepdims=True)
    return jnp.where(lit, (x - 0.5) * PIXEL_SCALE, 0.0)


class CNNEncoder(nn.Module):
    """Image (..., H, W, C) in [0, 1] -> features (..., features) float32."""

    channels: tuple[int, ...] = (32, 32)
    kernels: tuple[int, ...] = (4, 2)  # kernel = stride of each layer
    features: int = 64
    conv_lr_scale: float = 0.1  # the convolutions' learning rate relative to the rest

    @nn.compact
    def __call__(self, image: jax.Array) -> jax.Array:
        x = centre_pixels(image)
        s = self.conv_lr_scale
        init = nn.initializers.variance_scaling(1.0 / s**2, "fan_in", "truncated_normal")  # lecun_normal / s
        for i, (c, k) in enumerate(zip(self.channels, self.kernels)):
            x = jnp.tanh(s * nn.Dense(c, kernel_init=init, name=f"conv{i}")(patches(x, k)))
        x = x.reshape(*x.shape[:-3], -1)
        return nn.Dense(self.features, name="dense")(x)
