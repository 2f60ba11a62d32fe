"""The Daw two-step task (Daw et al. 2011; Wang et al. 2018, Fig. 5): env, reference agents
(model-free, model-based, Bayes-optimal), stay-probability analysis, figures, experiment."""

from metarl_jax.tasks.two_step.env import TwoStep, TwoStepParams, TwoStepState
from metarl_jax.tasks.two_step.experiment import two_step

ENVS = {"two_step": TwoStep}
EXPERIMENTS = {"two_step": two_step}

__all__ = ["ENVS", "EXPERIMENTS", "TwoStep", "TwoStepParams", "TwoStepState"]
