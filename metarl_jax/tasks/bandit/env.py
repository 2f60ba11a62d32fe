"""Bernoulli multi-armed bandits as in Wang et al. (2016) and Duan et al. (2016).

One episode is one sampled problem: ``num_arms`` arms with success
probabilities drawn at reset, then ``trials_per_episode`` pulls. Pulling arm
``a`` pays 1 with probability ``p[a]``, else 0. Each step is one trial.

Arm distributions (static):

- ``"independent"``: each p ~ U[0, 1] independently (Wang et al. 2016, "independent
  bandits"; Duan et al. 2016, Sec. 3.1 and Table 1, with k ∈ {5, 10, 50} arms and
  n ∈ {10, 100, 500} pulls);
- ``"dependent"``: two arms with p and 1 − p (Wang et al. 2016, "dependent
  bandits"), where p ~ U[0, 1] (``difficulty="uniform"``) or p is drawn from
  {0.1, 0.9} (``"easy"``), {0.25, 0.75} (``"medium"``) or {0.4, 0.6} (``"hard"``)
  with equal probability.

The agent sees no state: the observation is zeros (1,) and its own inputs carry
the previous action and reward (and optionally trial_index / trials_per_episode).
``info``: ``arm_probs`` (k,) float32, ``regret`` = max p − p[action] (the
expected regret of this pull, float32), ``trial_index`` (int32), ``trial_end``
(always True: one step per trial).

Defaults follow Wang et al. (2016), bandit experiments: two arms, independent
p ~ U[0, 1], 100 trials per episode.
"""

from __future__ import annotations

from typing import Literal

import jax
import jax.numpy as jnp
from flax import struct

from metarl_jax.core.errors import ConfigError, check_choice, check_positive_int
from metarl_jax.envs.base import EnvironmentBase

DISTRIBUTIONS = ("independent", "dependent")
# p of arm 0 for dependent arms; arm 1 pays 1 − p (Wang et al. 2016).
DIFFICULTY_VALUES: dict[str, tuple[float, float] | None] = {
    "uniform": None,  # p ~ U[0, 1]
    "easy": (0.1, 0.9),
    "medium": (0.25, 0.75),
    "hard": (0.4, 0.6),
}
DIFFICULTIES = tuple(DIFFICULTY_VALUES)


@struct.dataclass
class BanditParams:
    num_arms: int = struct.field(pytree_node=False, default=2)  # k; Wang 2016: 2, Duan 2016: 5, 10, 50
    trials_per_episode: int = struct.field(pytree_node=False, default=100)  # pulls n; Wang 2016: 100
    distribution: Literal["independent", "dependent"] = struct.field(pytree_node=False, default="independent")
    difficulty: Literal["uniform", "easy", "medium", "hard"] = struct.field(pytree_node=False, default="uniform")

    # --help of the experiment scripts (metarl_jax.training.cli); choices come from the Literal types.
    FLAG_HELP = {
        "num_arms": "arms k (Wang 2016: 2; Duan 2016: 5, 10, 50)",
        "trials_per_episode": "pulls per episode n (Wang 2016: 100)",
        "distribution": "arm probabilities: independent = each p ~ U[0, 1]; dependent = two arms with p and 1 - p",
        "difficulty": "dependent arms' p: uniform ~ U[0, 1], easy {0.1, 0.9}, medium {0.25, 0.75}, hard {0.4, 0.6}",
    }


@struct.dataclass
class BanditState:
    arm_probs: jax.Array  # (k,) float32, this problem's success probabilities
    trial: jax.Array  # int32, index of the next pull


