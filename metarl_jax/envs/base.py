"""The environment contract every task implements (a protocol, and a base class with its defaults).

Environments are gymnax-style pure functions over frozen flax.struct params:
``obs, state = env.reset(key, params)`` and
``obs, state, reward, terminated, truncated, info = env.step(key, state, action, params)``.
Episodes have a fixed number of steps; there is no auto-reset inside our envs.

Params are validated where they are made (``registry.make``, the command line): ``env.step``
is pure and compiled, so it cannot raise. Actions must be integers in [0, num_actions); an
action outside it is not an error inside a compiled step and its result is unspecified (each
task documents what it does). :func:`checked_step` turns it into an error under ``checkify``,
for debugging and tests; :func:`validate_action` checks concrete actions on the host.
"""

from __future__ import annotations

from typing import Any, Protocol

import jax
import numpy as np
from jax.experimental import checkify

from metarl_jax.core.errors import ConfigError

Array = jax.Array


class Environment(Protocol):
    """What every task's env provides (``metarl_jax/tasks/<task>/env.py``)."""

    name: str
    PAPER: str
    num_actions: int

    @property
    def default_params(self) -> Any: ...

    def for_params(self, params: Any) -> Environment:
        """The env instance that serves ``params`` (envs whose action set follows their
        params, bandit arms or Harlow's fixation action, return a matching instance)."""
        ...

    def observation_shape(self, params: Any) -> tuple[int, ...]: ...

    def num_steps(self, params: Any) -> int:
        """Agent steps per episode (fixed, so rollouts have static length)."""
        ...

    def steps_per_trial(self, params: Any) -> int:
        """Agent steps per trial; ``params.trials_per_episode`` trials make an episode.
        ``info["trial_end"]`` marks the step that ends a trial (γ is applied there)."""
        ...

    def validate(self, params: Any) -> None: ...

    def reset(self, key: Array, params: Any) -> tuple[Array, Any]: ...

    def step(
        self, key: Array, state: Any, action: Array, params: Any
    ) -> tuple[Array, Any, Array, Array, Array, dict[str, Array]]: ...


class EnvironmentBase:
    """Defaults of the :class:`Environment` protocol; task envs subclass it."""

    def for_params(self, params: Any) -> Any:
        """This env serves every params of its task (override where the action set follows params)."""
        return self


def validate_action(env: Any, action: Any) -> None:
    """Raise ConfigError unless every entry of a concrete ``action`` is an integer in [0, num_actions)."""
    a = np.asarray(action)
    if a.dtype.kind not in "iu" or a.size and (a.min() < 0 or a.max() >= env.num_actions):
        raise ConfigError("action", action, f"must be an integer in [0, {env.num_actions}) for {env.name}")


def checked_step(env: Any) -> Any:
    """``env.step`` wrapped by ``checkify``: -> ``(error, step outputs)``; ``error.throw()``
    raises on an action outside [0, num_actions). Works under jit and vmap."""

    def step(key: Array, state: Any, action: Array, params: Any):
        ok = (action >= 0) & (action < env.num_actions)
        checkify.check(jax.numpy.all(ok), f"action {{a}} is outside [0, {env.num_actions}) for {env.name}", a=action)
        return env.step(key, state, action, params)

    return checkify.checkify(step)
