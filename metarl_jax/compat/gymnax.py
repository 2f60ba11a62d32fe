"""Our environments behind gymnax's ``Environment`` API, with gymnax's auto-reset.

:class:`GymnaxEnv` subclasses the *installed* ``gymnax.environments.environment.Environment``
and implements its two hooks, ``reset_env`` and ``step_env``; gymnax's own
``reset`` / ``step`` then wrap them, so gymnax wrappers (``LogWrapper``,
``FlattenObservationWrapper``, ...), ``gymnax.experimental.RolloutWrapper`` and
purejaxrl-style trainers drive our tasks exactly as they drive gymnax's. The hooks
have the same shape in every gymnax release, ``step_env -> (obs, state, reward, done, info)``;
what differs is gymnax's ``step``:

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
``truncated`` is always False (``is_truncated`` is overridden). Params: the task's own
params class, subclassed once per task (:func:`gymnax_params`) with gymnax's
``max_steps_in_episode`` as a read-only property equal to ``env.num_steps(params)``, so
``RolloutWrapper(env=env)`` needs no ``num_env_steps``; they are still the task's params
(``isinstance``, ``replace``, our ``env.step`` take them) and the episode length follows
``replace(trials_per_episode=...)``. :func:`as_six_tuple` and :func:`as_five_tuple` convert
a step's output between the two conventions, for code written against the other major version.

Spaces: ``action_space`` is ``Discrete(num_actions)``; ``observation_space`` a Box whose
finite bounds hold every observation of the task (Harlow's symbolic features are standard
normal draws, fixed per object: its bounds are each unit's minimum and maximum over both
object pools and 0, the blank screen; about ±4 with the defaults), so ``sample()`` is
finite; ``state_space`` a ``Dict`` with one space per field of the task's state
(``Discrete`` for scalar counters and flags, :class:`IntBox` / ``Box`` for arrays), each
range holding every state reachable with valid actions (a superset where a field's values
skip some: two-step's ``good_state`` is 1 or 2). An env may declare its own bounds with
``observation_bounds(params) -> (low, high)`` and ``state_bounds(params) -> {field: (low,
high)}`` (the tasks added after the first three do); envs with neither get an unbounded
observation Box and no state space (NotImplementedError, as gymnax's default).

Out-of-range actions. gymnax's ``step`` is compiled, so it cannot raise: an action outside
``[0, num_actions)`` goes to our env's step unchanged and its result is the task's
(unspecified; each task documents it: two-step treats any non-zero action as 1 but
records the raw value, bandit wraps negative arm indices as Python does and clamps the
rest, Harlow counts it as no choice). Check concrete actions on the host with ``env.validate_action(a)``
(ConfigError), or step with :func:`checked_step` ``(env)``, gymnax's step under
``checkify``: ``err, out = jax.jit(checked_step(env))(key, state, action, params);
err.throw()`` raises on such an action (also under ``vmap``).

    from metarl_jax.compat.gymnax import make
    env, params = make("bandit")
    obs, state = env.reset(key, params)
    obs, state, reward, terminated, truncated, info = env.step(key, state, action, params)  # gymnax 1.x
"""

from __future__ import annotations

import dataclasses
from typing import Any, Callable, ClassVar

import jax
import jax.numpy as jnp
from flax import struct

from metarl_jax.envs.base import checked_step as _checked_step
from metarl_jax.envs.base import validate_action as _validate_action
from metarl_jax.registry import make as make_env
from metarl_jax.tasks.harlow.env import pool_features

try:
    from gymnax.environments import environment as _gx_env
    from gymnax.environments import spaces as _gx_spaces
except ImportError as err:  # pragma: no cover - depends on the installed extras
    raise ImportError(
        "metarl_jax.compat.gymnax needs gymnax (and six, which gymnax imports without declaring): "
        "pip install gymnax six"
    ) from err

Bounds = tuple[Any, Any]  # (low, high), inclusive; scalars or arrays broadcast to the field's shape


# --------------------------------------------------------------------------- params


class _StepsInEpisode:
    """Mixin of the compat params classes: gymnax's ``max_steps_in_episode``, read-only."""

    _env: ClassVar[Any] = None  # the env whose num_steps defines an episode (class attributes, not fields)
    _base: ClassVar[type] = object  # the task's params class

    @property
    def max_steps_in_episode(self) -> int:
        """Agent steps per episode, ``env.num_steps(params)`` (gymnax's time limit; ours never truncates)."""
        return int(self._env.for_params(self).num_steps(self))

    def __reduce__(self) -> tuple:
        """Pickled as the task's params plus the env (the class is made at run time)."""
        values = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        return gymnax_params, (self._env, self._base(**values))


