"""The inferred-value task (Bromberg-Martin et al. 2010; Wang et al. 2018, Fig. 4): env, the
model-free TD control, prediction errors at target onset after reversals, figures, experiment."""

from metarl_jax.tasks.inferred_value.env import InferredValue, InferredValueParams, InferredValueState
from metarl_jax.tasks.inferred_value.experiment import inferred_value

ENVS = {"inferred_value": InferredValue}
EXPERIMENTS = {"inferred_value": inferred_value}

__all__ = ["ENVS", "EXPERIMENTS", "InferredValue", "InferredValueParams", "InferredValueState"]
