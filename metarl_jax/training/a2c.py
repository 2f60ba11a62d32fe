"""Advantage actor-critic (Wang et al. 2018, Methods) as pure JAX functions.

``make_train(config, env, env_params)`` returns pure functions; Python only
calls the jitted ``update_chunk`` (a ``lax.scan`` over updates, vmapped over
seeds) and does I/O between chunks. One update rolls out ``num_envs`` whole
episodes and differentiates through the rollout once (BPTT over the episode).
"""

from __future__ import annotations

import math
from typing import Any, Callable, NamedTuple

import chex
import jax
import jax.numpy as jnp
import optax

from metarl_jax.agents.lstm_actor_critic import LSTMActorCritic
from metarl_jax.agents.rollout import Trajectory, make_rollout, step_discounts
from metarl_jax.core.keys import INIT_BRANCH, TRAIN_BRANCH
from metarl_jax.training.config import validate_encoder

# --------------------------------------------------------------------------- losses


def discounted_returns(rewards: jax.Array, discounts: jax.Array) -> jax.Array:
    """Gₜ = rₜ + discountₜ · Gₜ₊₁ with G_T = 0. rewards, discounts (T, ...) -> (T, ...)."""
    chex.assert_equal_shape([rewards, discounts])

    def body(g_next, rd):
        r, d = rd
        g = r + d * g_next
        return g, g

    _, returns = jax.lax.scan(body, jnp.zeros_like(rewards[0]), (rewards, discounts), reverse=True)
    return returns


def lambda_returns(rewards: jax.Array, discounts: jax.Array, values: jax.Array, lam: float) -> jax.Array:
    """TD(λ) returns Gᵗ = rₜ + discountₜ·((1 − λ)·V(t+1) + λ·Gₜ₊₁), G_T = 0, V stop-gradient.
    λ = 1 gives :func:`discounted_returns` bit for bit; Gₜ − Vₜ is then the GAE(γ, λ) advantage.
    rewards, discounts, values (T, ...) -> (T, ...)."""
    chex.assert_equal_shape([rewards, discounts, values])
    if lam == 1.0:
        return discounted_returns(rewards, discounts)
    v_next = jnp.concatenate([jax.lax.stop_gradient(values[1:]), jnp.zeros_like(values[:1])])

    def body(g_next, rdv):
        r, d, v = rdv
        g = r + d * ((1.0 - lam) * v + lam * g_next)
        return g, g

    _, returns = jax.lax.scan(body, jnp.zeros_like(rewards[0]), (rewards, discounts, v_next), reverse=True)
    return returns


def entropy_schedule(coef: jax.Array, final: float | None, update: jax.Array, num_updates: int) -> jax.Array:
    """Entropy cost at ``update``: ``coef`` throughout, or linear from ``coef`` to ``final``
    over ``num_updates`` (Wang et al. 2016 anneal it so the trained policy can commit)."""
    if final is None:
        return coef
    progress = jnp.minimum(update.astype(jnp.float32) / max(num_updates, 1), 1.0)
    return coef + (final - coef) * progress


def linear_schedule(final_scale: float | None, update: jax.Array, num_updates: int) -> jax.Array | float:
    """Multiplier going linearly from 1 at update 0 to ``final_scale`` at the last update
    (``num_updates`` − 1), then held; 1 when ``final_scale`` is None."""
    if final_scale is None:
        return 1.0
    progress = jnp.minimum(update.astype(jnp.float32) / max(num_updates - 1, 1), 1.0)
    return 1.0 + (final_scale - 1.0) * progress


class LossTerms(NamedTuple):
    loss: jax.Array
    policy_loss: jax.Array
    value_loss: jax.Array
    entropy: jax.Array


