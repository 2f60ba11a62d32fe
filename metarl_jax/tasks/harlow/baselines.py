"""Reference agents for the Harlow task (Harlow 1949; Wang et al. 2018 Fig. 6).

- side-only control: win-stay / lose-shift on *sides*, blind to the objects.
  Trial 1 is a coin flip; then it picks the side it chose last if that was
  correct, else the other side. Under ``placement="random"`` the rewarded
  side is a fresh coin flip each trial, so it stays at 50% on trials 2–6:
  position carries no information. (Under ``"balanced"`` consecutive sides
  agree with probability 2/5, and it gets 40%.)
- ideal observer: a coin flip on trial 1, then always the rewarded object:
  the one it chose if that was correct, else the other one, found again by
  its features wherever it now stands. Its expected return is
  :func:`metarl_jax.tasks.harlow.env.ideal_observer_return`.

Both fixate whenever the fixation cue is on screen (``fixation`` tasks) and
update only on steps where they made a choice (``info["chosen_side"] >= 0``).
The ideal observer reads the ids of the objects on screen from
``info["left_object"]`` / ``info["right_object"]`` to remember what it chose
(``Policy.observe`` does not see the observation) and recognises the object
later by comparing the observation with that object's features.
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp

from metarl_jax.agents.policy import Policy
from metarl_jax.tasks.harlow.env import FIXATE, HarlowParams, object_dim, object_features


def rewarded_object(info: dict[str, jax.Array]) -> tuple[jax.Array, jax.Array]:
    """From one step's info: (a choice was made, pool id of the rewarded object). The chosen
    object if the choice was correct, else the other one on screen (meaningless without a choice)."""
    chosen_side = info["chosen_side"]
    chosen = jnp.where(chosen_side == 0, info["left_object"], info["right_object"])
    other = jnp.where(chosen_side == 0, info["right_object"], info["left_object"])
    return chosen_side >= 0, jnp.where(info["correct"], chosen, other)


def _at_cue(obs: jax.Array, params: HarlowParams) -> jax.Array:
    """True when the fixation cue is on screen (its unit is the observation's last)."""
    return obs[-1] > 0.5 if params.fixation else jnp.zeros((), bool)


class SideState(NamedTuple):
    last_side: jax.Array  # int32, side chosen on the last choice, -1 before any
    last_correct: jax.Array  # bool, that choice was correct


def side_only(params: HarlowParams) -> Policy:
    """Win-stay / lose-shift on sides (a position-only control)."""

    def init(key: jax.Array) -> SideState:
        return SideState(jnp.int32(-1), jnp.zeros((), bool))

    def act(key: jax.Array, s: SideState, obs: jax.Array) -> jax.Array:
        coin = jax.random.bernoulli(key).astype(jnp.int32)
        side = jnp.where(s.last_side < 0, coin, jnp.where(s.last_correct, s.last_side, 1 - s.last_side))
        return jnp.where(_at_cue(obs, params), FIXATE, side).astype(jnp.int32)

    def observe(s: SideState, action: jax.Array, reward: jax.Array, info: dict[str, jax.Array]) -> SideState:
        chose = info["chosen_side"] >= 0
        return SideState(
            jnp.where(chose, info["chosen_side"], s.last_side).astype(jnp.int32),
            jnp.where(chose, info["correct"], s.last_correct),
        )

    return Policy("side_only", init=init, act=act, observe=observe)


class ObserverState(NamedTuple):
    known: jax.Array  # bool, the rewarded object has been identified
    features: jax.Array  # float32 (object_dim,), what the rewarded object looks like


def ideal_observer(params: HarlowParams) -> Policy:
    """Coin flip on trial 1, then always the object known to be rewarded."""
    d = object_dim(params)

    def init(key: jax.Array) -> ObserverState:
        return ObserverState(jnp.zeros((), bool), jnp.zeros((d,), jnp.float32))

    def act(key: jax.Array, s: ObserverState, obs: jax.Array) -> jax.Array:
        coin = jax.random.bernoulli(key).astype(jnp.int32)
        left, right = obs[:d], obs[d : 2 * d]
        left_is_it = jnp.sum(jnp.square(left - s.features)) <= jnp.sum(jnp.square(right - s.features))
        side = jnp.where(s.known, jnp.where(left_is_it, 0, 1), coin)
        return jnp.where(_at_cue(obs, params), FIXATE, side).astype(jnp.int32)

    def observe(s: ObserverState, action: jax.Array, reward: jax.Array, info: dict[str, jax.Array]) -> ObserverState:
        chose, rewarded = rewarded_object(info)
        features = object_features(params, jnp.maximum(rewarded, 0))
        return ObserverState(s.known | chose, jnp.where(chose, features, s.features))

    return Policy("ideal_observer", init=init, act=act, observe=observe)


def reference_agents(params: HarlowParams) -> dict[str, Policy]:
    """The reference agents evaluated next to the network, by name. ``params`` are the
    evaluation params (the ideal observer needs the pool the episodes draw from)."""
    return {"side_only": side_only(params), "ideal_observer": ideal_observer(params)}
