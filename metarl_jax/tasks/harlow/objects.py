"""The pixel Harlow task's object images: procedural art from the object keys, or a PNG folder.

Every function takes the task's params (:class:`metarl_jax.tasks.harlow.pixels.HarlowPixelsParams`;
the fields ``object_key``, ``num_train_objects``, ``num_test_objects``, ``test_objects``,
``screen_size`` and ``image_dir``). An object image is (o, o, 3) float32 with o =
:func:`object_size` (round(0.4·S) on an S-pixel screen).

``image_dir=""`` (default) draws object i of a pool from its key
``fold_in(fold_in(key(object_key), pool), i)`` (the symbolic task's keys): a
shape (disc, square, diamond, triangle, ring or plus) of random size with a
texture (solid, horizontal or vertical stripes, checker, diagonal stripes of
1–3 pixel width) in two random colours on a third random background colour,
every channel in [0.1, 0.9] (never the black screen, the pure red cross or
the pure white gaze). Thousands of objects with no download. Both pools are
rendered once per process into one array (num_train + num_test, o, o, 3), so
``object_key`` is static. ``image_dir=PATH`` loads the folder's ``*.png`` files instead
(sorted by name: the first ``num_train_objects`` are the training pool, the
next ``num_test_objects`` the test pool; resized to the object size with Pillow).
"""

from __future__ import annotations

import functools
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
from PIL import Image

from metarl_jax.core.errors import ConfigError
from metarl_jax.tasks.harlow.env import object_keys

SHAPES = ("disc", "square", "diamond", "triangle", "ring", "plus")
TEXTURES = ("solid", "h_stripes", "v_stripes", "checker", "diagonal")
COLOUR_RANGE = (0.1, 0.9)  # every channel of a procedural object


def object_size(screen_size: int) -> int:
    """Side o of an object image in pixels on an S-pixel screen: round(0.4·S), at least 2."""
    return max(2, round(0.4 * screen_size))


def _draw_object(key: jax.Array, size: int) -> jax.Array:
    """One procedural object image (size, size, 3) float32 from its key (module docstring)."""
    u = jax.random.uniform(key, (13,), jnp.float32)  # one draw (each PRNG call costs compile time)
    lo, hi = COLOUR_RANGE
    background, fill, stripes = (lo + (hi - lo) * u[:9]).reshape(3, 3)

    def pick(x: jax.Array, n: int) -> jax.Array:  # uniform over 0 .. n-1
        return jnp.minimum(jnp.floor(x * n), n - 1).astype(jnp.int32)

    shape, texture = pick(u[9], len(SHAPES)), pick(u[10], len(TEXTURES))
    width = 1 + pick(u[11], 3)  # stripe / check width in pixels
    r = 0.6 + 0.35 * u[12]
    c = (jnp.arange(size, dtype=jnp.float32) + 0.5) / size * 2.0 - 1.0  # pixel centres in [-1, 1]
    v, u = c[:, None], c[None, :]  # v: down the rows, u: along the columns
    au, av, d2 = jnp.abs(u), jnp.abs(v), u * u + v * v
    masks = jnp.stack(
        [
            d2 <= r * r,  # disc
            jnp.maximum(au, av) <= 0.85 * r,  # square
            au + av <= 1.2 * r,  # diamond
            (v >= -r) & (v <= r) & (au <= 0.5 * (v + r)),  # triangle, apex up
            (d2 <= r * r) & (d2 >= 0.25 * r * r),  # ring
            (jnp.minimum(au, av) <= r / 3) & (jnp.maximum(au, av) <= r),  # plus
        ]
    )
    i = jnp.arange(size, dtype=jnp.int32)
    rows, cols = i[:, None] // width, i[None, :] // width
    diag = (i[:, None] + i[None, :]) // width
    patterns = jnp.stack(
        [
            jnp.ones((size, size), bool),
            jnp.broadcast_to(rows % 2 == 0, (size, size)),
            jnp.broadcast_to(cols % 2 == 0, (size, size)),
            (rows + cols) % 2 == 0,
            diag % 2 == 0,
        ]
    )
    inside = masks[shape][..., None]
    colour = jnp.where(patterns[texture][..., None], fill, stripes)
    return jnp.where(inside, colour, background).astype(jnp.float32)


@functools.lru_cache(maxsize=8)
def load_image_folder(image_dir: str, size: int, count: int) -> np.ndarray:
    """The first ``count`` ``*.png`` of a folder (sorted by name) as RGB float32 in [0, 1],
    resized to (size, size): (count, size, size, 3). ConfigError when that is impossible."""
    folder = Path(image_dir)
    if not folder.is_dir():
        raise ConfigError("image_dir", image_dir, "must be a folder of *.png files (or '' for procedural objects)")
    files = sorted(folder.glob("*.png"))
    if len(files) < count:
        raise ConfigError(
            "image_dir", image_dir, f"holds {len(files)} *.png files; needs num_train_objects + num_test_objects"
        )
    out = np.empty((count, size, size, 3), np.float32)
    for n, path in enumerate(files[:count]):
        try:
            with Image.open(path) as img:
                rgb = img.convert("RGB").resize((size, size), Image.Resampling.BILINEAR)
        except OSError as err:
            raise ConfigError("image_dir", image_dir, f"cannot read {path.name}: {err}") from None
        out[n] = np.asarray(rgb, np.float32) / 255.0
    return out


@functools.lru_cache(maxsize=8)
def _procedural_pool(object_key: int, num_train: int, num_test: int, size: int) -> np.ndarray:
    """Both procedural pools, train then test: (num_train + num_test, size, size, 3) float32."""

    @jax.jit
    def draw(test: jax.Array, ids: jax.Array) -> jax.Array:
        return jax.vmap(lambda k: _draw_object(k, size))(object_keys(object_key, test, ids))

    with jax.ensure_compile_time_eval():  # concrete even when first asked for inside a jit trace
        train = draw(jnp.bool_(False), jnp.arange(num_train, dtype=jnp.int32))
        test = draw(jnp.bool_(True), jnp.arange(num_test, dtype=jnp.int32))
        return np.concatenate([np.asarray(train), np.asarray(test)])


def object_pool(params) -> np.ndarray:
    """Every object image, the training pool then the test pool:
    (num_train_objects + num_test_objects, o, o, 3) float32, rendered (or loaded) once."""
    o = object_size(params.screen_size)
    count = params.num_train_objects + params.num_test_objects
    if params.image_dir:
        return load_image_folder(params.image_dir, o, count)
    return _procedural_pool(int(params.object_key), params.num_train_objects, params.num_test_objects, o)


def object_images(params, ids: jax.Array, test: jax.Array | bool | None = None) -> jax.Array:
    """What objects look like. ids (...) int32 within the pool -> (..., o, o, 3) float32,
    gathered from :func:`object_pool`. ``test`` picks the pool (default ``params.test_objects``)."""
    ids = jnp.asarray(ids, jnp.int32)
    test = jnp.asarray(params.test_objects if test is None else test, bool)
    return jnp.asarray(object_pool(params))[jnp.where(test, params.num_train_objects, 0) + ids]


def pool_images(params, test: bool) -> jax.Array:
    """Every object of one pool: (num_objects, o, o, 3) float32 (tests, figures)."""
    n = params.num_test_objects if test else params.num_train_objects
    return object_images(params, jnp.arange(n, dtype=jnp.int32), test)
