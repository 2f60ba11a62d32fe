"""The volatility experiment (Behrens et al. 2007; Wang et al. 2018, Simulation 2 / Fig. 3):
training on mixed stable / volatile episodes, evaluation on Behrens' schedule, learning rates
fitted per phase beside a Bayesian observer and a fixed-α control, the phase decoded from h."""

from __future__ import annotations

from typing import Any

import numpy as np

from metarl_jax.pipeline.spec import Experiment
from metarl_jax.tasks.volatility.analysis import analyse_seed, control_recovery, phase_comparison
from metarl_jax.tasks.volatility.baselines import CONTROL_ALPHA, reference_agents
from metarl_jax.tasks.volatility.env import Volatility, VolatilityParams
from metarl_jax.tasks.volatility.neural import analyse_neural
from metarl_jax.tasks.volatility.plots import plot_run
from metarl_jax.training.config import TrainConfig

CONTROL_TOLERANCE = 0.05  # |α̂ − α| of the fixed-α control, every seed and phase (ours)

PAPER = {
    "source": "Wang et al. (2018) Nat. Neurosci. 21:860, Fig. 3; Behrens et al. (2007) Nat. Neurosci. 10:1214",
    "alpha_volatile_greater": "the learning rate fitted to the agent's choices is higher in the volatile "
    "phase than in the stable phase (Wang 2018 Fig. 3; as Behrens 2007's subjects and Bayesian learner)",
    "test_schedule": "120 stable trials at 75%, then 170 volatile trials at 80/20 swapping every 30 or 40 "
    "trials (Behrens 2007, Fig. 1)",
    "numbers": "Wang 2018 reports the comparison in a figure; no values were reachable to us",
}


def behrens_schedule(params: VolatilityParams) -> VolatilityParams:
    """Evaluation on Behrens' test schedule (fixed reversals in the volatile phase); the phase
    order stays a coin per episode, so that time in the episode does not tell the phase."""
    return params.replace(schedule="behrens")


def compare(arrays: dict[str, dict[str, np.ndarray]], params: Any) -> dict[str, Any]:
    """α̂_volatile − α̂_stable paired across seeds for every agent, and the control's recovery."""
    out: dict[str, Any] = {"alpha_volatile_minus_stable": phase_comparison(arrays)}
    if "rescorla_wagner" in arrays:
        out["control_recovery"] = control_recovery(arrays["rescorla_wagner"], CONTROL_ALPHA, CONTROL_TOLERANCE)
    return out


def volatility() -> Experiment:
    """``python experiments/volatility.py``."""
    return Experiment(
        name="volatility",
        make_env=Volatility,
        description=(
            "Meta-RL and volatility (Wang et al. 2018, Simulation 2; Behrens et al. 2007): an LSTM A2C agent "
            "trained on two-armed bandits with a stable and a volatile phase, tested on Behrens' schedule; "
            "Rescorla-Wagner learning rates fitted per phase beside a Bayesian observer and a fixed-alpha "
            "control; the phase decoded from the LSTM state."
        ),
        train_defaults=TrainConfig(total_episodes=16_384, num_envs=32, lr=1e-2, gamma=0.9, eval_episodes=100),
        env_overrides={},
        smoke_train={"num_seeds": 2, "total_episodes": 64, "num_envs": 16, "chunk_size": 2, "eval_episodes": 20},
        smoke_env={"trials_per_episode": 29, "short_block": 3, "long_block": 4},  # 12 stable + 17 volatile
        baselines=reference_agents,
        analyse_seed=analyse_seed,
        summary_metrics=(
            "alpha_stable",
            "alpha_volatile",
            "alpha_difference",
            "alpha_volatile_greater",
            "beta_stable",
            "beta_volatile",
            "good_choice_stable",
            "good_choice_volatile",
        ),
        plot=plot_run,
        eval_params=behrens_schedule,
        compare=compare,
        analyse_neural=analyse_neural,
        record_default="hidden",
        paper=PAPER,
    )
