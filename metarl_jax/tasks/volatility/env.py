"""Two-armed bandit with a stable and a volatile phase (Behrens et al. 2007; Wang et al. 2018, Sim. 2).

Two options pay 1 with probabilities (p, 1 − p) for the *good* option and the other. An episode
of ``trials_per_episode`` trials has a stable phase (``stable_trials`` =
round(``stable_fraction`` · trials_per_episode) trials, p = ``stable_p``) and a volatile phase
(the other ``volatile_trials``, p = ``volatile_p``), in the order ``order`` says (``"random"``: a
coin per episode). Which option is good at trial 0 is a coin flip; it carries over from one
phase to the next and changes only by reversals:

- ``schedule="hazard"`` (training): before each trial the good option swaps with the hazard
  of that trial's phase (``stable_hazard`` or ``volatile_hazard``);
- ``schedule="behrens"`` (the test): no reversal in the stable phase; in the volatile phase the
  good option swaps after blocks of ``short_block``, ``long_block``, ``short_block``, ... trials
  (30, 40, 30, 40, 30 with the defaults: four reversals in 170 trials).

The agent sees no state: the observation is zeros (1,) and its inputs carry its previous action
and reward. Each step is one trial. ``info``: ``arm_probs`` (2,) float32 (this trial's reward
probabilities), ``volatile`` (bool, this trial's phase), ``good_option`` (int32), ``switch_prob``
(float32: the hazard of the next trial's phase, i.e. the prior probability that the good option
swaps before the next trial under the hazard model; what a hidden-Markov observer assumes),
``trial_index`` (int32), ``trial_end`` (always True).

Parameters and sources (PAPER): Behrens et al. (2007) Nat. Neurosci. 10:1214, Fig. 1: a stable
phase of 120 trials in which one option was rewarded on 75% of trials, then a volatile phase of
170 trials in which the probabilities (80% / 20%) swapped every 30 or 40 trials; their subjects
chose between two options with complementary probabilities (defaults: ``trials_per_episode`` 290
and ``stable_fraction`` 120/290 give the 120 + 170 trials). These numbers are from the lead's
recollection of the paper and secondary descriptions; the search tool reached no copy of the
paper's Methods. Chosen by us: the 30/40 order of the volatile blocks (30, 40, 30, 40, 30 sums
to 170); ``volatile_hazard`` = 1/35 in training (one reversal per 35 trials, the mean of the
30- and 40-trial blocks); ``stable_hazard`` = 0 (the stable phase has no reversal); the random
order of the phases per episode (training, and evaluation so that time in the episode does not
tell the phase); the good option carried over at the phase boundary. Wang et al. (2018) give
no numbers for their training distribution that we could reach.
"""

from __future__ import annotations

from typing import Literal

import jax
import jax.numpy as jnp
from flax import struct

from metarl_jax.core.errors import ConfigError, check_choice, check_finite, check_positive_int, check_probability
from metarl_jax.envs.base import EnvironmentBase

SCHEDULES = ("hazard", "behrens")
ORDERS = ("random", "stable_first", "volatile_first")


