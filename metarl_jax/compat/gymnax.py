"""Our environments behind gymnax's ``Environment`` API, with gymnax's auto-reset.

:class:`GymnaxEnv` subclasses the *installed* ``gymnax.environments.environment.Environment``
and implements its two hooks, ``reset_env`` and ``step_env``; gymnax's own
``reset`` / ``step`` then wrap them, so gymnax wrappers (``LogWrapper``,
``FlattenObservationWrapper``, ...) and purejaxrl-style trainers drive our tasks
exactly as they drive gymnax's. The hooks have the same shape in every gymnax
release, ``step_env -> (obs, state, reward, done, info)``; what differs is
gymnax's ``step``:

- gymnax 0.x: ``obs, state, reward, done, info = env.step(key, state, action, params)``
- gymnax 1.x: ``obs, state, reward, terminated, truncated, info = env.step(...)``,
  ``info`` gaining ``terminated``, ``truncated`` and ``final_observation``.

Both split ``key_step, key_reset = jax.random.split(key)``, call
``step_env(key_step, ...)``, and on ``done`` return the observation and state of
``reset_env(key_reset)`` in place of the finished episode's (auto-reset), while
``reward`` and ``done`` are the finished step's. So our ``env.step(key_step, ...)``
gives the reward, ``terminated`` and ``info`` of every step, and its
observation on every step that is not an episode's last.

Our episodes have a fixed length and end by termination on their last step;
``truncated`` is always False (``is_truncated`` is overridden, so no
``max_steps_in_episode`` is needed). :func:`as_six_tuple` and
:func:`as_five_tuple` convert a step's output between the two conventions, for
code written against the other major version.

    from metarl_jax.compat.gymnax import make
    env, params = make("bandit")
    obs, state = env.reset(key, params)
    obs, state, reward, terminated, truncated, info = env.step(key, state, action, params)  # gymnax 1.x
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp

from metarl_jax.registry import make as make_env

try:
    from gymnax.environments import environment as _gx_env
    from gymnax.environments import spaces as _gx_spaces
except ImportError as err:  # pragma: no cover - depends on the installed extras
    raise ImportError(
        "metarl_jax.compat.gymnax needs gymnax (and six, which gymnax imports without declaring): "
        "pip install gymnax six"
    ) from err

# Observation bounds where the task defines them; others are unbounded.
OBSERVATION_BOUNDS: dict[str, tuple[float, float]] = {
    "two_step": (0.0, 1.0),  # one-hot S1/S2/S3
    "bandit": (0.0, 0.0),  # zeros (1,)
    "harlow_pixels": (0.0, 1.0),  # RGB screen
}


class GymnaxEnv(_gx_env.Environment):
    """A metarl_jax env as a gymnax ``Environment`` (gymnax's auto-reset semantics).

    ``GymnaxEnv(env, params)`` wraps ``env`` (one of ``metarl_jax.envs``); ``params``
    (default ``env.default_params``) becomes ``default_params``, used when gymnax's
    ``reset`` / ``step`` get ``params=None``."""

    def __init__(self, env: Any, params: Any = None):
        super().__init__()
        self.env = env
        self._params = env.default_params if params is None else params

    # ------------------------------------------------------------------ gymnax hooks

    @property
    def default_params(self) -> Any:
        return self._params

    def reset_env(self, key: jax.Array, params: Any) -> tuple[jax.Array, Any]:
        return self.env.reset(key, params)

    def step_env(
        self, key: jax.Array, state: Any, action: Any, params: Any
    ) -> tuple[jax.Array, Any, jax.Array, jax.Array, dict[str, Any]]:
        """Our step as gymnax's 5-tuple hook: done = terminated (we never truncate)."""
        obs, state, reward, terminated, truncated, info = self.env.step(key, state, action, params)
        info = {**info, "discount": jnp.where(terminated, 0.0, 1.0).astype(jnp.float32)}
        return obs, state, reward, jnp.logical_or(terminated, truncated), info

    def is_truncated(self, state: Any, params: Any) -> jax.Array:
        return jnp.zeros((), bool)

    # ------------------------------------------------------------------ description

    @property
    def name(self) -> str:
        return self.env.name

    @property
    def num_actions(self) -> int:
        return self.env.num_actions

    def action_space(self, params: Any = None) -> Any:
        return _gx_spaces.Discrete(self.env.num_actions)

    def observation_space(self, params: Any = None) -> Any:
        params = self._params if params is None else params
        low, high = OBSERVATION_BOUNDS.get(self.env.name, (-jnp.inf, jnp.inf))
        return _gx_spaces.Box(low, high, tuple(self.env.observation_shape(params)), jnp.float32)


def make(name: str, **overrides: Any) -> tuple[GymnaxEnv, Any]:
    """``metarl_jax.registry.make`` behind gymnax's API -> (GymnaxEnv, params)."""
    env, params = make_env(name, **overrides)
    return GymnaxEnv(env, params), params


def step_arity(env: Any, params: Any = None) -> int:
    """Length of the tuple ``env.step`` returns: 5 (gymnax 0.x) or 6 (gymnax 1.x).
    Found by abstract evaluation, so nothing runs."""
    params = env.default_params if params is None else params
    key = jax.random.key(0)

    def one(key):
        obs, state = env.reset(key, params)
        return env.step(key, state, jnp.zeros((), jnp.int32), params)

    return len(jax.eval_shape(one, key))


def as_six_tuple(out: tuple) -> tuple:
    """A step's output in gymnax 1.x form (obs, state, reward, terminated, truncated, info).
    A 0.x five-tuple's ``done`` becomes ``terminated`` (0.x cannot tell them apart)."""
    if len(out) == 6:
        return tuple(out)
    obs, state, reward, done, info = out
    return obs, state, reward, done, jnp.zeros_like(done), info


def as_five_tuple(out: tuple) -> tuple:
    """A step's output in gymnax 0.x form (obs, state, reward, done, info), done = terminated | truncated."""
    if len(out) == 5:
        return tuple(out)
    obs, state, reward, terminated, truncated, info = out
    return obs, state, reward, jnp.logical_or(terminated, truncated), info
