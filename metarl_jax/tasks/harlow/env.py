"""Harlow (1949) learning-set task, symbolic version of Wang et al. (2018), Fig. 6.

An episode is one *problem*: two distinct objects drawn from a pool, one of
them rewarded for the whole episode, shown side by side for
``trials_per_episode`` trials (default 6). Each trial the agent picks a side;
the object there pays ``correct_reward`` if it is the rewarded one, else
``incorrect_reward``. Trial 1 is a coin flip for anyone; from trial 2 on, an
agent that has learnt to learn picks the object that was rewarded (or avoids
the one that was not) wherever it now stands.

Objects. Two fixed pools, ``num_train_objects`` and ``num_test_objects``
(1000 each, as the 3D lab's image sets). Object ``i`` of a pool is the
feature vector ``normal(fold_in(fold_in(key(object_key), pool), i), (feature_dim,))``
with pool 0 = train and 1 = test: a fixed random vector per object, the same
for every run and checkpoint (``object_key`` is a param with a fixed default,
not the run seed), so held-out objects are representable and the two pools
are disjoint. ``test_objects`` (a traced leaf) selects the pool episodes
draw from: evaluation switches to held-out objects with
``params.replace(test_objects=True)``, same shapes. ``encoding="one_hot"``
replaces features by one-hot identities over the training pool; ``validate``
rejects it with ``test_objects`` (an unseen object's unit has untrained weights).

Placement (static): ``"random"`` (default; each trial the rewarded object's
side is an independent coin flip, as in Harlow's procedure and the TF1
reimplementation) or ``"balanced"`` (each side exactly half of the trials,
shuffled, as in the 3D lab; needs an even ``trials_per_episode``).

Observation: concat(left object, right object), shape (2·d,) (+1 cue unit with fixation), d =
``feature_dim`` (or ``num_train_objects`` for one-hot). After the last step
the screen is blank (zeros).

Actions: without fixation 2 actions, 0 = left and 1 = right; one step per
trial. With ``fixation`` (static) 3 actions, 0 = left, 1 = right,
2 = fixate, and two steps per trial, as in the 3D lab:
- step 1 shows a fixation cue (the observation gains one last unit, 1 for
  the cue, 0 otherwise; object slots are 0). ``fixate`` pays
  ``fixation_reward`` and the objects appear; any other action pays 0 and the
  trial is lost: its second step shows a blank screen.
- step 2 (objects shown): left/right is a choice, paid as above; ``fixate``
  is no choice (``chosen_side`` −1) and pays ``incorrect_reward``, so
  withholding a choice never beats a guess. On a blank screen every action
  pays 0 and is no choice.
Without fixation an out-of-range action is likewise no choice and pays
``incorrect_reward``.

``info`` (one agent step): ``trial_index``, ``correct_side`` (0/1, side of
the rewarded object on this trial), ``chosen_side`` (0/1, −1 if no choice
this step), ``correct`` (bool), ``trial_end`` (bool), and
``left_object`` / ``right_object`` (ids within the pool of the objects on
screen at this step, −1 if none), which let reference agents remember objects.

Defaults: 6 trials, 1000 + 1000 objects and balanced placement as an option
come from the 3D lab task of Wang et al. (2018, Methods); ±1 rewards (±5 and
fixation +1 reproduce the lab's scale), random placement and 0 fixation
reward from the TF1 reimplementation's symbolic version; ``feature_dim`` 32
and ``object_key`` 1949 (Harlow's year) are ours.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from flax import struct

from metarl_jax.core.errors import (
    ConfigError,
    check_choice,
    check_positive_int,
)
from metarl_jax.envs.base import EnvironmentBase
from metarl_jax.tasks.harlow.problems import (
    LEFT,
    PLACEMENTS,
    RIGHT,
    draw_problem,
    trial_info,
    validate_problem,
)

ENCODINGS = ("features", "one_hot")
FIXATE = 2  # the third action (with fixation); LEFT, RIGHT = 0, 1 as in every Harlow env
TRAIN_POOL, TEST_POOL = 0, 1  # fold_in(key(object_key), pool)
PHASE_CUE, PHASE_OBJECTS, PHASE_BLANK = 0, 1, 2  # what the screen shows before this step


@struct.dataclass
class HarlowParams:
    correct_reward: float = 1.0  # choosing the rewarded object (3D lab: +5)
    incorrect_reward: float = -1.0  # choosing the other one (3D lab: -5)
    fixation_reward: float = 0.0  # the fixate action on a fixation cue (3D lab: +1; TF1: 0)
    object_key: int = 1949  # PRNG seed of both object pools; fixed, never the run seed
    test_objects: bool = False  # draw episodes from the held-out pool (evaluation)
    trials_per_episode: int = struct.field(pytree_node=False, default=6)
    num_train_objects: int = struct.field(pytree_node=False, default=1000)
    num_test_objects: int = struct.field(pytree_node=False, default=1000)
    feature_dim: int = struct.field(pytree_node=False, default=32)  # per-object features
    placement: str = struct.field(pytree_node=False, default="random")  # or "balanced"
    encoding: str = struct.field(pytree_node=False, default="features")  # or "one_hot" (no test objects)
    fixation: bool = struct.field(pytree_node=False, default=False)  # fixation step before each choice

    # --help of the experiment scripts (metarl_jax.training.cli): one line per field, fixed choices.
    FLAG_HELP = {
        "correct_reward": "reward for choosing the rewarded object (3D lab: +5)",
        "incorrect_reward": "reward for choosing the other object (3D lab: -5)",
        "fixation_reward": "reward for fixating the fixation cue (3D lab: +1; TF1: 0)",
        "object_key": "PRNG seed of both object pools; fixed, never the run seed",
        "test_objects": "draw episodes from the held-out pool (evaluation only)",
        "trials_per_episode": "trials per episode (one problem: the same two objects)",
        "num_train_objects": "objects in the training pool",
        "num_test_objects": "objects in the held-out pool",
        "feature_dim": "feature units per object (encoding features)",
        "placement": "side of the rewarded object: random = a coin flip per trial; balanced = each side half "
        "of the trials (even trials_per_episode)",
        "encoding": "objects as random feature vectors, or one-hot over the training pool (no held-out objects)",
        "fixation": "a fixation step (a third action, fixate) before each choice, as in the 3D lab",
    }
    FLAG_CHOICES = {"placement": PLACEMENTS, "encoding": ENCODINGS}


@struct.dataclass
class HarlowState:
    trial: jax.Array  # int32, index of the current trial
    phase: jax.Array  # int32, screen before this step: PHASE_CUE, PHASE_OBJECTS or PHASE_BLANK
    objects: jax.Array  # int32 (2,), pool ids of [rewarded, other] object
    features: jax.Array  # float32 (2, d), observation slots of [rewarded, other] object
    correct_sides: jax.Array  # int32 (trials,), side of the rewarded object per trial (0 left, 1 right)


def object_dim(params: HarlowParams) -> int:
    """Observation units per object: feature_dim, or num_train_objects for one-hot."""
    return params.num_train_objects if params.encoding == "one_hot" else params.feature_dim


def object_features(params: HarlowParams, ids: jax.Array, test: jax.Array | bool | None = None) -> jax.Array:
    """What an object looks like. ids (...) int32 within the pool -> (..., object_dim) float32.

    ``test`` picks the pool (default ``params.test_objects``); features are
    ``normal(fold_in(fold_in(key(object_key), pool), id))``, one-hot rows for one-hot."""
    ids = jnp.asarray(ids, jnp.int32)
    if params.encoding == "one_hot":
        return jax.nn.one_hot(ids, params.num_train_objects, dtype=jnp.float32)
    keys = object_keys(params.object_key, params.test_objects if test is None else test, ids)
    flat = jax.vmap(lambda k: jax.random.normal(k, (params.feature_dim,), jnp.float32))(keys.reshape(-1))
    return flat.reshape(*ids.shape, params.feature_dim)


def object_keys(object_key: jax.Array | int, test: jax.Array | bool, ids: jax.Array) -> jax.Array:
    """The key of each object: ``fold_in(fold_in(key(object_key), pool), id)``, pool 0 = train,
    1 = test. ids (...) int32 -> typed keys (...). Every object of a task is drawn from its key
    (symbolic features here, images in :mod:`metarl_jax.tasks.harlow.pixels`), so the two pools
    are disjoint and an object looks the same in every run."""
    pool = jnp.where(jnp.asarray(test, bool), TEST_POOL, TRAIN_POOL).astype(jnp.int32)
    branch = jax.random.fold_in(jax.random.key(object_key), pool)
    ids = jnp.asarray(ids, jnp.int32)
    return jax.vmap(lambda i: jax.random.fold_in(branch, i))(ids.reshape(-1)).reshape(ids.shape)


def pool_features(params: HarlowParams, test: bool) -> jax.Array:
    """Every object of one pool: (num_objects, object_dim) float32 (for tests and analyses)."""
    n = params.num_test_objects if test else params.num_train_objects
    return object_features(params, jnp.arange(n, dtype=jnp.int32), test)


def ideal_observer_return(params: HarlowParams) -> float:
    """Expected episode return of an ideal observer: a coin flip on trial 1, then always right.
    ½(correct + incorrect) + (trials − 1)·correct (+ trials·fixation_reward with fixation)."""
    c, i = float(params.correct_reward), float(params.incorrect_reward)
    t = params.trials_per_episode
    fix = t * float(params.fixation_reward) if params.fixation else 0.0
    return 0.5 * (c + i) + (t - 1) * c + fix


class Harlow(EnvironmentBase):
    """Symbolic Harlow task; gymnax-style pure ``reset`` / ``step``.

    ``num_actions`` is a class-level contract of every env (the agent is built
    from it), so the action set is fixed per instance: ``Harlow()`` has 2
    actions (left, right), ``Harlow(fixation=True)`` 3 (left, right, fixate)
    and registers as ``"harlow_fixation"``; ``validate`` rejects params whose
    ``fixation`` does not match the instance."""

    PAPER = (
        "Harlow (1949) Psychol. Rev. 56:51; Wang et al. (2018) Nat. Neurosci. 21:860, Fig. 6 "
        "(symbolic version; defaults from its Methods' 3D lab task and the TF1 reimplementation)"
    )

    def __init__(self, fixation: bool = False):
        self.fixation = bool(fixation)
        self.name = "harlow_fixation" if self.fixation else "harlow"
        self.num_actions = 3 if self.fixation else 2

    def for_params(self, params: HarlowParams) -> Harlow:
        """An env whose action set matches ``params.fixation`` (self if it already does)."""
        return self if bool(params.fixation) == self.fixation else Harlow(bool(params.fixation))

    @property
    def default_params(self) -> HarlowParams:
        return HarlowParams(fixation=self.fixation)

    def observation_shape(self, params: HarlowParams) -> tuple[int, ...]:
        return (2 * object_dim(params) + int(params.fixation),)

    def num_steps(self, params: HarlowParams) -> int:
        return params.trials_per_episode * self.steps_per_trial(params)

    def steps_per_trial(self, params: HarlowParams) -> int:
        return 2 if params.fixation else 1

    def validate(self, params: HarlowParams) -> None:
        """Raise ConfigError naming the first bad field, its value and what is allowed."""
        validate_problem(params)
        check_positive_int("feature_dim", params.feature_dim)
        check_choice("encoding", params.encoding, ENCODINGS)
        if params.encoding == "one_hot" and np.asarray(params.test_objects).any():
            raise ConfigError(
                "encoding",
                params.encoding,
                "'one_hot' cannot show test objects (test_objects=True): an unseen object's unit has "
                "untrained weights; use encoding='features'",
            )
        if not isinstance(params.fixation, (bool, np.bool_)):
            raise ConfigError("fixation", params.fixation, "must be True or False")
        if bool(params.fixation) != self.fixation:
            allowed = "harlow_fixation" if params.fixation else "harlow"
            raise ConfigError(
                "fixation",
                params.fixation,
                f"must match the env's action set ({self.num_actions} actions): use make({allowed!r})",
            )

    # ----------------------------------------------------------------------- dynamics

    def _display(self, params: HarlowParams, features: jax.Array, side: jax.Array) -> jax.Array:
        """Objects on screen: rewarded object on ``side`` -> (2·d [+1],) float32."""
        left = jnp.where(side == LEFT, features[0], features[1])
        right = jnp.where(side == LEFT, features[1], features[0])
        parts = [left, right] + ([jnp.zeros((1,), jnp.float32)] if params.fixation else [])
        return jnp.concatenate(parts).astype(jnp.float32)

    def _cue(self, params: HarlowParams) -> jax.Array:
        """Fixation cue: object slots 0, last unit 1."""
        return jnp.zeros(self.observation_shape(params), jnp.float32).at[-1].set(1.0)

    def reset(self, key: jax.Array, params: HarlowParams) -> tuple[jax.Array, HarlowState]:
        """Draw a problem: two distinct objects of the selected pool (the first rewarded) and
        the rewarded object's side on every trial. -> obs (2·d [+1],), state."""
        objects, sides = draw_problem(key, params)
        features = object_features(params, objects)
        phase = PHASE_CUE if params.fixation else PHASE_OBJECTS
        state = HarlowState(
            trial=jnp.zeros((), jnp.int32),
            phase=jnp.full((), phase, jnp.int32),
            objects=objects,
            features=features,
            correct_sides=sides,
        )
        obs = self._cue(params) if params.fixation else self._display(params, features, sides[0])
        return obs, state

    def step(
        self, key: jax.Array, state: HarlowState, action: jax.Array, params: HarlowParams
    ) -> tuple[jax.Array, HarlowState, jax.Array, jax.Array, jax.Array, dict[str, jax.Array]]:
        """Advance one agent step (the dynamics are deterministic; ``key`` is unused).
        Shapes: action () int32 -> obs (2·d [+1],) float32, reward () float32."""
        del key
        action = jnp.asarray(action, jnp.int32)
        trials = params.trials_per_episode
        t = state.trial
        side = state.correct_sides[t]
        objects_shown = state.phase == PHASE_OBJECTS
        made_choice = objects_shown & ((action == LEFT) | (action == RIGHT))
        correct = made_choice & (action == side)
        # On the objects screen anything but the rewarded object pays incorrect_reward (so
        # withholding a choice is never better than a guess); a blank screen pays 0.
        reward = jnp.where(objects_shown, jnp.where(correct, params.correct_reward, params.incorrect_reward), 0.0)
        next_t = jnp.minimum(t + 1, trials - 1)

        if params.fixation:
            at_cue = state.phase == PHASE_CUE
            fixated = at_cue & (action == FIXATE)
            reward = jnp.where(at_cue, jnp.where(fixated, params.fixation_reward, 0.0), reward)
            trial_end = ~at_cue
            phase = jnp.where(at_cue, jnp.where(fixated, PHASE_OBJECTS, PHASE_BLANK), PHASE_CUE)
            obs = jnp.where(
                at_cue,
                jnp.where(fixated, self._display(params, state.features, side), 0.0),
                self._cue(params),
            )
        else:
            trial_end = jnp.ones((), bool)
            phase = state.phase
            obs = self._display(params, state.features, state.correct_sides[next_t])
        terminated = trial_end & (t == trials - 1)
        obs = jnp.where(terminated, 0.0, obs).astype(jnp.float32)

        new_state = state.replace(
            trial=(t + trial_end.astype(jnp.int32)).astype(jnp.int32),
            phase=jnp.asarray(phase, jnp.int32),
        )
        info = trial_info(t, side, made_choice, action, correct, trial_end, objects_shown, state.objects)
        return obs, new_state, reward.astype(jnp.float32), terminated, jnp.zeros((), bool), info
