"""Rough memory needs of a run, checked before anything compiles, so an impossible size
(``--num-envs 100000000``, a crafted config.json with 300000 hidden units) exits at once with
both numbers instead of failing minutes later.

The estimates count the arrays that scale with the config (parameters with their gradients
and optimizer moments, the per-step carry and outputs of one update's rollout, the evaluation
arrays); XLA's own temporaries come on top, so only sizes well beyond the machine are refused.
"""

from __future__ import annotations

import math
import os
from typing import Any

from metarl_jax.core.errors import ConfigError

FLOAT = 4  # bytes: float32 / int32 everywhere
INFO_SCALARS = 16  # per-step info entries an env reports, generously


def available_memory() -> int | None:
    """Bytes the OS says a new allocation can get (MemAvailable), or None where unknown."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


def parameter_bytes(train: Any, obs_size: int, num_actions: int) -> int:
    """One seed's LSTM actor-critic parameters (gates, heads) as float32."""
    inputs, hidden = obs_size + num_actions + 2, train.hidden_size
    return FLOAT * (4 * hidden * (inputs + hidden + 1) + (hidden + 1) * (num_actions + 1))


def training_bytes(train: Any, obs_size: int, num_actions: int, steps: int) -> int:
    """Parameters ×4 (values, gradients, two optimizer moments) and one update's rollout
    (carry, cotangents and outputs per step of every episode), for every seed."""
    per_step = FLOAT * (obs_size + 2 * train.hidden_size + num_actions + INFO_SCALARS)
    rollout = 3 * train.num_envs * steps * per_step
    return train.num_seeds * (4 * parameter_bytes(train, obs_size, num_actions) + rollout)


def evaluation_bytes(train: Any, obs_size: int, num_actions: int, steps: int) -> int:
    """The step arrays of one agent's evaluation (logits, values, actions, rewards, info) and
    the rollout carry, for every seed."""
    per_step = FLOAT * (num_actions + 3 + INFO_SCALARS)
    carry = FLOAT * (obs_size + 2 * train.hidden_size)
    return train.num_seeds * train.eval_episodes * (steps * per_step + carry)


def check_memory(train: Any, env: Any, env_params: Any, available: int | None = None) -> None:
    """Raise ConfigError (on ``num_envs``, ``eval_episodes`` or ``hidden_size``) when training or
    evaluation would need more memory than is available, stating both numbers."""
    available = available_memory() if available is None else available
    if available is None:
        return
    obs_size = math.prod(env.observation_shape(env_params))
    steps = env.num_steps(env_params)
    gib = 2**30
    needs = (
        ("hidden_size", train.num_seeds * 4 * parameter_bytes(train, obs_size, env.num_actions), "the parameters"),
        ("num_envs", training_bytes(train, obs_size, env.num_actions, steps), "training"),
        ("eval_episodes", evaluation_bytes(train, obs_size, env.num_actions, steps), "evaluation"),
    )
    for field, need, what in needs:
        if need > available:
            raise ConfigError(
                field,
                getattr(train, field),
                f"{what} would need about {need / gib:.1f} GiB, more than the {available / gib:.1f} GiB available",
            )