class Bandit(EnvironmentBase):
    """Bernoulli bandit; gymnax-style pure ``reset`` / ``step``.

    ``num_actions`` equals the number of arms, so an env instance serves one
    ``num_arms``: build it with ``Bandit(num_arms=k)``, ``make("bandit", num_arms=k)``
    or ``env.for_params(params)``; ``validate`` rejects params whose ``num_arms``
    differs from the instance's.
    """

    name = "bandit"
    PAPER = (
        "Wang et al. (2016) arXiv:1611.05763 'Learning to reinforcement learn', bandit experiments "
        "(defaults: 2 arms, 100 trials, independent and dependent arms); Duan et al. (2016) "
        "arXiv:1611.02779 'RL^2', Sec. 3.1 and Table 1 (k in {5, 10, 50} arms, n in {10, 100, 500} pulls)"
    )

    def __init__(self, num_arms: int = 2):
        self.num_actions = num_arms

    def for_params(self, params: BanditParams) -> Bandit:
        """An env whose ``num_actions`` matches ``params.num_arms`` (self if it already does)."""
        return self if params.num_arms == self.num_actions else Bandit(params.num_arms)

    @property
    def default_params(self) -> BanditParams:
        return BanditParams(num_arms=self.num_actions)

    def observation_shape(self, params: BanditParams) -> tuple[int, ...]:
        return (1,)

    def num_steps(self, params: BanditParams) -> int:
        return params.trials_per_episode

    def steps_per_trial(self, params: BanditParams) -> int:
        return 1

    def validate(self, params: BanditParams) -> None:
        """Raise ConfigError naming the first bad field, its value and what is allowed."""
        n = params.num_arms
        if isinstance(n, bool) or not isinstance(n, int) or n < 2:
            raise ConfigError("num_arms", n, "must be an integer >= 2")
        if n != self.num_actions:
            raise ConfigError(
                "num_arms", n, f"this env has {self.num_actions} arms; build it with make('bandit', num_arms={n})"
            )
        check_positive_int("trials_per_episode", params.trials_per_episode)
        check_choice("distribution", params.distribution, DISTRIBUTIONS)
        check_choice("difficulty", params.difficulty, DIFFICULTIES)
        if params.distribution == "dependent" and n != 2:
            raise ConfigError("num_arms", n, "dependent arms (p, 1 - p) need exactly 2 arms")
        if params.distribution == "independent" and params.difficulty != "uniform":
            raise ConfigError(
                "difficulty", params.difficulty, "only 'uniform' with independent arms (difficulty sets dependent arms)"
            )

    def sample_arm_probs(self, key: jax.Array, params: BanditParams) -> jax.Array:
        """Draw one problem: (k,) float32 success probabilities.

        independent: ``uniform(key, (k,))``; dependent/uniform: p = ``uniform(key)``,
        probs (p, 1 − p); dependent/easy|medium|hard: p = low if ``uniform(key) < 0.5``
        else high, probs (p, 1 − p)."""
        if params.distribution == "independent":
            return jax.random.uniform(key, (params.num_arms,), jnp.float32)
        u = jax.random.uniform(key, (), jnp.float32)
        values = DIFFICULTY_VALUES[params.difficulty]
        p = u if values is None else jnp.where(u < 0.5, jnp.float32(values[0]), jnp.float32(values[1]))
        return jnp.stack([p, 1.0 - p]).astype(jnp.float32)

    def reset(self, key: jax.Array, params: BanditParams) -> tuple[jax.Array, BanditState]:
        state = BanditState(arm_probs=self.sample_arm_probs(key, params), trial=jnp.zeros((), jnp.int32))
        return jnp.zeros((1,), jnp.float32), state

    def step(
        self, key: jax.Array, state: BanditState, action: jax.Array, params: BanditParams
    ) -> tuple[jax.Array, BanditState, jax.Array, jax.Array, jax.Array, dict[str, jax.Array]]:
        """Pull arm ``action`` (() int32): reward = 1 if ``uniform(key) < p[action]`` else 0.
        -> obs (1,) zeros, reward () float32, terminated on the episode's last pull."""
        action = jnp.asarray(action, jnp.int32)
        p = state.arm_probs
        chosen = p[action]
        reward = (jax.random.uniform(key, (), jnp.float32) < chosen).astype(jnp.float32)
        terminated = state.trial == params.trials_per_episode - 1
        info = {
            "arm_probs": p,
            "regret": (jnp.max(p) - chosen).astype(jnp.float32),
            "trial_index": state.trial,
            "trial_end": jnp.ones((), bool),
        }
        new_state = BanditState(arm_probs=p, trial=state.trial + 1)
        return jnp.zeros((1,), jnp.float32), new_state, reward, terminated, jnp.zeros((), bool), info


def make_bandit(**overrides) -> tuple[Bandit, BanditParams]:
    """A validated (env, params) pair with field overrides, e.g. ``make_bandit(num_arms=5)``."""
    params = BanditParams().replace(**overrides)
    env = Bandit(params.num_arms)
    env.validate(params)
    return env, params
