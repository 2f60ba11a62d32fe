"""A short learning run on the two-step task must beat chance and look model-based."""

import dataclasses

import jax.numpy as jnp
import numpy as np

from metarl_jax.evaluation import evaluate_network
from metarl_jax.registry import make
from metarl_jax.tasks.two_step.analysis import analyse_seed, trial_arrays
from metarl_jax.training.a2c import make_train
from metarl_jax.training.config import TrainConfig
from metarl_jax.training.loop import seed_keys


def test_two_step_agent_beats_chance():
    config = dataclasses.replace(
        TrainConfig(), num_seeds=2, num_envs=64, total_episodes=64 * 160, chunk_size=40, eval_episodes=100
    )
    env, params = make("two_step")
    fns = make_train(config, env, params)
    state = fns.init(seed_keys(config))
    for _ in range(config.num_updates // config.chunk_size):
        state, _ = fns.update_chunk(state, jnp.int32(config.chunk_size))
    arrays = evaluate_network(fns.rollout, state.params, state.seed_key, config.eval_episodes)
    for i in range(config.num_seeds):
        result = analyse_seed(trial_arrays({k: v[i] for k, v in arrays.items()}))
        # Chance is 0.5; 100 episodes x 100 trials puts the SEM near 0.005.
        assert result["reward_per_trial"] > 0.58, result["reward_per_trial"]
        assert result["model_based_index"] > 0.1, result
    assert np.all(np.asarray(state.update) == config.num_updates)
