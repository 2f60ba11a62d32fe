"""Name -> environment lookup: ``make("two_step") -> (env, default_params)``."""

from __future__ import annotations

from typing import Any, Callable

from metarl_jax.envs.bandit import Bandit
from metarl_jax.envs.base import ConfigError
from metarl_jax.envs.harlow import Harlow
from metarl_jax.envs.harlow_pixels import HarlowPixels
from metarl_jax.envs.two_step import TwoStep

_REGISTRY: dict[str, Callable[[], Any]] = {
    "bandit": Bandit,
    "two_step": TwoStep,
    "harlow": Harlow,
    "harlow_fixation": lambda: Harlow(fixation=True),  # 3 actions: left, right, fixate
    "harlow_pixels": HarlowPixels,  # rendered screen, gaze moved by left / right / stay
}


def registered_envs() -> tuple[str, ...]:
    """Names accepted by :func:`make`."""
    return tuple(sorted(_REGISTRY))


def make(name: str, **overrides: Any) -> tuple[Any, Any]:
    """Build an environment and its default params, with field overrides applied and validated."""
    if name not in _REGISTRY:
        raise ConfigError("env", name, f"choose one of {', '.join(registered_envs())}")
    env = _REGISTRY[name]()
    params = env.default_params
    if overrides:
        params = params.replace(**overrides)
        if hasattr(env, "for_params"):  # envs whose num_actions depends on params (bandit: num_arms)
            env = env.for_params(params)
        env.validate(params)
    return env, params