@struct.dataclass
class VolatilityParams:
    stable_p: float = 0.75  # P(reward | good option) in the stable phase (Behrens 2007: 75%)
    volatile_p: float = 0.8  # P(reward | good option) in the volatile phase (Behrens 2007: 80%)
    stable_hazard: float = 0.0  # P(swap) before a stable-phase trial (ours; schedule "hazard")
    volatile_hazard: float = 1.0 / 35.0  # P(swap) before a volatile-phase trial (ours; schedule "hazard")
    trials_per_episode: int = struct.field(pytree_node=False, default=290)  # Behrens 2007: 120 + 170
    stable_fraction: float = struct.field(pytree_node=False, default=120 / 290)  # Behrens 2007: 120 of 290
    schedule: Literal["hazard", "behrens"] = struct.field(pytree_node=False, default="hazard")
    order: Literal["random", "stable_first", "volatile_first"] = struct.field(pytree_node=False, default="random")
    short_block: int = struct.field(pytree_node=False, default=30)  # Behrens 2007: blocks of 30 or 40 trials
    long_block: int = struct.field(pytree_node=False, default=40)

    FLAG_HELP = {
        "stable_p": "reward probability of the good option in the stable phase (Behrens 2007: 0.75)",
        "volatile_p": "reward probability of the good option in the volatile phase (Behrens 2007: 0.8)",
        "stable_hazard": "P(the good option swaps) before each stable-phase trial, schedule hazard (ours: 0)",
        "volatile_hazard": "P(the good option swaps) before each volatile-phase trial, schedule hazard (ours: 1/35)",
        "trials_per_episode": "trials per episode, both phases (Behrens 2007: 290 = 120 stable + 170 volatile)",
        "stable_fraction": "share of the trials in the stable phase, rounded to whole trials and at least one trial "
        "per phase (Behrens 2007: 120 / 290)",
        "schedule": "reversals: hazard = random at the phase's hazard (training); behrens = none in the stable "
        "phase, after alternating short and long blocks in the volatile phase (evaluation)",
        "order": "phase order: random = a coin per episode, stable_first, volatile_first",
        "short_block": "schedule behrens: trials in the short volatile blocks (Behrens 2007: 30)",
        "long_block": "schedule behrens: trials in the long volatile blocks (Behrens 2007: 40)",
    }

    @property
    def stable_trials(self) -> int:
        """Trials in the stable phase: round(stable_fraction · trials_per_episode), kept within
        [1, trials_per_episode − 1] (120 with the defaults)."""
        return min(max(round(self.stable_fraction * self.trials_per_episode), 1), self.trials_per_episode - 1)

    @property
    def volatile_trials(self) -> int:
        """Trials in the volatile phase: the rest of the episode (170 with the defaults)."""
        return self.trials_per_episode - self.stable_trials


@struct.dataclass
class VolatilityState:
    trial: jax.Array  # int32, index of the next trial
    good_option: jax.Array  # int32, the option paying p on the next trial
    stable_first: jax.Array  # bool, this episode's phase order


def volatile_phase(trial: jax.Array, stable_first: jax.Array, params: VolatilityParams) -> jax.Array:
    """Whether ``trial`` falls in the volatile phase (bool)."""
    return jnp.where(stable_first, trial >= params.stable_trials, trial < params.volatile_trials)


def behrens_reversal(trial: jax.Array, stable_first: jax.Array, params: VolatilityParams) -> jax.Array:
    """Schedule behrens: whether the good option swaps just before ``trial`` (a volatile trial k > 0
    of the phase that starts a short or long block)."""
    k = trial - jnp.where(stable_first, params.stable_trials, 0)
    cycle = params.short_block + params.long_block
    at_boundary = (k % cycle == 0) | (k % cycle == params.short_block)
    return volatile_phase(trial, stable_first, params) & (k > 0) & at_boundary


