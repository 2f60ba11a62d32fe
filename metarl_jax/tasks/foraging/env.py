"""Baited two-armed foraging (Tsutsui et al. 2016; Wang et al. 2018 Simulation 1, Fig. 2).

Two options. At reset the episode's base probabilities are drawn: p0 = (u·s, (1 − u)·s) with
u ~ U[0, 1] and s = ``base_prob_sum``, and no option holds a reward. On every trial, before
the choice, each option that holds no reward is baited with probability p0 of that option (a
bait *arrival*, drawn whatever the agent does); choosing an option collects its bait (reward
1) and the bait of the other option stays until that option is chosen. So the probability
that option k pays when chosen after n trials without choosing it is
p = 1 − (1 − p0ₖ)^(n+1): an option left alone becomes ever more likely to pay, and the
reward-maximising policy alternates in proportion to the base rates (Herrnstein's matching
law). One step per trial; the observation is zeros (1,): the agent's own inputs carry the
previous action and reward, as in Wang et al. (2018).

``info``: ``base_probs`` (2,) float32; ``reward_probs`` (2,) float32, P(reward if chosen) on this
trial for each option, 1 − (1 − p0)^(n+1) with n the trials since it was last chosen;
``bait_arrival`` (2,) bool, this trial's arrivals (they depend only on the step key, so any
agent can be replayed on the same episode: ``collect``); ``trial_index`` (int32);
``trial_end`` (always True).

Parameters and their source: the baiting rule and the matching-law setting follow Tsutsui et
al. (2016) Nat. Commun. 7:12554 (reward-based foraging of two objects, after Herrnstein's
matching law; the same schedule as Lau & Glimcher 2005 J. Exp. Anal. Behav. 84:555 and
Sugrue et al. 2004 Science 304:1782, whose total reward rate is fixed while the ratio of the
two options varies between blocks), as simulated by Wang et al. (2018) Nat. Neurosci.
21:860, Simulation 1. Chosen by us (not found in the sources we could read): 100 trials per
episode (the length of Wang et al.'s other bandit episodes), base probabilities that sum to
``base_prob_sum`` = 0.5 with a ratio u ~ U[0, 1] drawn per episode (a continuum of the
block ratios of Lau & Glimcher / Sugrue, so that matching can be read over episodes), and no
bait at the start of an episode.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
from flax import struct

from metarl_jax.core.errors import ConfigError, check_positive_int, check_probability
from metarl_jax.envs.base import EnvironmentBase

NUM_OPTIONS = 2


@struct.dataclass
class ForagingParams:
    base_prob_sum: float = 0.5  # p0 of the two options sums to this (chosen by us)
    trials_per_episode: int = struct.field(pytree_node=False, default=100)  # chosen by us (Wang 2018 bandits: 100)

    # --help of the experiment scripts (metarl_jax.training.cli): one line per field.
    FLAG_HELP = {
        "base_prob_sum": "the two base (bait arrival) probabilities sum to this; their ratio u ~ U[0, 1] per episode",
        "trials_per_episode": "trials per episode",
    }


@struct.dataclass
class ForagingState:
    base_probs: jax.Array  # (2,) float32, p0 of each option (this episode's)
    baited: jax.Array  # (2,) int32 0/1, the option holds a reward now (before this trial's arrivals)
    since_chosen: jax.Array  # (2,) int32, trials since the option was last chosen (0 at reset)
    trial: jax.Array  # int32, index of the next trial


def collect(baited: jax.Array, arrivals: jax.Array, action: jax.Array) -> tuple[jax.Array, jax.Array]:
    """One trial of the baiting rule: baits arrive, the chosen option's bait is collected.
    baited, arrivals (2,) bool, action () int32 -> (reward () float32, baited after (2,) bool)."""
    available = baited | arrivals
    chosen = jnp.arange(NUM_OPTIONS) == action
    return available[action].astype(jnp.float32), available & ~chosen


def reward_probabilities(base_probs: jax.Array, since_chosen: jax.Array) -> jax.Array:
    """P(reward if chosen) = 1 − (1 − p0)^(n+1), n = trials since last chosen. (2,) -> (2,) float32."""
    return (1.0 - (1.0 - base_probs) ** (since_chosen + 1).astype(jnp.float32)).astype(jnp.float32)


class Foraging(EnvironmentBase):
    """Baited two-armed foraging task; gymnax-style pure ``reset`` / ``step``."""

    name = "foraging"
    PAPER = (
        "Tsutsui, Grabenhorst, Kobayashi & Schultz (2016) Nat. Commun. 7:12554 (baited two-object foraging, "
        "matching law); Wang et al. (2018) Nat. Neurosci. 21:860, Simulation 1 and Fig. 2; regression form of "
        "Lau & Glimcher (2005) J. Exp. Anal. Behav. 84:555. Chosen by us: 100 trials, base probabilities "
        "(u, 1 - u) x 0.5 with u ~ U[0, 1] per episode, no bait at reset"
    )
    num_actions = NUM_OPTIONS

    @property
    def default_params(self) -> ForagingParams:
        return ForagingParams()

    def observation_shape(self, params: ForagingParams) -> tuple[int, ...]:
        return (1,)

    def observation_bounds(self, params: ForagingParams) -> tuple[float, float]:
        """Every observation's (low, high), for gymnax's spaces (metarl_jax.compat): zeros."""
        return 0.0, 0.0

    def state_bounds(self, params: ForagingParams) -> dict[str, tuple[float, float]]:
        """Each state field's (low, high) over every reachable state (metarl_jax.compat)."""
        n = params.trials_per_episode
        return {"base_probs": (0.0, 1.0), "baited": (0, 1), "since_chosen": (0, n), "trial": (0, n)}

    def num_steps(self, params: ForagingParams) -> int:
        return params.trials_per_episode

    def steps_per_trial(self, params: ForagingParams) -> int:
        return 1

    def validate(self, params: ForagingParams) -> None:
        """Raise ConfigError naming the first bad field, its value and what is allowed."""
        check_probability("base_prob_sum", params.base_prob_sum)
        if not float(params.base_prob_sum) > 0.0:
            raise ConfigError("base_prob_sum", params.base_prob_sum, "must be > 0 (no option would ever pay)")
        check_positive_int("trials_per_episode", params.trials_per_episode)

    def reset(self, key: jax.Array, params: ForagingParams) -> tuple[jax.Array, ForagingState]:
        """Draw u ~ U[0, 1): p0 = (u·s, (1 − u)·s); nothing baited."""
        u = jax.random.uniform(key, (), jnp.float32)
        s = jnp.asarray(params.base_prob_sum, jnp.float32)
        state = ForagingState(
            base_probs=jnp.stack([u * s, (1.0 - u) * s]).astype(jnp.float32),
            baited=jnp.zeros((NUM_OPTIONS,), jnp.int32),
            since_chosen=jnp.zeros((NUM_OPTIONS,), jnp.int32),
            trial=jnp.zeros((), jnp.int32),
        )
        return jnp.zeros((1,), jnp.float32), state

    def step(
        self, key: jax.Array, state: ForagingState, action: jax.Array, params: ForagingParams
    ) -> tuple[jax.Array, ForagingState, jax.Array, jax.Array, jax.Array, dict[str, jax.Array]]:
        """Arrivals ``uniform(key, (2,)) < p0`` on the unbaited options, then collect the chosen
        option's bait. action () int32 -> obs (1,) zeros, reward () float32 (0 or 1)."""
        action = jnp.asarray(action, jnp.int32)
        arrivals = jax.random.uniform(key, (NUM_OPTIONS,), jnp.float32) < state.base_probs
        reward, baited = collect(state.baited > 0, arrivals, action)
        chosen = jnp.arange(NUM_OPTIONS) == action
        info = {
            "base_probs": state.base_probs,
            "reward_probs": reward_probabilities(state.base_probs, state.since_chosen),
            "bait_arrival": arrivals,
            "trial_index": state.trial,
            "trial_end": jnp.ones((), bool),
        }
        new_state = ForagingState(
            base_probs=state.base_probs,
            baited=baited.astype(jnp.int32),
            since_chosen=jnp.where(chosen, 0, state.since_chosen + 1).astype(jnp.int32),
            trial=state.trial + 1,
        )
        terminated = state.trial == params.trials_per_episode - 1
        return jnp.zeros((1,), jnp.float32), new_state, reward, terminated, jnp.zeros((), bool), info
