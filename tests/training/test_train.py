"""Training loop contracts: seed isolation, chunk-size invariance, compile-once, determinism."""

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np

from metarl_jax.registry import make
from metarl_jax.training.a2c import make_train
from metarl_jax.training.loop import seed_keys


def _run(config, env, params, chunks=None):
    fns = make_train(config, env, params)
    state = fns.init(seed_keys(config))
    done = 0
    while done < config.num_updates:
        active = min(config.chunk_size, config.num_updates - done)
        state, _ = fns.update_chunk(state, jnp.int32(active))
        done += active
    return state


def _env():
    return make("two_step", trials_per_episode=10)


def test_seed_i_of_multi_seed_run_matches_solo_run(tiny_config):
    env, params = _env()
    multi = _run(tiny_config, env, params)
    for i in range(tiny_config.num_seeds):
        solo = _run(dataclasses.replace(tiny_config, seed=tiny_config.seed + i, num_seeds=1), env, params)
        for a, b in zip(jax.tree.leaves(multi.params), jax.tree.leaves(solo.params)):
            np.testing.assert_allclose(np.asarray(a)[i], np.asarray(b)[0], rtol=1e-4, atol=1e-6)


def test_seeds_differ(tiny_config):
    env, params = _env()
    state = _run(tiny_config, env, params)
    kernel = np.asarray(state.params["params"]["gates"]["kernel"])
    assert not np.allclose(kernel[0], kernel[1])


def test_results_do_not_depend_on_chunk_size(tiny_config):
    env, params = _env()
    a = _run(dataclasses.replace(tiny_config, chunk_size=1), env, params)
    b = _run(dataclasses.replace(tiny_config, chunk_size=4), env, params)  # 6 updates: chunks of 4 + 2
    assert int(a.update[0]) == int(b.update[0]) == tiny_config.num_updates
    for x, y in zip(jax.tree.leaves(a.params), jax.tree.leaves(b.params)):
        np.testing.assert_allclose(x, y, rtol=1e-5, atol=1e-7)


def test_same_seed_same_params(tiny_config):
    env, params = _env()
    a = _run(tiny_config, env, params)
    b = _run(tiny_config, env, params)
    for x, y in zip(jax.tree.leaves(a.params), jax.tree.leaves(b.params)):
        np.testing.assert_array_equal(x, y)


def test_chunk_compiles_once(tiny_config, compile_counter):
    env, params = _env()
    config = dataclasses.replace(tiny_config, total_episodes=40, chunk_size=4)  # 10 updates: 4 + 4 + 2
    fns = make_train(config, env, params)
    state = fns.init(seed_keys(config))
    state, _ = fns.update_chunk(state, jnp.int32(4))
    jax.block_until_ready(state)
    before = compile_counter()
    state, _ = fns.update_chunk(state, jnp.int32(4))
    state, m = fns.update_chunk(state, jnp.int32(2))  # the partial last chunk reuses the executable
    jax.block_until_ready(m)
    assert compile_counter() == before
    assert int(state.update[0]) == 10
    assert np.all(np.asarray(m["loss"])[2:] == 0)  # skipped updates report zeros


def test_metrics_are_float32_and_finite(tiny_config):
    env, params = _env()
    fns = make_train(tiny_config, env, params)
    state, m = fns.update_chunk(fns.init(seed_keys(tiny_config)), jnp.int32(2))
    for k, v in m.items():
        assert v.shape == (tiny_config.chunk_size, tiny_config.num_seeds), k
        assert v.dtype == jnp.float32, k
        assert np.all(np.isfinite(np.asarray(v))), k
    assert state.update.dtype == jnp.int32


def test_jitted_init_matches_eager_init(tiny_config):
    """The init is jitted (one compilation instead of one per op); the numbers are those of
    running it op by op, bit for bit, for the LSTM agent and the CNN agent."""
    cnn = dataclasses.replace(tiny_config, encoder="cnn", hidden_size=8)
    for config, name in ((tiny_config, "two_step"), (cnn, "harlow_pixels")):
        fns = make_train(config, *make(name))
        keys = seed_keys(config)
        jitted, eager = fns.init(keys), fns.init.__wrapped__(keys)
        for a, b in zip(jax.tree.leaves(jitted.params), jax.tree.leaves(eager.params)):
            np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
        for a, b in zip(jax.tree.leaves(jitted.opt_state), jax.tree.leaves(eager.opt_state)):
            np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
