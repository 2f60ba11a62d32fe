"""The bandit experiment (Wang et al. 2016; Duan et al. 2016): defaults, tuned classical
baselines on the same problems, paired comparisons, figures."""

from __future__ import annotations

from typing import Any

import numpy as np

from metarl_jax.core.stats import paired_difference
from metarl_jax.pipeline.spec import Experiment
from metarl_jax.tasks.bandit.analysis import analyse_seed
from metarl_jax.tasks.bandit.baselines.suite import SMOKE_TUNING, tuned_baselines
from metarl_jax.tasks.bandit.env import Bandit
from metarl_jax.tasks.bandit.neural import analyse_neural
from metarl_jax.tasks.bandit.plots import plot_run
from metarl_jax.training.config import TrainConfig


def compare(arrays: dict[str, dict[str, np.ndarray]], params: Any) -> dict[str, Any]:
    """Paired differences of total reward per episode, meta-RL minus each baseline
    (every agent played the same problems: episodes of all seeds pooled)."""
    totals = {name: np.asarray(a["reward"], np.float64).sum(-1).reshape(-1) for name, a in arrays.items()}
    return {
        "metarl_minus": {name: paired_difference(totals["metarl"], t) for name, t in totals.items() if name != "metarl"}
    }


def baselines(params: Any, **tuning: Any) -> dict[str, Any]:
    """Every classical agent, tuned on separate problems, for ``params``."""
    return tuned_baselines(Bandit(params.num_arms), params, **tuning)[0]


def bandit() -> Experiment:
    """``python experiments/bandit.py``."""
    return Experiment(
        name="bandit",
        make_env=Bandit,
        description=(
            "Meta-RL on Bernoulli bandits (Wang et al. 2016; Duan et al. 2016): an LSTM A2C agent trained "
            "on many problems, compared on the same held-out problems with Gittins, Thompson sampling, "
            "UCB1 and greedy baselines (paired 95% CIs)."
        ),
        # Calibrated on the 2-core CPU (README, "Bandits"): 2 arms x 100 trials reach ~99.7% of
        # Gittins by 160k problems; γ 0.99 or 1.0 learns far slower, GAE(0.8) and entropy
        # annealing did not help, 256 problems per update needs more problems.
        train_defaults=TrainConfig(
            total_episodes=163_840, num_envs=64, time_input=True, lr=1e-2, gamma=0.9, eval_episodes=1250
        ),
        env_overrides={},
        smoke_train={"num_seeds": 2, "total_episodes": 64, "num_envs": 16, "chunk_size": 2, "eval_episodes": 50},
        smoke_env={"trials_per_episode": 20},
        baselines=baselines,
        analyse_seed=lambda arrays, params: analyse_seed(arrays),
        summary_metrics=("total_reward", "cumulative_regret"),
        plot=plot_run,
        compare=compare,
        smoke_baselines=lambda params: baselines(params, **SMOKE_TUNING),
        analyse_neural=analyse_neural,
    )
