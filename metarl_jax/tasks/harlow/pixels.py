"""Harlow's learning-set task on a rendered screen: fixate a cross, then look at one of two images.

After Harlow (1949) and the 3D lab version of Wang et al. (2018), Fig. 6.

The problem is the symbolic task's (:mod:`metarl_jax.tasks.harlow.env`): two distinct
objects of a pool, one rewarded for the whole episode, the rewarded one's side
drawn per trial by ``placement``; the same pools and object keys (``object_key``,
static here) and the same ``test_objects`` leaf (evaluation switches to
held-out objects with ``params.replace(test_objects=True)``, same shapes, same
compilation).

Screen (``screen_size`` S, default 32; observation (S, S, 3) float32 in [0, 1]):
black; a red fixation cross (a plus sign of side round(0.1·S)) in the centre;
two object images of side round(0.4·S) centred at x = 0.25·S and 0.75·S
(vertical centre 0.5·S), as in the lab; and the gaze, a white marker of
round(0.1·S) × round(0.06·S) pixels drawn *below* the point it looks at (at
y = 0.85·S, so it never hides an object or the cross).

Gaze and actions (3): 0 = left, 1 = right, 2 = stay. The gaze lives on
``gaze_positions`` G (odd, default 3) evenly spaced points from the left
object's centre (position 0, x = 0.25·S) through the cross (G // 2, x = 0.5·S)
to the right object's centre (G − 1, x = 0.75·S); left/right move it one
position (clipped at the ends).

Trials (phases; the screen shows the phase after each step):
- *cue*: only the cross (and the gaze). A step that leaves the gaze on the
  centre fixates: it pays ``fixation_reward`` and the objects appear (the
  cross goes). Each trial starts here with the gaze where the last trial left
  it (on the chosen object); the first trial starts with the gaze on a random
  position off the centre.
- *objects*: both images (and the gaze). A step that brings the gaze onto an
  object's position chooses it: ``correct_reward`` or ``incorrect_reward``,
  the trial ends.
- a trial that has lasted ``trial_timeout`` steps without a choice ends on its
  last step as a *timeout*: no choice (``chosen_side`` −1), pays
  ``incorrect_reward`` (on top of a fixation reward earned on that same step),
  so stalling never beats a guess.
- the episode has a fixed budget of ``trials_per_episode · steps_per_trial``
  steps (DESIGN: fixed-length episodes). Its last step ends the trial in
  progress as a timeout; trials never started pay nothing and count as
  incorrect in the analysis. After the last trial the screen is blank, every
  action pays 0 and ``trial_index`` is ``trials_per_episode``.
With G = 3 a trial needs 2 steps (to the cross, on to an object); the default
budget of 3 steps per trial leaves an episode 6 spare steps.

``info`` (one agent step; the symbolic task's keys plus four):
``trial_index`` (the trial this step belongs to), ``correct_side`` (0/1, the
rewarded object's side on that trial), ``chosen_side`` (0/1, −1 if no choice
this step), ``correct`` (bool), ``trial_end`` (bool: choice or timeout),
``left_object`` / ``right_object`` (pool ids of the objects on screen before
this step, −1 if none), ``gaze`` (position after the step), ``fixated``
(bool: this step fixated the cross), ``timeout`` (bool: this step ended its
trial without a choice) and ``trials_completed`` (trials ended by a choice so
far, this step included: the last step's value is the episode's count).

Objects (:mod:`metarl_jax.tasks.harlow.objects`): procedural images drawn from the
symbolic task's object keys (``image_dir=""``, default) or a folder of PNGs
(``image_dir=PATH``); both pools are rendered once per process (``object_key`` is
therefore static here); ``reset`` gathers the problem's two images into the state and
``step`` only pastes them.

Defaults: screen layout, rewards ±5 and fixation +1, 6 trials and 1000 + 1000
objects from the 3D lab task (Wang et al. 2018, Methods; REFERENCES.md);
S = 32, G = 3, 3 steps per trial, a 4-step timeout and random placement (as
the symbolic default) are ours, chosen to keep episodes short (18 steps).
"""

from __future__ import annotations

import functools
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from flax import struct

from metarl_jax.core.errors import ConfigError
from metarl_jax.envs.base import EnvironmentBase
from metarl_jax.tasks.harlow.env import HarlowParams
from metarl_jax.tasks.harlow.objects import load_image_folder, object_images, object_size
from metarl_jax.tasks.harlow.problems import PLACEMENTS, draw_problem, is_int, trial_info, validate_problem

