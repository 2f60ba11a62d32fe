"""Baited two-armed foraging (Wang et al. 2018 Simulation 1; Tsutsui et al. 2016): env, fitted
Rescorla–Wagner reference, choice regression and matching, unit coding, figures, the experiment."""

from metarl_jax.tasks.foraging.env import Foraging, ForagingParams, ForagingState
from metarl_jax.tasks.foraging.experiment import foraging

ENVS = {"foraging": Foraging}
EXPERIMENTS = {"foraging": foraging}

__all__ = ["ENVS", "EXPERIMENTS", "Foraging", "ForagingParams", "ForagingState"]
