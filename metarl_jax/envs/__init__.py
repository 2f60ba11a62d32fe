"""The environment contract (``Environment``, ``EnvironmentBase``); the tasks themselves live in
``metarl_jax.tasks.<task>.env`` and are looked up by name with ``metarl_jax.registry.make``."""

from metarl_jax.envs.base import Environment, EnvironmentBase

__all__ = ["Environment", "EnvironmentBase"]