def a2c_loss(
    logits: jax.Array,
    values: jax.Array,
    actions: jax.Array,
    returns: jax.Array,
    value_coef: jax.Array | float,
    entropy_coef: jax.Array | float,
) -> LossTerms:
    """Mean over all steps of −log π(aₜ)·Aₜ + c_v·½(Gₜ − Vₜ)² − c_H·H(π(·|hₜ)),
    with Aₜ = stop_gradient(Gₜ − Vₜ). logits (..., A), values/actions/returns (...)."""
    chex.assert_equal_shape([values, actions, returns])
    chex.assert_rank(logits, values.ndim + 1)
    log_probs = jax.nn.log_softmax(logits)
    log_pi_a = jnp.take_along_axis(log_probs, actions[..., None], axis=-1)[..., 0]
    advantages = jax.lax.stop_gradient(returns - values)
    policy_loss = -jnp.mean(log_pi_a * advantages)
    value_loss = jnp.mean(0.5 * jnp.square(returns - values))
    entropy = jnp.mean(-jnp.sum(jnp.exp(log_probs) * log_probs, axis=-1))
    loss = policy_loss + value_coef * value_loss - entropy_coef * entropy
    return LossTerms(loss, policy_loss, value_loss, entropy)


# --------------------------------------------------------------------------- training


class HParams(NamedTuple):
    """Sweepable scalars, carried as float32 leaves (lr lives in the optimizer state)."""

    gamma: jax.Array
    value_coef: jax.Array
    entropy_coef: jax.Array


class TrainState(NamedTuple):
    """Everything one seed carries between updates."""

    params: Any
    opt_state: Any
    seed_key: jax.Array  # typed PRNG key
    update: jax.Array  # int32, updates done
    hparams: HParams
    frozen_at: jax.Array  # int32, update at which loss or params went non-finite; -1 = healthy


class TrainFns(NamedTuple):
    init: Callable[[jax.Array], TrainState]  # seed keys (S,) -> batched TrainState
    update: Callable[[TrainState], tuple[TrainState, dict[str, jax.Array]]]  # one seed
    update_chunk: Callable[[TrainState, jax.Array], tuple[TrainState, dict[str, jax.Array]]]
    rollout: Callable[..., Trajectory]
    network: LSTMActorCritic


def make_optimizer(config: Any) -> optax.GradientTransformation:
    """Adam or RMSProp with lr injected as a state leaf; optional global-norm clipping."""
    if config.optimizer == "adam":
        opt = optax.inject_hyperparams(optax.adam)(learning_rate=config.lr)
    else:  # optax puts eps outside the square root (TF puts it inside)
        opt = optax.inject_hyperparams(optax.rmsprop)(learning_rate=config.lr, decay=0.99, eps=1e-5)
    if config.max_grad_norm is not None:
        opt = optax.chain(optax.clip_by_global_norm(config.max_grad_norm), opt)
    return opt


def make_network(config: Any, num_actions: int, obs_shape: tuple[int, ...]) -> LSTMActorCritic:
    """The agent of a config: the LSTM actor-critic, with the CNN in front when
    ``config.encoder == "cnn"``."""
    if config.encoder == "cnn":
        return LSTMActorCritic(num_actions, config.hidden_size, encoder="cnn", obs_shape=tuple(obs_shape))
    return LSTMActorCritic(num_actions=num_actions, hidden_size=config.hidden_size)


