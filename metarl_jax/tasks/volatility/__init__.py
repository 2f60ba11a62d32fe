"""Volatility and the learning rate (Behrens et al. 2007; Wang et al. 2018, Simulation 2): env,
Bayesian observer and fixed-α control, per-phase Rescorla–Wagner fits, phase decoding, figures."""

from metarl_jax.tasks.volatility.env import Volatility, VolatilityParams, VolatilityState
from metarl_jax.tasks.volatility.experiment import volatility

ENVS = {"volatility": Volatility}
EXPERIMENTS = {"volatility": volatility}

__all__ = ["ENVS", "EXPERIMENTS", "Volatility", "VolatilityParams", "VolatilityState"]
