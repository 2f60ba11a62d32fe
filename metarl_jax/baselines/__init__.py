"""Non-neural reference agents as pure JAX policies (vmappable, jittable)."""

from metarl_jax.baselines.policy import Policy

__all__ = ["Policy"]
