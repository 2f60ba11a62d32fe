"""Tasks as pure, jittable, vmappable functions (gymnax-style)."""

from metarl_jax.envs.registry import make, registered_envs
from metarl_jax.envs.two_step import TwoStep, TwoStepParams, TwoStepState

__all__ = ["TwoStep", "TwoStepParams", "TwoStepState", "make", "registered_envs"]
