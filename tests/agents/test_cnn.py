"""The CNN encoder in front of the LSTM: patches = a VALID strided conv, output shapes, the
image really drives the agent, the 1-D path unchanged, encoder validation before compiling."""

import dataclasses

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from metarl_jax.agents import CNNEncoder, LSTMActorCritic, agent_inputs
from metarl_jax.agents.cnn import centre_pixels, patches
from metarl_jax.core.errors import ConfigError
from metarl_jax.registry import make
from metarl_jax.training.a2c import make_network, make_train
from metarl_jax.training.config import TrainConfig, validate_encoder, validate_train_config

SCREEN = (32, 32, 3)


@pytest.mark.parametrize("k,shape", [(4, (32, 32, 3)), (3, (10, 11, 2))])
def test_patches_then_dense_is_a_valid_strided_conv(k, shape):
    x = jax.random.normal(jax.random.key(0), (2, *shape))
    w = jax.random.normal(jax.random.key(1), (k * k * shape[-1], 5))
    conv = nn.Conv(5, (k, k), strides=(k, k), padding="VALID", use_bias=False)
    expected = conv.apply({"params": {"kernel": w.reshape(k, k, shape[-1], 5)}}, x)
    np.testing.assert_allclose(patches(x, k) @ w, expected, rtol=1e-4, atol=1e-4)


def test_black_stays_zero_and_lit_pixels_are_centred():
    img = jnp.zeros((2, 2, 3)).at[0, 0].set(jnp.array([1.0, 0.0, 0.0])).at[1, 1].set(0.5)
    np.testing.assert_allclose(centre_pixels(img), [[[2, -2, -2], [0, 0, 0]], [[0, 0, 0], [0, 0, 0]]])


def test_convolutions_learn_at_a_tenth_of_the_rate():
    """Weights are stored x10 (lecun std x 10) and conv outputs scaled by 0.1: the function of
    a lecun-initialised CNN, but a step on a stored weight moves the features 10x less."""
    enc = CNNEncoder()
    p = jax.jit(enc.init)(jax.random.key(0), jnp.zeros(SCREEN))["params"]
    assert 5 < float(jnp.std(p["conv0"]["kernel"])) * np.sqrt(48) < 15
    assert 0.5 < float(jnp.std(p["dense"]["kernel"])) * np.sqrt(512) < 1.5  # the dense layer: lecun
    img = jax.random.uniform(jax.random.key(1), (3, *SCREEN))

    def conv(x, k, layer):
        return jnp.tanh(0.1 * (patches(x, k) @ p[layer]["kernel"] + p[layer]["bias"]))

    x = conv(conv(centre_pixels(img), 4, "conv0"), 2, "conv1").reshape(3, -1)
    expected = x @ p["dense"]["kernel"] + p["dense"]["bias"]
    np.testing.assert_allclose(jax.jit(enc.apply)({"params": p}, img), expected, rtol=1e-4, atol=1e-5)


def test_encoder_shapes_for_any_batch():
    enc = CNNEncoder()
    params = jax.jit(enc.init)(jax.random.key(0), jnp.zeros(SCREEN))
    for batch in ((), (5,), (2, 3)):
        out = jax.jit(enc.apply)(params, jnp.ones((*batch, *SCREEN)))
        assert out.shape == (*batch, 64) and out.dtype == jnp.float32
    kernels = {k: v["kernel"].shape for k, v in params["params"].items()}
    assert kernels["conv0"] == (48, 32) and kernels["conv1"] == (128, 32) and kernels["dense"][0] == 4 * 4 * 32


def test_cnn_agent_shapes_and_uses_the_image():
    net = LSTMActorCritic(num_actions=3, hidden_size=16, encoder="cnn", obs_shape=SCREEN)
    obs = jax.random.uniform(jax.random.key(2), (5, *SCREEN))
    x = agent_inputs(obs.reshape(5, -1), jnp.array([0, 1, 2, -1, 0]), jnp.ones(5), 3, jnp.full(5, 0.5))
    assert x.shape == (5, 3072 + 3 + 1 + 1)
    carry = net.initial_state((5,))
    params = jax.jit(net.init)(jax.random.key(0), carry, x)
    assert set(params["params"]) == {"cnn", "gates", "policy", "value"}
    assert params["params"]["gates"]["kernel"].shape == (64 + 5 + 16, 64)  # CNN features + the rest + h
    apply = jax.jit(net.apply)
    (c, h), (logits, value) = apply(params, carry, x)
    assert c.shape == h.shape == (5, 16) and logits.shape == (5, 3) and value.shape == (5,)
    # the image drives the output; so does the rest of the input (previous action here)
    x_other_image = x.at[:, :3072].set(jax.random.uniform(jax.random.key(3), (5, 3072)))
    assert not np.allclose(apply(params, carry, x_other_image)[0][1], h)
    x_other_action = x.at[:, 3072:3075].set(0.0)
    assert not np.allclose(apply(params, carry, x_other_action)[0][1], h)
    # unbatched step == row 0 of the batch
    (_, h0), (l0, v0) = apply(params, net.initial_state(), x[0])
    np.testing.assert_allclose(h0, h[0], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(l0, logits[0], rtol=1e-5, atol=1e-6)


def test_default_encoder_keeps_the_lstm_agent():
    config = TrainConfig()
    assert config.encoder == "none"
    net = make_network(config, 2, (3,))
    assert net == LSTMActorCritic(num_actions=2, hidden_size=48)
    params = net.init(jax.random.key(0), net.initial_state(), jnp.zeros((6,)))
    assert set(params["params"]) == {"gates", "policy", "value"}


def test_encoder_is_validated_before_compiling(compile_counter):
    with pytest.raises(ConfigError) as excinfo:
        validate_train_config(dataclasses.replace(TrainConfig(), encoder="resnet"))
    assert excinfo.value.field == "encoder"
    env, params = make("two_step")
    before = compile_counter()
    with pytest.raises(ConfigError) as excinfo:
        make_train(dataclasses.replace(TrainConfig(), encoder="cnn"), env, params)
    assert excinfo.value.field == "encoder" and "(3,)" in str(excinfo.value)
    assert compile_counter() == before
    validate_encoder(dataclasses.replace(TrainConfig(), encoder="cnn"), SCREEN)  # fine
