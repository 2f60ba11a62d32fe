"""core.keys: the episode-key split, the evaluation keys and the key <-> uint32 data round trip,
each against the jax.random calls its contract names."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from metarl_jax.core.keys import (
    EVAL_BRANCH,
    INIT_BRANCH,
    TRAIN_BRANCH,
    data_to_keys,
    eval_episode_keys,
    is_key,
    keys_to_data,
    split_episode_key,
)


def _data(key: jax.Array) -> np.ndarray:
    return np.asarray(jax.random.key_data(key))


def test_branches_are_distinct_and_evaluation_is_one():
    assert len({TRAIN_BRANCH, EVAL_BRANCH, INIT_BRANCH}) == 3
    assert EVAL_BRANCH == 1  # checkpoints and papers' numbers depend on it


@pytest.mark.parametrize("seed", [0, 7, 12345])
def test_split_episode_key_is_split_into_three(seed):
    key = jax.random.key(seed)
    got = split_episode_key(key)
    expected = jax.random.split(key, 3)
    assert len(got) == 3
    for i, k in enumerate(got):
        np.testing.assert_array_equal(_data(k), _data(expected[i]))
    assert not np.array_equal(_data(got[0]), _data(got[1]))  # reset and steps draw apart


def test_split_episode_key_under_vmap_and_jit_matches_the_eager_split():
    keys = jax.random.split(jax.random.key(3), 5)
    batched = jax.jit(jax.vmap(split_episode_key))(keys)
    for e in range(5):
        expected = jax.random.split(keys[e], 3)
        for i in range(3):
            np.testing.assert_array_equal(_data(batched[i][e]), _data(expected[i]))


@pytest.mark.parametrize("num_episodes", [1, 4])
def test_eval_episode_keys_fold_in_the_eval_branch_then_the_episode(num_episodes):
    seed_key = jax.random.key(42)
    got = eval_episode_keys(seed_key, num_episodes)
    assert got.shape == (num_episodes,) and is_key(got)
    for e in range(num_episodes):
        expected = jax.random.fold_in(jax.random.fold_in(seed_key, 1), e)
        np.testing.assert_array_equal(_data(got[e]), _data(expected))


def test_eval_episode_keys_differ_from_the_training_branch():
    seed_key = jax.random.key(0)
    train_first = jax.random.fold_in(jax.random.fold_in(seed_key, TRAIN_BRANCH), 0)
    assert not np.array_equal(_data(eval_episode_keys(seed_key, 1)[0]), _data(train_first))


def test_keys_to_data_and_back_round_trip_a_mixed_tree():
    tree = {
        "key": jax.random.split(jax.random.key(9), 3),
        "w": jnp.arange(6, dtype=jnp.float32).reshape(3, 2),
        "n": jnp.array([1, 2, 3], jnp.int32),
    }
    data = keys_to_data(tree)
    assert not is_key(data["key"]) and data["key"].dtype == jnp.uint32
    assert data["key"].shape == (3, 2)  # threefry key data: two uint32 words per key
    assert data["w"] is tree["w"] and data["n"] is tree["n"]  # non-key leaves untouched
    back = data_to_keys(jax.tree.map(np.asarray, data), tree)  # as a checkpoint stores them
    assert is_key(back["key"])
    assert jax.random.key_impl(back["key"]) == jax.random.key_impl(tree["key"])
    np.testing.assert_array_equal(_data(back["key"]), _data(tree["key"]))
    for name in ("w", "n"):
        assert back[name].dtype == tree[name].dtype
        np.testing.assert_array_equal(np.asarray(back[name]), np.asarray(tree[name]))
    # the restored keys draw what the originals draw
    np.testing.assert_array_equal(
        np.asarray(jax.random.uniform(back["key"][1], (4,))), np.asarray(jax.random.uniform(tree["key"][1], (4,)))
    )


def test_data_to_keys_gives_leaves_the_template_dtype():
    template = {"x": jnp.zeros((2,), jnp.float32), "i": jnp.zeros((), jnp.int32)}
    back = data_to_keys({"x": np.array([1, 2]), "i": 3}, template)  # int64 data, a weakly typed int
    assert back["x"].dtype == jnp.float32 and not back["x"].weak_type
    assert back["i"].dtype == jnp.int32 and not back["i"].weak_type
    np.testing.assert_array_equal(np.asarray(back["x"]), [1.0, 2.0])


def test_is_key_tells_typed_keys_from_their_data():
    key = jax.random.key(0)
    assert is_key(key)
    assert not is_key(jax.random.key_data(key))
    assert not is_key(jnp.zeros(3))