class Volatility(EnvironmentBase):
    """Two-armed bandit with a stable and a volatile phase; gymnax-style pure ``reset`` / ``step``."""

    name = "volatility"
    PAPER = (
        "Behrens et al. (2007) Nat. Neurosci. 10:1214 'Learning the value of information in an uncertain "
        "world', Fig. 1 (stable 120 trials at 75%, volatile 170 trials at 80/20 swapping every 30 or 40 "
        "trials); Wang et al. (2018) Nat. Neurosci. 21:860, Simulation 2 / Fig. 3"
    )
    num_actions = 2

    @property
    def default_params(self) -> VolatilityParams:
        return VolatilityParams()

    def observation_shape(self, params: VolatilityParams) -> tuple[int, ...]:
        return (1,)

    def observation_bounds(self, params: VolatilityParams) -> tuple[float, float]:
        """Every observation's (low, high), for gymnax's spaces (metarl_jax.compat): zeros."""
        return 0.0, 0.0

    def state_bounds(self, params: VolatilityParams) -> dict[str, tuple[float, float]]:
        """Each state field's (low, high) over every reachable state (metarl_jax.compat)."""
        return {"trial": (0, params.trials_per_episode), "good_option": (0, 1), "stable_first": (0, 1)}

    def num_steps(self, params: VolatilityParams) -> int:
        return params.trials_per_episode

    def steps_per_trial(self, params: VolatilityParams) -> int:
        return 1

    def validate(self, params: VolatilityParams) -> None:
        """Raise ConfigError naming the first bad field, its value and what is allowed."""
        for name in ("stable_p", "volatile_p", "stable_hazard", "volatile_hazard"):
            check_probability(name, getattr(params, name))
        for name in ("trials_per_episode", "short_block", "long_block"):
            check_positive_int(name, getattr(params, name))
        if params.trials_per_episode < 2:
            raise ConfigError("trials_per_episode", params.trials_per_episode, "must be >= 2 (a trial per phase)")
        check_finite("stable_fraction", params.stable_fraction)
        if not 0.0 < params.stable_fraction < 1.0:
            raise ConfigError("stable_fraction", params.stable_fraction, "must be in (0, 1)")
        check_choice("schedule", params.schedule, SCHEDULES)
        check_choice("order", params.order, ORDERS)

    def reset(self, key: jax.Array, params: VolatilityParams) -> tuple[jax.Array, VolatilityState]:
        """good option = 1 if ``bernoulli(k_good)``; stable first if ``bernoulli(k_order)`` (order random)."""
        k_good, k_order = jax.random.split(key)
        coin = jax.random.bernoulli(k_order)
        stable_first = {"random": coin, "stable_first": True, "volatile_first": False}[params.order]
        state = VolatilityState(
            trial=jnp.zeros((), jnp.int32),
            good_option=jax.random.bernoulli(k_good).astype(jnp.int32),
            stable_first=jnp.asarray(stable_first, bool),
        )
        return jnp.zeros((1,), jnp.float32), state

    def step(
        self, key: jax.Array, state: VolatilityState, action: jax.Array, params: VolatilityParams
    ) -> tuple[jax.Array, VolatilityState, jax.Array, jax.Array, jax.Array, dict[str, jax.Array]]:
        """Choose ``action`` (() int32): reward = 1 if ``u[0] < arm_probs[action]``; then the good
        option for the next trial swaps if ``u[1] < hazard`` of its phase (schedule hazard) or at
        a block boundary (schedule behrens), ``u = uniform(key, (2,))``."""
        action = jnp.asarray(action, jnp.int32)
        u = jax.random.uniform(key, (2,), jnp.float32)
        volatile = volatile_phase(state.trial, state.stable_first, params)
        p = jnp.where(volatile, params.volatile_p, params.stable_p).astype(jnp.float32)
        arm_probs = jnp.where(state.good_option == 0, jnp.stack([p, 1 - p]), jnp.stack([1 - p, p]))
        reward = (u[0] < arm_probs[action]).astype(jnp.float32)

        next_trial = state.trial + 1
        next_volatile = volatile_phase(next_trial, state.stable_first, params)
        hazard = jnp.where(next_volatile, params.volatile_hazard, params.stable_hazard).astype(jnp.float32)
        if params.schedule == "hazard":
            swap = u[1] < hazard
        else:
            swap = behrens_reversal(next_trial, state.stable_first, params)
        info = {
            "arm_probs": arm_probs.astype(jnp.float32),
            "volatile": volatile,
            "good_option": state.good_option,
            "switch_prob": hazard,
            "trial_index": state.trial,
            "trial_end": jnp.ones((), bool),
        }
        new_state = VolatilityState(
            trial=next_trial,
            good_option=jnp.where(swap, 1 - state.good_option, state.good_option).astype(jnp.int32),
            stable_first=state.stable_first,
        )
        terminated = state.trial == params.trials_per_episode - 1
        return jnp.zeros((1,), jnp.float32), new_state, reward, terminated, jnp.zeros((), bool), info