LEFT, RIGHT, STAY = 0, 1, 2  # actions
PHASE_CUE, PHASE_OBJECTS, PHASE_DONE = 0, 1, 2  # what the screen shows before a step
RED = (1.0, 0.0, 0.0)  # the fixation cross
MIN_SCREEN, MAX_SCREEN = 12, 256


@struct.dataclass
class HarlowPixelsParams:
    correct_reward: float = 5.0  # choosing the rewarded object (3D lab)
    incorrect_reward: float = -5.0  # the other object, or a timeout (3D lab)
    fixation_reward: float = 1.0  # bringing the gaze to the cross (3D lab)
    object_key: int = struct.field(pytree_node=False, default=1949)  # seed of both pools; never the run seed
    test_objects: bool = False  # draw episodes from the held-out pool (evaluation)
    trials_per_episode: int = struct.field(pytree_node=False, default=6)
    num_train_objects: int = struct.field(pytree_node=False, default=1000)
    num_test_objects: int = struct.field(pytree_node=False, default=1000)
    placement: str = struct.field(pytree_node=False, default="random")  # or "balanced"
    screen_size: int = struct.field(pytree_node=False, default=32)  # S: observation (S, S, 3)
    gaze_positions: int = struct.field(pytree_node=False, default=3)  # G, odd: left object .. cross .. right object
    steps_per_trial: int = struct.field(pytree_node=False, default=3)  # step budget: episode = trials x this
    trial_timeout: int = struct.field(pytree_node=False, default=4)  # steps before a trial ends without a choice
    image_dir: str = struct.field(pytree_node=False, default="")  # folder of PNGs; "" = procedural objects

    # --help of the experiment scripts (metarl_jax.training.cli): one line per field, fixed choices.
    FLAG_HELP = {
        "correct_reward": "reward for choosing the rewarded object (3D lab: +5)",
        "incorrect_reward": "reward for choosing the other object, or a timeout (3D lab: -5)",
        "fixation_reward": "reward for bringing the gaze to the cross (3D lab: +1)",
        "screen_size": "screen side S in pixels: observations are (S, S, 3)",
        "gaze_positions": "gaze positions G, odd: left object .. cross .. right object",
        "steps_per_trial": "step budget per trial: an episode is trials_per_episode x this steps",
        "trial_timeout": "steps before a trial ends without a choice",
        "image_dir": 'folder of PNG object images; "" = procedural objects',
        **{name: HarlowParams.FLAG_HELP[name] for name in ("object_key", "test_objects", "trials_per_episode")},
        **{name: HarlowParams.FLAG_HELP[name] for name in ("num_train_objects", "num_test_objects", "placement")},
    }
    FLAG_CHOICES = {"placement": PLACEMENTS}


@struct.dataclass
class HarlowPixelsState:
    step: jax.Array  # int32, agent steps taken
    trial: jax.Array  # int32, current trial (trials_per_episode once all are over)
    trial_steps: jax.Array  # int32, steps the current trial has lasted
    phase: jax.Array  # int32, screen before this step: PHASE_CUE, PHASE_OBJECTS or PHASE_DONE
    gaze: jax.Array  # int32, gaze position in [0, G)
    completed: jax.Array  # int32, trials ended by a choice
    objects: jax.Array  # int32 (2,), pool ids of [rewarded, other] object
    images: jax.Array  # float32 (2, o, o, 3), images of [rewarded, other] object
    correct_sides: jax.Array  # int32 (trials,), side of the rewarded object per trial (0 left, 1 right)


class Layout(NamedTuple):
    """Pixel geometry of one (screen_size, gaze_positions): rows and columns are half-open."""

    size: int  # S
    object_size: int  # o
    object_top: int  # first row of both objects
    object_left: tuple[int, int]  # first column of the left and the right object
    cross: tuple[int, int, int]  # first row/column of the cross's box, its side, and its middle line
    gaze_columns: tuple[int, ...]  # the column each gaze position points at
    marker_rows: tuple[int, int]  # [first, last + 1) rows of the gaze marker
    marker_width: int


def _start(centre: float, extent: int) -> int:
    """First pixel of a run of ``extent`` pixels centred at ``centre`` (pixel units)."""
    return int(np.floor(centre - extent / 2 + 0.5))


