"""Seed layout: devices used, pad seeds, and padding that round-trips (keys included)."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from metarl_jax.training.seed_layout import SeedLayout, pad_seeds, real_seeds, seed_layout


@pytest.mark.parametrize(
    ("num_seeds", "devices", "expected"),
    [(8, 2, (2, 8)), (5, 2, (2, 6)), (1, 4, (1, 1)), (6, 4, (3, 6)), (7, 4, (4, 8)), (9, 4, (3, 9)), (3, 1, (1, 3))],
)
def test_layout_gives_the_smallest_load_with_the_fewest_devices(num_seeds, devices, expected):
    used, padded = seed_layout(num_seeds, devices)
    assert (used, padded) == expected
    assert padded % used == 0 and padded >= num_seeds
    assert padded - num_seeds < used  # fewer pad seeds than devices: no device runs only pads


def test_pad_repeats_the_last_seed_and_real_seeds_undoes_it():
    tree = {"w": jnp.arange(6.0).reshape(3, 2), "key": jax.random.split(jax.random.key(0), 3)}
    padded = pad_seeds(tree, 5)
    assert padded["w"].shape == (5, 2)
    np.testing.assert_array_equal(np.asarray(padded["w"][3:]), np.asarray([[4.0, 5.0], [4.0, 5.0]]))
    key_data = np.asarray(jax.random.key_data(padded["key"]))
    np.testing.assert_array_equal(key_data[4], np.asarray(jax.random.key_data(tree["key"]))[2])
    back = real_seeds(padded, 3)
    np.testing.assert_array_equal(np.asarray(back["w"]), np.asarray(tree["w"]))
    np.testing.assert_array_equal(
        np.asarray(jax.random.key_data(back["key"])), np.asarray(jax.random.key_data(tree["key"]))
    )


def test_no_padding_leaves_the_tree_as_it_is():
    tree = {"w": jnp.ones((4, 3))}
    assert pad_seeds(tree, 4) is tree
    assert real_seeds(tree, 4) is tree
    layout = SeedLayout.for_run(4)  # one device in this process (tests/conftest.py)
    laid_out = layout.for_training(tree)
    assert laid_out["w"].shape == (4, 3) and len(laid_out["w"].sharding.device_set) == 1
    assert layout.real(laid_out) is laid_out
    assert layout.info() == {"devices": 1, "seeds_per_device": 4, "pad_seeds": 0}
    evaluated = layout.for_evaluation(tree)
    np.testing.assert_array_equal(np.asarray(evaluated["w"]), np.asarray(tree["w"]))
    assert len(evaluated["w"].sharding.device_set) == 1


@pytest.mark.parametrize(
    ("num_seeds", "devices", "expected"),
    [(5, 2, {"devices": 2, "seeds_per_device": 3, "pad_seeds": 1}),
     (8, 2, {"devices": 2, "seeds_per_device": 4, "pad_seeds": 0}),
     (6, 4, {"devices": 3, "seeds_per_device": 2, "pad_seeds": 0}),
     (7, 4, {"devices": 4, "seeds_per_device": 2, "pad_seeds": 1})],
)  # fmt: skip
def test_layout_info_is_what_config_json_records(num_seeds, devices, expected):
    placeholders = [f"device{i}" for i in range(devices)]  # info() only counts them
    layout = SeedLayout.for_run(num_seeds, placeholders)
    assert layout.devices == tuple(placeholders[: expected["devices"]])
    assert layout.info() == expected
