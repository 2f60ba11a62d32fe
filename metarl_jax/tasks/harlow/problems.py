"""A Harlow problem, shared by the symbolic and the pixel env: two objects drawn from a pool, the
rewarded object's side on every trial, the checks on the params every Harlow env has, and the
``info`` a step reports."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from metarl_jax.core.errors import ConfigError, check_choice, check_finite, check_positive_int

PLACEMENTS = ("random", "balanced")
LEFT, RIGHT = 0, 1  # actions of every Harlow env
MAX_OBJECT_KEY = 2**31 - 1


def is_int(value) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def draw_problem(key: jax.Array, params) -> tuple[jax.Array, jax.Array]:
    """One problem: two distinct objects of the pool ``params.test_objects`` selects, uniform
    (the first is rewarded), and the rewarded object's side on every trial (``placement``).
    -> objects (2,) int32 [rewarded, other], sides (trials,) int32 (0 left, 1 right).
    Shared by every Harlow env (``params`` needs the pool sizes, ``trials_per_episode`` and
    ``placement``)."""
    k_obj, k_other, k_side = jax.random.split(key, 3)
    trials = params.trials_per_episode
    test = jnp.asarray(params.test_objects, bool)
    n = jnp.where(test, params.num_test_objects, params.num_train_objects).astype(jnp.int32)
    first = jax.random.randint(k_obj, (), 0, n, dtype=jnp.int32)
    other = (first + jax.random.randint(k_other, (), 1, n, dtype=jnp.int32)) % n  # uniform over the rest
    objects = jnp.stack([first, other]).astype(jnp.int32)
    if params.placement == "balanced":
        base = (jnp.arange(trials, dtype=jnp.int32) >= trials // 2).astype(jnp.int32)
        sides = jax.random.permutation(k_side, base)
    else:
        sides = jax.random.bernoulli(k_side, 0.5, (trials,)).astype(jnp.int32)
    return objects, sides.astype(jnp.int32)


def validate_problem(params) -> None:
    """Checks shared by every Harlow env: rewards, ``object_key``, ``test_objects``, trials,
    pool sizes and placement. Raise ConfigError naming the first bad field."""
    for name in ("correct_reward", "incorrect_reward", "fixation_reward"):
        check_finite(name, getattr(params, name))
    if not np.all(np.asarray(params.correct_reward) > np.asarray(params.incorrect_reward)):
        raise ConfigError(
            "correct_reward", params.correct_reward, f"must be > incorrect_reward ({params.incorrect_reward})"
        )
    key = params.object_key
    key_arr = None if isinstance(key, (bool, np.bool_, str, float)) else np.asarray(key)
    if key_arr is None or key_arr.dtype.kind not in "iu" or not np.all((key_arr >= 0) & (key_arr <= MAX_OBJECT_KEY)):
        raise ConfigError("object_key", key, f"must be an integer in [0, {MAX_OBJECT_KEY}]")
    test = None if isinstance(params.test_objects, str) else np.asarray(params.test_objects)
    if test is None or test.dtype != np.bool_:
        raise ConfigError("test_objects", params.test_objects, "must be True or False")
    check_positive_int("trials_per_episode", params.trials_per_episode)
    for name in ("num_train_objects", "num_test_objects"):
        value = getattr(params, name)
        if not is_int(value) or value < 2:
            raise ConfigError(name, value, "must be an integer >= 2 (a problem needs two distinct objects)")
    check_choice("placement", params.placement, PLACEMENTS)
    if params.placement == "balanced" and params.trials_per_episode % 2:
        raise ConfigError("trials_per_episode", params.trials_per_episode, "must be even with placement='balanced'")


def trial_info(
    trial: jax.Array,
    side: jax.Array,
    chose: jax.Array,
    chosen: jax.Array,
    correct: jax.Array,
    trial_end: jax.Array,
    shown: jax.Array,
    objects: jax.Array,
) -> dict[str, jax.Array]:
    """The info of a Harlow step (symbolic and pixels): trial_index, correct_side, chosen_side
    (-1 if none), correct, trial_end, and the object id on each side (-1 while not shown)."""
    left_obj = jnp.where(side == LEFT, objects[0], objects[1])
    right_obj = jnp.where(side == LEFT, objects[1], objects[0])
    return {
        "trial_index": trial,
        "correct_side": side,
        "chosen_side": jnp.where(chose, chosen, -1).astype(jnp.int32),
        "correct": correct,
        "trial_end": trial_end,
        "left_object": jnp.where(shown, left_obj, -1).astype(jnp.int32),
        "right_object": jnp.where(shown, right_obj, -1).astype(jnp.int32),
    }
