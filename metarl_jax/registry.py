"""Every task by name: ``make("two_step") -> (env, default_params)`` and the experiment specs
(``EXPERIMENTS["two_step"]()``). Adding a task: its folder under ``tasks/`` and one entry in TASKS."""

from __future__ import annotations

from typing import Any, Callable

from metarl_jax.core.errors import ConfigError
from metarl_jax.pipeline.spec import Experiment
from metarl_jax.tasks import bandit, foraging, harlow, inferred_value, two_step, volatility

TASKS = (
    bandit,
    foraging,
    harlow,
    inferred_value,
    two_step,
    volatility,
)  # each exports ENVS and EXPERIMENTS: {name: factory}

ENVS: dict[str, Callable[[], Any]] = {name: f for task in TASKS for name, f in task.ENVS.items()}
EXPERIMENTS: dict[str, Callable[[], Experiment]] = {name: f for task in TASKS for name, f in task.EXPERIMENTS.items()}


def registered_envs() -> tuple[str, ...]:
    """Names accepted by :func:`make`."""
    return tuple(sorted(ENVS))


def make(name: str, **overrides: Any) -> tuple[Any, Any]:
    """Build an environment and its default params, with field overrides applied; the params
    are validated (ConfigError naming the field)."""
    if name not in ENVS:
        raise ConfigError("env", name, f"choose one of {', '.join(registered_envs())}")
    env = ENVS[name]()
    params = env.default_params.replace(**overrides) if overrides else env.default_params
    env = env.for_params(params)  # envs whose num_actions depends on params (bandit: num_arms)
    env.validate(params)
    return env, params