def make_train(config: Any, env: Any, env_params: Any) -> TrainFns:
    """Pure training functions for one config; see module docstring."""
    obs_shape = tuple(env.observation_shape(env_params))
    validate_encoder(config, obs_shape)
    network = make_network(config, env.num_actions, obs_shape)
    rollout = make_rollout(env, env_params, network, config.time_input)
    optimizer = make_optimizer(config)
    num_envs = config.num_envs
    trials = env_params.trials_per_episode
    obs_dim = math.prod(obs_shape)  # images enter flattened (the CNN un-flattens them)
    in_dim = obs_dim + env.num_actions + 1 + int(config.time_input)

    def init_one(seed_key: jax.Array) -> TrainState:
        init_key = jax.random.fold_in(seed_key, INIT_BRANCH)
        params = network.init(init_key, network.initial_state(), jnp.zeros((in_dim,), jnp.float32))
        hparams = HParams(
            gamma=jnp.float32(config.gamma),
            value_coef=jnp.float32(config.value_coef),
            entropy_coef=jnp.float32(config.entropy_coef),
        )
        return TrainState(params, optimizer.init(params), seed_key, jnp.int32(0), hparams, jnp.int32(-1))

    def loss_fn(params: Any, key: jax.Array, hp: HParams, update: jax.Array):
        traj = rollout(params, jax.random.split(key, num_envs))
        discounts = step_discounts(traj.info["trial_end"], traj.terminated, hp.gamma)
        returns = lambda_returns(traj.rewards, discounts, traj.values, config.gae_lambda)
        entropy_coef = entropy_schedule(hp.entropy_coef, config.entropy_coef_final, update, config.num_updates)
        terms = a2c_loss(traj.logits, traj.values, traj.actions, returns, hp.value_coef, entropy_coef)
        return terms.loss, (terms, jnp.sum(traj.rewards) / (num_envs * trials))

    def update(state: TrainState) -> tuple[TrainState, dict[str, jax.Array]]:
        key = jax.random.fold_in(jax.random.fold_in(state.seed_key, TRAIN_BRANCH), state.update)
        grads, (terms, reward_per_trial) = jax.grad(loss_fn, has_aux=True)(
            state.params, key, state.hparams, state.update
        )
        updates, opt_state = optimizer.update(grads, state.opt_state, state.params)
        if config.lr_final_scale is not None:  # lr decay: RMSProp/Adam steps are linear in lr
            scale = linear_schedule(config.lr_final_scale, state.update, config.num_updates)
            updates = jax.tree.map(lambda u: u * scale, updates)
        params = optax.apply_updates(state.params, updates)
        # NaN guard: a seed whose loss or new params are non-finite keeps its last finite
        # state from now on (its updates are masked) and records the update where it broke.
        finite = jnp.isfinite(terms.loss) & jnp.all(
            jnp.stack([jnp.all(jnp.isfinite(x)) for x in jax.tree.leaves(params)])
        )
        healthy = state.frozen_at < 0
        keep_new = healthy & finite
        params, opt_state = jax.tree.map(
            lambda new, old: jnp.where(keep_new, new, old), (params, opt_state), (state.params, state.opt_state)
        )
        frozen_at = jnp.where(healthy & ~finite, state.update, state.frozen_at)
        metrics = {
            "loss": terms.loss,
            "policy_loss": terms.policy_loss,
            "value_loss": terms.value_loss,
            "entropy": terms.entropy,
            "grad_norm": optax.tree.norm(grads),
            "reward_per_trial": reward_per_trial,
        }
        new_state = state._replace(params=params, opt_state=opt_state, update=state.update + 1, frozen_at=frozen_at)
        return new_state, metrics

    batched_update = jax.vmap(update)

    def update_chunk(state: TrainState, num_active: jax.Array) -> tuple[TrainState, dict[str, jax.Array]]:
        """Run ``chunk_size`` updates on every seed; steps with index >= num_active are skipped."""

        def body(s, i):
            def skip(s):
                shapes = jax.eval_shape(batched_update, s)[1]
                return s, jax.tree.map(lambda x: jnp.zeros(x.shape, x.dtype), shapes)

            return jax.lax.cond(i < num_active, batched_update, skip, s)

        return jax.lax.scan(body, state, jnp.arange(config.chunk_size, dtype=jnp.int32))

    # Run eagerly, every op of the init (the agent's forward pass, orthogonal init, the
    # optimizer state) compiles on its own (tens of compilations, seconds); jitted, the init
    # is one compilation. Same numbers either way (tests/training/test_train.py).
    init = jax.jit(jax.vmap(init_one))  # seed keys (S,) -> TrainState; init.__wrapped__ runs eagerly

    return TrainFns(init, update, jax.jit(update_chunk, donate_argnums=0), rollout, network)
