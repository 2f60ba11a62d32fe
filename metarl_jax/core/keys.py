"""The PRNG-key contracts every paired comparison depends on, written once.

Seed i of a run uses ``jax.random.key(seed + i)``; from a seed key, training, evaluation and
initialisation draw from ``fold_in(seed_key, branch)``. An episode key splits into
(reset, env steps, actions) in every rollout (training, evaluation, baselines, plots,
benchmarks), so agents evaluated with the same keys meet the same problems and noise.
Typed keys are stored and moved as their uint32 key data.
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp

TRAIN_BRANCH, EVAL_BRANCH, INIT_BRANCH = 0, 1, 2  # fold_in(seed_key, branch)


def split_episode_key(episode_key: jax.Array) -> tuple[jax.Array, jax.Array, jax.Array]:
    """One episode's key -> (reset key, env-steps key, actions key): ``split(key, 3)``."""
    k_reset, k_steps, k_actions = jax.random.split(episode_key, 3)
    return k_reset, k_steps, k_actions


def eval_episode_keys(seed_key: jax.Array, num_episodes: int) -> jax.Array:
    """(num_episodes,) keys: fold_in(fold_in(seed_key, EVAL_BRANCH), episode)."""
    branch = jax.random.fold_in(seed_key, EVAL_BRANCH)
    return jax.vmap(lambda e: jax.random.fold_in(branch, e))(jnp.arange(num_episodes, dtype=jnp.int32))


def is_key(x: Any) -> bool:
    """Whether an array holds typed PRNG keys (they need key_data / wrap_key_data to be stored or moved)."""
    return jax.dtypes.issubdtype(x.dtype, jax.dtypes.prng_key)


def keys_to_data(tree: Any) -> Any:
    """Replace typed PRNG keys by their uint32 key data (serialisable)."""
    return jax.tree.map(lambda x: jax.random.key_data(x) if is_key(x) else x, tree)


def data_to_keys(data: Any, template: Any) -> Any:
    """Inverse of keys_to_data: wrap uint32 key data back into typed keys where template has keys,
    and give every leaf the template's dtype (no weak types), so a restored state compiles alike."""

    def restore(d, t):
        if is_key(t):
            return jax.random.wrap_key_data(jnp.asarray(d, jnp.uint32), impl=jax.random.key_impl(t))
        return jnp.asarray(d, dtype=t.dtype)

    return jax.tree.map(restore, data, template)