@functools.cache
def layout(screen_size: int, gaze_positions: int) -> Layout:
    """Where everything goes on an S x S screen (see the module docstring)."""
    s = screen_size
    o = object_size(s)
    k = max(1, round(0.1 * s))
    top = _start(0.5 * s, o)
    a = _start(0.5 * s, k)
    cols = tuple(int(np.floor(s * (0.25 + 0.5 * p / (gaze_positions - 1)))) for p in range(gaze_positions))
    mh = max(1, round(0.06 * s))
    my = min(_start(0.85 * s, mh), s - mh)
    return Layout(s, o, top, (_start(0.25 * s, o), _start(0.75 * s, o)), (a, k, a + k // 2), cols, (my, my + mh), k)


def _centre(params: HarlowPixelsParams) -> int:
    return params.gaze_positions // 2


def ideal_observer_return(params: HarlowPixelsParams) -> float:
    """Expected episode return of an ideal observer: every trial fixated and chosen in time,
    a coin flip on trial 1, then always right:
    trials·fixation_reward + ½(correct + incorrect) + (trials − 1)·correct."""
    c, i, f = float(params.correct_reward), float(params.incorrect_reward), float(params.fixation_reward)
    t = params.trials_per_episode
    return t * f + 0.5 * (c + i) + (t - 1) * c


# --------------------------------------------------------------------------- screen


def render(
    params: HarlowPixelsParams, phase: jax.Array, gaze: jax.Array, left: jax.Array, right: jax.Array
) -> jax.Array:
    """The screen for one phase and gaze, objects ``left`` / ``right`` (o, o, 3) -> (S, S, 3) float32.
    Cue: cross + gaze; objects: both images + gaze; done: blank."""
    lay = layout(params.screen_size, params.gaze_positions)
    s, o = lay.size, lay.object_size
    (xl, xr), y = lay.object_left, lay.object_top

    def place(img: jax.Array, x: int) -> jax.Array:
        return jnp.pad(img, ((y, s - y - o), (x, s - x - o), (0, 0)))

    screen = jnp.where(phase == PHASE_OBJECTS, place(left, xl) + place(right, xr), 0.0)
    a, k, mid = lay.cross
    i = np.arange(s)
    band = (i >= a) & (i < a + k)
    cross = (band[:, None] & (i == mid)[None, :]) | ((i == mid)[:, None] & band[None, :])  # numpy (S, S)
    screen = jnp.where((phase == PHASE_CUE) & cross[..., None], jnp.asarray(RED, jnp.float32), screen)
    col = jnp.asarray(lay.gaze_columns, jnp.int32)[gaze]
    first = col - lay.marker_width // 2
    cols = jnp.arange(s, dtype=jnp.int32)
    in_cols = (cols >= first) & (cols < first + lay.marker_width)
    in_rows = (i >= lay.marker_rows[0]) & (i < lay.marker_rows[1])
    marker = in_rows[:, None] & in_cols[None, :] & (phase != PHASE_DONE)
    return jnp.where(marker[..., None], 1.0, screen).astype(jnp.float32)


class HarlowPixels(EnvironmentBase):
    """Harlow task on a rendered screen with a fixation cross and a movable gaze;
    gymnax-style pure ``reset`` / ``step``."""

    name = "harlow_pixels"
    num_actions = 3  # left, right, stay
    PAPER = (
        "Harlow (1949) Psychol. Rev. 56:51; Wang et al. (2018) Nat. Neurosci. 21:860, Fig. 6 "
        "(the 3D lab version on a rendered screen; layout and rewards from its Methods)"
    )

    @property
    def default_params(self) -> HarlowPixelsParams:
        return HarlowPixelsParams()

    def observation_shape(self, params: HarlowPixelsParams) -> tuple[int, ...]:
        return (params.screen_size, params.screen_size, 3)

    def num_steps(self, params: HarlowPixelsParams) -> int:
        return params.trials_per_episode * params.steps_per_trial

    def steps_per_trial(self, params: HarlowPixelsParams) -> int:
        """The step budget per trial (trials vary in length: see ``info["trial_end"]``)."""
        return params.steps_per_trial

    def validate(self, params: HarlowPixelsParams) -> None:
        """Raise ConfigError naming the first bad field, its value and what is allowed."""
        validate_problem(params)
        s = params.screen_size
        if not is_int(s) or not MIN_SCREEN <= s <= MAX_SCREEN:
            raise ConfigError("screen_size", s, f"must be an integer in [{MIN_SCREEN}, {MAX_SCREEN}]")
        g = params.gaze_positions
        if not is_int(g) or g < 3 or g % 2 == 0:
            raise ConfigError("gaze_positions", g, "must be an odd integer >= 3 (left object, cross, right object)")
        lay = layout(s, 3)
        if 0.5 * s / (g - 1) < lay.marker_width:
            most = int(0.5 * s / lay.marker_width) + 1
            most -= 1 - most % 2  # odd
            raise ConfigError("gaze_positions", g, f"must be <= {most} on a {s}-pixel screen (markers apart)")
        for name in ("steps_per_trial", "trial_timeout"):
            value = getattr(params, name)
            if not is_int(value) or value < g - 1:
                raise ConfigError(
                    name, value, f"must be an integer >= gaze_positions - 1 = {g - 1} (to the cross, then to an object)"
                )
        if not isinstance(params.image_dir, str):
            raise ConfigError("image_dir", params.image_dir, "must be a folder path or '' (procedural objects)")
        if params.image_dir:
            load_image_folder(params.image_dir, lay.object_size, params.num_train_objects + params.num_test_objects)

    # ----------------------------------------------------------------------- dynamics

    def _screen(self, params: HarlowPixelsParams, state: HarlowPixelsState) -> jax.Array:
        side = state.correct_sides[jnp.minimum(state.trial, params.trials_per_episode - 1)]
        left = jnp.where(side == LEFT, state.images[0], state.images[1])
        right = jnp.where(side == LEFT, state.images[1], state.images[0])
        return render(params, state.phase, state.gaze, left, right)

    def reset(self, key: jax.Array, params: HarlowPixelsParams) -> tuple[jax.Array, HarlowPixelsState]:
        """Draw a problem (two objects, their sides) and an off-centre gaze; show the cue.
        -> obs (S, S, 3), state."""
        k_problem, k_gaze = jax.random.split(key)
        objects, sides = draw_problem(k_problem, params)
        g = jax.random.randint(k_gaze, (), 0, params.gaze_positions - 1, dtype=jnp.int32)
        gaze = jnp.where(g >= _centre(params), g + 1, g).astype(jnp.int32)  # uniform off the centre
        zero = jnp.zeros((), jnp.int32)
        state = HarlowPixelsState(
            step=zero,
            trial=zero,
            trial_steps=zero,
            phase=jnp.full((), PHASE_CUE, jnp.int32),
            gaze=gaze,
            completed=zero,
            objects=objects,
            images=object_images(params, objects),
            correct_sides=sides,
        )
        return self._screen(params, state), state

    def step(
        self, key: jax.Array, state: HarlowPixelsState, action: jax.Array, params: HarlowPixelsParams
    ) -> tuple[jax.Array, HarlowPixelsState, jax.Array, jax.Array, jax.Array, dict[str, jax.Array]]:
        """Advance one agent step (deterministic; ``key`` is unused).
        Shapes: action () int32 -> obs (S, S, 3) float32, reward () float32."""
        del key
        action = jnp.asarray(action, jnp.int32)
        trials, last = params.trials_per_episode, params.gaze_positions - 1
        t = jnp.minimum(state.trial, trials - 1)
        side = state.correct_sides[t]
        move = jnp.where(action == LEFT, -1, jnp.where(action == RIGHT, 1, 0))
        gaze = jnp.clip(state.gaze + move, 0, last).astype(jnp.int32)
        in_trial = state.phase != PHASE_DONE
        shown = state.phase == PHASE_OBJECTS
        fixated = (state.phase == PHASE_CUE) & (gaze == _centre(params))
        chose = shown & ((gaze == 0) | (gaze == last))
        chosen = jnp.where(gaze == 0, LEFT, RIGHT)
        correct = chose & (chosen == side)
        last_step = state.step == self.num_steps(params) - 1
        lasted = state.trial_steps + 1
        timeout = in_trial & ~chose & ((lasted >= params.trial_timeout) | last_step)
        trial_end = chose | timeout
        reward = (
            jnp.where(fixated, params.fixation_reward, 0.0)
            + jnp.where(chose, jnp.where(correct, params.correct_reward, params.incorrect_reward), 0.0)
            + jnp.where(timeout, params.incorrect_reward, 0.0)
        )
        trial = state.trial + trial_end.astype(jnp.int32)
        phase = jnp.where(
            trial_end,
            jnp.where(trial >= trials, PHASE_DONE, PHASE_CUE),
            jnp.where(fixated, PHASE_OBJECTS, state.phase),
        )
        completed = state.completed + chose.astype(jnp.int32)
        new_state = state.replace(
            step=state.step + 1,
            trial=trial.astype(jnp.int32),
            trial_steps=jnp.where(trial_end, 0, lasted).astype(jnp.int32),
            phase=phase.astype(jnp.int32),
            gaze=gaze,
            completed=completed.astype(jnp.int32),
        )
        obs = jnp.where(last_step, 0.0, self._screen(params, new_state)).astype(jnp.float32)
        info = {
            **trial_info(state.trial, side, chose, chosen, correct, trial_end, shown, state.objects),
            "gaze": gaze,
            "fixated": fixated,
            "timeout": timeout,
            "trials_completed": completed.astype(jnp.int32),
        }
        return obs, new_state, reward.astype(jnp.float32), last_step, jnp.zeros((), bool), info
