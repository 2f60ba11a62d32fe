"""Bernoulli bandits (Wang et al. 2016; Duan et al. 2016): env, classical baselines (Gittins,
Thompson sampling, UCB1, ...), regret analysis, figures, the experiment and the paper tables."""

from metarl_jax.tasks.bandit.env import Bandit, BanditParams, BanditState
from metarl_jax.tasks.bandit.experiment import bandit

ENVS = {"bandit": Bandit}
EXPERIMENTS = {"bandit": bandit}

__all__ = ["ENVS", "EXPERIMENTS", "Bandit", "BanditParams", "BanditState"]
