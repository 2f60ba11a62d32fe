"""The foraging experiment (Wang et al. 2018 Simulation 1, Fig. 2; Tsutsui et al. 2016): defaults,
the fitted Rescorla–Wagner reference, regression and matching, unit coding, figures."""

from __future__ import annotations

from metarl_jax.pipeline.spec import Experiment
from metarl_jax.tasks.foraging.analysis import analyse_seed
from metarl_jax.tasks.foraging.env import Foraging
from metarl_jax.tasks.foraging.neural import analyse_neural
from metarl_jax.tasks.foraging.plots import plot_run
from metarl_jax.training.config import TrainConfig

# The paper's qualitative targets (Wang et al. 2018 Fig. 2; Tsutsui et al. 2016; Lau & Glimcher 2005).
PAPER = {
    "reward_weights": "positive and decaying with lag (Wang 2018 Fig. 2a-b, as the monkeys of Tsutsui 2016 "
    "and Lau & Glimcher 2005)",
    "matching": "choice fractions follow reward fractions with undermatching, slope < 1 (Tsutsui 2016; "
    "Lau & Glimcher 2005; Wang 2018 Simulation 1)",
    "unit_coding": "LSTM units code the previous action, previous reward, their interaction and the chosen "
    "option's value, as DLPFC neurons do (Wang 2018 Fig. 2c-d; Tsutsui 2016)",
}


def foraging() -> Experiment:
    """``python experiments/foraging.py``."""
    return Experiment(
        name="foraging",
        make_env=Foraging,
        description=(
            "Meta-RL on the baited two-armed foraging task (Wang et al. 2018 Simulation 1, after Tsutsui et al. "
            "2016): lagged choice regression and matching beside a Rescorla-Wagner learner fitted to the agent "
            "and replayed on its episodes, and single-unit coding of the recorded LSTM, trained vs untrained."
        ),
        train_defaults=TrainConfig(
            total_episodes=81_920, num_envs=64, time_input=True, lr=1e-2, gamma=0.9, eval_episodes=300
        ),
        env_overrides={},
        smoke_train={"num_seeds": 2, "total_episodes": 64, "num_envs": 16, "chunk_size": 2, "eval_episodes": 20},
        smoke_env={"trials_per_episode": 20},
        baselines=lambda params: {},
        analyse_seed=analyse_seed,
        summary_metrics=(
            "reward_weights_positive",
            "reward_weights_decay",
            "reward_weights_monotone",
            "reward_weight_peak_lag",
            "reward_weight_lag1",
            "choice_weight_lag1",
            "matching_slope",
            "matching_slope_log",
            "rw_alpha",
            "rw_beta",
            "rw_reward_per_trial",
            "rw_reward_weights_positive",
            "rw_reward_weights_decay",
            "rw_reward_weights_monotone",
            "rw_matching_slope",
        ),
        plot=plot_run,
        analyse_neural=analyse_neural,
        record_default="hidden",
        paper=PAPER,
    )
