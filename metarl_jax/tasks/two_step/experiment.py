"""The two-step experiment (Wang et al. 2018, Fig. 5): defaults, reference agents, analysis,
neural analysis (with --record), figures."""

from __future__ import annotations

from metarl_jax.pipeline.spec import Experiment
from metarl_jax.tasks.two_step.analysis import analyse_seed, trial_arrays
from metarl_jax.tasks.two_step.baselines import reference_agents
from metarl_jax.tasks.two_step.env import TwoStep
from metarl_jax.tasks.two_step.neural import analyse_neural
from metarl_jax.tasks.two_step.plots import plot_run
from metarl_jax.training.config import TrainConfig


def two_step() -> Experiment:
    """``python experiments/two_step.py``."""
    return Experiment(
        name="two_step",
        make_env=TwoStep,
        description=(
            "Meta-RL on the Daw two-step task (Wang et al. 2018, Fig. 5): train an LSTM A2C agent on "
            "many seeds at once, evaluate with frozen weights, and plot stay probabilities."
        ),
        train_defaults=TrainConfig(),
        env_overrides={},
        smoke_train={"num_seeds": 2, "total_episodes": 64, "num_envs": 16, "chunk_size": 2, "eval_episodes": 20},
        smoke_env={"trials_per_episode": 20},
        baselines=reference_agents,
        analyse_seed=lambda arrays, params: analyse_seed(trial_arrays(arrays)),
        summary_metrics=(
            "stay_common_rewarded",
            "stay_rare_rewarded",
            "stay_common_unrewarded",
            "stay_rare_unrewarded",
            "model_based_index",
            "model_based_signature",
            "reward_main_effect",
            "regression_model_based_index",
            "regression_model_free_index",
        ),
        plot=plot_run,
        analyse_neural=analyse_neural,
    )