_PARAMS_CLASSES: dict[tuple[type, type, str], type] = {}


def gymnax_params(env: Any, params: Any) -> Any:
    """``params`` as the compat params of ``env``'s task: the same fields and values, an instance of
    a subclass of ``type(params)`` (one per task) that adds ``max_steps_in_episode``."""
    base = type(params)
    if isinstance(params, _StepsInEpisode) or hasattr(base, "max_steps_in_episode"):
        return params
    key = (base, type(env), env.name)
    if key not in _PARAMS_CLASSES:
        cls = type(base.__name__, (_StepsInEpisode, base), {"_env": env, "_base": base, "__module__": __name__})
        cls.__qualname__ = f"gymnax[{env.name}].{base.__name__}"
        _PARAMS_CLASSES[key] = struct.dataclass(cls)
    return _PARAMS_CLASSES[key](**{f.name: getattr(params, f.name) for f in dataclasses.fields(params)})


# --------------------------------------------------------------------------- bounds


class IntBox(_gx_spaces.Box):
    """A gymnax ``Box`` of integers in [low, high], both included: ``sample`` draws uniformly
    from them (gymnax's Box draws floats in [low, high) and truncates, never reaching high)."""

    def __init__(self, low: Any, high: Any, shape: Any, dtype: Any = jnp.int32):
        super().__init__(low, high, tuple(shape), dtype)

    def sample(self, key: jax.Array) -> jax.Array:
        return jax.random.randint(key, self.shape, self.low, jnp.asarray(self.high) + 1, self.dtype)


def _harlow_features(params: Any) -> Bounds:
    """Each feature unit's (min, max) over both object pools and 0 (the blank screen): (d,) each."""
    feats = jnp.concatenate([pool_features(params, False), pool_features(params, True)])
    return jnp.minimum(feats.min(0), 0.0), jnp.maximum(feats.max(0), 0.0)


def _harlow_observation(env: Any, params: Any) -> Bounds:
    low, high = _harlow_features(params)  # one-hot encoding: [0, 1]
    cue = [jnp.zeros(1), jnp.ones(1)] if params.fixation else [jnp.zeros(0), jnp.zeros(0)]
    return jnp.concatenate([low, low, cue[0]]), jnp.concatenate([high, high, cue[1]])


# name -> (env, params) -> bounds of every observation
OBSERVATION_BOUNDS: dict[str, Callable[[Any, Any], Bounds]] = {
    "two_step": lambda env, params: (0.0, 1.0),  # one-hot S1/S2/S3
    "bandit": lambda env, params: (0.0, 0.0),  # zeros (1,)
    "harlow": _harlow_observation,  # features of the objects on screen, or a blank screen
    "harlow_fixation": _harlow_observation,  # ... + the fixation cue unit
    "harlow_pixels": lambda env, params: (0.0, 1.0),  # RGB screen
}


def _harlow_state(env: Any, params: Any) -> dict[str, Bounds]:
    largest_pool = max(params.num_train_objects, params.num_test_objects)
    return {
        "trial": (0, params.trials_per_episode),  # trials_per_episode after the last step
        "phase": (0, 2),
        "objects": (0, largest_pool - 1),
        "features": _harlow_features(params),
        "correct_sides": (0, 1),
    }


def _harlow_pixels_state(env: Any, params: Any) -> dict[str, Bounds]:
    steps, trials = env.num_steps(params), params.trials_per_episode
    return {
        "step": (0, steps),
        "trial": (0, trials),
        "trial_steps": (0, steps),  # < trial_timeout in a trial; counts on after the last trial
        "phase": (0, 2),
        "gaze": (0, params.gaze_positions - 1),
        "completed": (0, trials),
        "objects": (0, max(params.num_train_objects, params.num_test_objects) - 1),
        "images": (0.0, 1.0),
        "correct_sides": (0, 1),
    }


