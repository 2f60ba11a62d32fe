"""Reference agents for the Harlow task on a rendered screen (:mod:`metarl_jax.tasks.harlow.pixels`).

- random: uniform over left / right / stay; the floor (mostly timeouts).
- ideal observer: reads the screen (gaze marker, cross, objects at their known
  pixels), moves the gaze to the cross on the cue screen, then to an object:
  a coin flip on trial 1 (one coin per episode, so a multi-step saccade keeps
  its direction), then always the rewarded object, recognised by comparing
  each object slot with the image of the object it knows is rewarded. It
  learns which one that is from ``info`` after each choice (the ids on screen,
  as the symbolic ideal observer does). It completes every trial in
  gaze_positions − 1 steps; its expected return is
  :func:`metarl_jax.tasks.harlow.pixels.ideal_observer_return`.
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp

from metarl_jax.agents.policy import Policy
from metarl_jax.tasks.harlow.baselines import rewarded_object
from metarl_jax.tasks.harlow.objects import object_images
from metarl_jax.tasks.harlow.pixels import LEFT, RIGHT, STAY, HarlowPixelsParams, layout


class Screen(NamedTuple):
    gaze: jax.Array  # int32, gaze position read from the marker
    cue: jax.Array  # bool, the fixation cross is on screen
    objects: jax.Array  # bool, the objects are on screen
    left: jax.Array  # (o, o, 3), the left object slot
    right: jax.Array  # (o, o, 3), the right object slot


def read_screen(obs: jax.Array, params: HarlowPixelsParams) -> Screen:
    """What the screen shows, from its pixels: obs (S, S, 3) -> Screen. The gaze is the
    position whose marker pixels are all white (objects and cross never are)."""
    lay = layout(params.screen_size, params.gaze_positions)
    row = jnp.all(obs[lay.marker_rows[0]] == 1.0, axis=-1)  # (S,)
    gaze = jnp.argmax(row[jnp.asarray(lay.gaze_columns)]).astype(jnp.int32)
    mid = lay.cross[2]
    cue = (obs[mid, mid, 0] == 1.0) & (obs[mid, mid, 1] == 0.0)
    o, top = lay.object_size, lay.object_top
    (xl, xr) = lay.object_left
    left, right = obs[top : top + o, xl : xl + o], obs[top : top + o, xr : xr + o]
    return Screen(gaze, cue, jnp.any(left > 0), left, right)


def random_policy(params: HarlowPixelsParams) -> Policy:
    """Uniformly random actions."""

    def act(key: jax.Array, s: jax.Array, obs: jax.Array) -> jax.Array:
        return jax.random.randint(key, (), 0, 3, dtype=jnp.int32)

    return Policy("random", init=lambda key: jnp.zeros((), jnp.int32), act=act, observe=lambda s, a, r, i: s)


class ObserverState(NamedTuple):
    coin: jax.Array  # int32, the side tried on trial 1
    known: jax.Array  # bool, the rewarded object has been identified
    image: jax.Array  # float32 (o, o, 3), what the rewarded object looks like


def ideal_observer(params: HarlowPixelsParams) -> Policy:
    """To the cross, then the object known to be rewarded (a coin flip before any choice)."""
    lay = layout(params.screen_size, params.gaze_positions)
    o, centre = lay.object_size, params.gaze_positions // 2

    def init(key: jax.Array) -> ObserverState:
        coin = jax.random.bernoulli(jax.random.fold_in(key, 1)).astype(jnp.int32)
        return ObserverState(coin, jnp.zeros((), bool), jnp.zeros((o, o, 3), jnp.float32))

    def act(key: jax.Array, s: ObserverState, obs: jax.Array) -> jax.Array:
        screen = read_screen(obs, params)
        to_centre = jnp.where(screen.gaze < centre, RIGHT, jnp.where(screen.gaze > centre, LEFT, STAY))
        left_is_it = jnp.sum(jnp.square(screen.left - s.image)) <= jnp.sum(jnp.square(screen.right - s.image))
        side = jnp.where(s.known, jnp.where(left_is_it, LEFT, RIGHT), s.coin)
        action = jnp.where(screen.cue, to_centre, jnp.where(screen.objects, side, STAY))
        return action.astype(jnp.int32)

    def observe(s: ObserverState, action: jax.Array, reward: jax.Array, info: dict[str, jax.Array]) -> ObserverState:
        chose, rewarded = rewarded_object(info)
        image = object_images(params, jnp.maximum(rewarded, 0))
        return ObserverState(s.coin, s.known | chose, jnp.where(chose, image, s.image))

    return Policy("ideal_observer", init=init, act=act, observe=observe)


def reference_agents(params: HarlowPixelsParams) -> dict[str, Policy]:
    """The reference agents evaluated next to the network, by name (``params``: the
    evaluation params, whose pool the ideal observer recognises objects from)."""
    return {"random": random_policy(params), "ideal_observer": ideal_observer(params)}
