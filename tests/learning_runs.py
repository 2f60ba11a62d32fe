"""Test support (importable from any test: tests/ is on sys.path through its conftest): a short
training run of a registered task's agent with the experiment's own hyperparameters and fewer
episodes, evaluated beside the untrained network on the same episodes (the learning tests)."""

import dataclasses
from typing import Any

import jax.numpy as jnp

from metarl_jax.agents.rollout import make_rollout
from metarl_jax.evaluation import evaluate_network
from metarl_jax.registry import EXPERIMENTS, make
from metarl_jax.training.a2c import make_train
from metarl_jax.training.loop import seed_keys


def train_briefly(
    task: str, total_episodes: int, eval_episodes: int = 200, num_seeds: int = 2
) -> tuple[dict, dict, Any]:
    """Train ``num_seeds`` seeds for ``total_episodes`` episodes each in one jitted chunk, then
    evaluate (sampled actions, recorded: h, V, δ, ...) on the experiment's evaluation params.
    -> (trained arrays, untrained arrays, eval params); arrays (S, E, T, ...)."""
    spec = EXPERIMENTS[task]()
    env, params = make(task)
    config = dataclasses.replace(
        spec.train_defaults, num_seeds=num_seeds, total_episodes=total_episodes, eval_episodes=eval_episodes
    )
    config = dataclasses.replace(config, chunk_size=config.num_updates)
    fns = make_train(config, env, params)
    initial = fns.init(seed_keys(config)).params
    state, _ = fns.update_chunk(fns.init(seed_keys(config)), jnp.int32(config.chunk_size))
    assert int(state.update.min()) == config.num_updates
    eval_params = spec.eval_params(params)  # held-out objects for Harlow
    rollout = make_rollout(env, eval_params, fns.network, config.time_input, record=True)
    trained, untrained = (
        evaluate_network(rollout, p, state.seed_key, eval_episodes, greedy=False, gamma=config.gamma)
        for p in (state.params, initial)
    )
    return trained, untrained, eval_params