# name -> (env, params) -> {state field: bounds of its values}
STATE_BOUNDS: dict[str, Callable[[Any, Any], dict[str, Bounds]]] = {
    "two_step": lambda env, params: {
        "trial": (0, params.trials_per_episode),
        "stage": (0, 1),
        "good_state": (1, 2),
        "first_stage_action": (0, env.num_actions - 1),
        "second_stage_state": (1, 2),
        "common_transition": (0, 1),
    },
    "bandit": lambda env, params: {"arm_probs": (0.0, 1.0), "trial": (0, params.trials_per_episode)},
    "harlow": _harlow_state,
    "harlow_fixation": _harlow_state,
    "harlow_pixels": _harlow_pixels_state,
}


def _field_space(low: Any, high: Any, shape: tuple[int, ...], dtype: Any) -> Any:
    """gymnax's space for one state field: Discrete for scalar counters and flags, else a box
    (array bounds broadcast to the field's shape, as gymnasium's Box wants)."""
    if jnp.ndim(low) or jnp.ndim(high):
        low, high = jnp.broadcast_to(low, shape), jnp.broadcast_to(high, shape)
    if jnp.issubdtype(dtype, jnp.floating):
        return _gx_spaces.Box(low, high, shape, dtype)
    if dtype == jnp.bool_:
        return _gx_spaces.Discrete(2)
    if shape == () and isinstance(low, int) and low == 0 and isinstance(high, int):
        return _gx_spaces.Discrete(high + 1)
    return IntBox(low, high, shape, dtype)


# --------------------------------------------------------------------------- env


class GymnaxEnv(_gx_env.Environment):
    """A metarl_jax env as a gymnax ``Environment`` (gymnax's auto-reset semantics).

    ``GymnaxEnv(env, params)`` wraps ``env`` (a registered task's env); ``params``
    (default ``env.default_params``) are validated and become ``default_params`` (as
    :func:`gymnax_params`), used when gymnax's ``reset`` / ``step`` get ``params=None``."""

    def __init__(self, env: Any, params: Any = None):
        super().__init__()
        params = env.default_params if params is None else params
        self.env = env.for_params(params)
        self.env.validate(params)
        self._params = gymnax_params(self.env, params)

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
        """A Box holding every observation (finite for every registered task; module docstring)."""
        params = self._params if params is None else params
        if hasattr(self.env, "observation_bounds"):  # newer tasks declare their own
            low, high = self.env.observation_bounds(params)
        elif self.env.name in OBSERVATION_BOUNDS:
            low, high = OBSERVATION_BOUNDS[self.env.name](self.env, params)
        else:
            low, high = -jnp.inf, jnp.inf
        return _gx_spaces.Box(low, high, tuple(self.env.observation_shape(params)), jnp.float32)

    def state_space(self, params: Any = None) -> Any:
        """A ``Dict`` of the state's fields, each space holding every value the field takes."""
        params = self._params if params is None else params
        if hasattr(self.env, "state_bounds"):  # newer tasks declare their own
            bounds = self.env.state_bounds(params)
        elif self.env.name in STATE_BOUNDS:
            bounds = STATE_BOUNDS[self.env.name](self.env, params)
        else:
            raise NotImplementedError(f"no state bounds known for {self.env.name!r} (give the env state_bounds())")
        state = jax.eval_shape(lambda key: self.env.reset(key, params)[1], jax.random.key(0))
        fields = [f.name for f in dataclasses.fields(state)]
        if set(fields) != set(bounds):
            raise NotImplementedError(f"state fields {fields} of {self.env.name!r} differ from STATE_BOUNDS'")
        return _gx_spaces.Dict(
            {f: _field_space(*bounds[f], getattr(state, f).shape, getattr(state, f).dtype) for f in fields}
        )

    # ------------------------------------------------------------------ actions

    def validate_action(self, action: Any) -> None:
        """Raise ConfigError unless every entry of a concrete ``action`` is in [0, num_actions)."""
        _validate_action(self.env, action)


def make(name: str, **overrides: Any) -> tuple[GymnaxEnv, Any]:
    """``metarl_jax.registry.make`` behind gymnax's API -> (GymnaxEnv, params with ``max_steps_in_episode``)."""
    env = GymnaxEnv(*make_env(name, **overrides))
    return env, env.default_params


def checked_step(env: GymnaxEnv) -> Callable[..., Any]:
    """gymnax's ``env.step`` (auto-reset) under ``checkify``: ``(key, state, action, params) ->
    (error, step outputs)``; ``error.throw()`` raises on an action outside [0, num_actions).
    Works under jit and vmap."""
    return _checked_step(env)


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
