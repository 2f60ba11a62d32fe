"""Daw et al. (2011) two-step task as used by Wang et al. (2018), Fig. 5.

Three states: S1 (first stage), S2 and S3 (second stage). From S1, action 0
leads to S2 with probability ``common_prob`` (else S3); action 1 mirrors it.
One second-stage state pays 1 with probability ``reward_prob_high``, the other
``reward_prob_low``; before each trial they swap with probability
``switch_prob``. Which one is good at reset is a coin flip.

Variants (static):
- ``"trial"``: one decision per trial. The step returns the one-hot
  second-stage state just reached and that trial's reward.
- ``"two_stage"``: two decisions per trial. The stage-1 choice returns the
  second-stage state with reward 0; at stage 2 any action collects the reward
  and S1 is shown again.

Defaults follow Wang et al. (2018) Methods: common 0.8, rewards 0.9 / 0.1,
switch 0.025 per trial, 100 trials per episode.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
from flax import struct

from metarl_jax.core.errors import (
    check_choice,
    check_positive_int,
    check_probability,
)
from metarl_jax.envs.base import EnvironmentBase

VARIANTS = ("trial", "two_stage")


@struct.dataclass
class TwoStepParams:
    common_prob: float = 0.8  # P(common transition), Wang 2018 (0.7 in Daw 2011)
    reward_prob_high: float = 0.9  # reward probability of the good second-stage state
    reward_prob_low: float = 0.1  # reward probability of the other one
    switch_prob: float = 0.025  # P(good and bad states swap) before each trial
    trials_per_episode: int = struct.field(pytree_node=False, default=100)
    variant: str = struct.field(pytree_node=False, default="trial")

    # --help of the experiment scripts (metarl_jax.training.cli): one line per field, fixed choices.
    FLAG_HELP = {
        "common_prob": "P(common transition): Wang 2018 0.8, Daw 2011 0.7",
        "reward_prob_high": "reward probability of the good second-stage state",
        "reward_prob_low": "reward probability of the other second-stage state",
        "switch_prob": "P(good and bad second-stage states swap) before each trial",
        "trials_per_episode": "trials per episode",
        "variant": "trial: one decision per trial; two_stage: a first- and a second-stage decision per trial",
    }
    FLAG_CHOICES = {"variant": VARIANTS}


@struct.dataclass
class TwoStepState:
    trial: jax.Array  # int32, index of the current trial
    stage: jax.Array  # int32, 0 = first stage, 1 = second stage (two_stage only)
    good_state: jax.Array  # int32, 1 = S2 or 2 = S3 pays reward_prob_high
    first_stage_action: jax.Array  # int32, this trial's first-stage action
    second_stage_state: jax.Array  # int32, 1 or 2, reached this trial
    common_transition: jax.Array  # bool, this trial's transition was the common one


class TwoStep(EnvironmentBase):
    """Two-step task; gymnax-style pure ``reset`` / ``step``."""

    name = "two_step"
    PAPER = (
        "Daw et al. (2011) Neuron 69:1204; Wang et al. (2018) Nat. Neurosci. 21:860, Fig. 5 (defaults from its Methods)"
    )
    num_actions = 2

    @property
    def default_params(self) -> TwoStepParams:
        return TwoStepParams()

    def observation_shape(self, params: TwoStepParams) -> tuple[int, ...]:
        return (3,)

    def num_steps(self, params: TwoStepParams) -> int:
        return params.trials_per_episode * (2 if params.variant == "two_stage" else 1)

    def steps_per_trial(self, params: TwoStepParams) -> int:
        return 2 if params.variant == "two_stage" else 1

    def validate(self, params: TwoStepParams) -> None:
        """Raise ValueError naming the first bad field, its value and the allowed range."""
        check_probability("common_prob", params.common_prob)
        check_probability("reward_prob_high", params.reward_prob_high)
        check_probability("reward_prob_low", params.reward_prob_low)
        check_probability("switch_prob", params.switch_prob)
        check_positive_int("trials_per_episode", params.trials_per_episode)
        check_choice("variant", params.variant, VARIANTS)

    def reset(self, key: jax.Array, params: TwoStepParams) -> tuple[jax.Array, TwoStepState]:
        good = jnp.where(jax.random.bernoulli(key), 2, 1).astype(jnp.int32)
        zero = jnp.zeros((), jnp.int32)
        state = TwoStepState(
            trial=zero,
            stage=zero,
            good_state=good,
            first_stage_action=zero,
            second_stage_state=jnp.ones((), jnp.int32),
            common_transition=jnp.ones((), bool),
        )
        return jax.nn.one_hot(0, 3, dtype=jnp.float32), state

    def step(
        self, key: jax.Array, state: TwoStepState, action: jax.Array, params: TwoStepParams
    ) -> tuple[jax.Array, TwoStepState, jax.Array, jax.Array, jax.Array, dict[str, jax.Array]]:
        """Advance one agent step. Shapes: action () int32 -> obs (3,), reward () float32."""
        action = jnp.asarray(action, jnp.int32)
        u = jax.random.uniform(key, (3,))
        two_stage = params.variant == "two_stage"
        first_stage = state.stage == 0 if two_stage else jnp.ones((), bool)

        # First stage: swap good state, then transition.
        switch = u[0] < params.switch_prob
        good_new = jnp.where(switch, 3 - state.good_state, state.good_state)
        common_new = u[1] < params.common_prob
        s2_new = jnp.where((action == 0) == common_new, 1, 2).astype(jnp.int32)

        good = jnp.where(first_stage, good_new, state.good_state)
        common = jnp.where(first_stage, common_new, state.common_transition)
        s2 = jnp.where(first_stage, s2_new, state.second_stage_state)
        a1 = jnp.where(first_stage, action, state.first_stage_action)

        p_reward = jnp.where(s2 == good, params.reward_prob_high, params.reward_prob_low)
        rewarded = (u[2] < p_reward).astype(jnp.float32)

        if two_stage:
            trial_end = state.stage == 1
            reward = jnp.where(trial_end, rewarded, 0.0)
            obs = jnp.where(trial_end, jax.nn.one_hot(0, 3), jax.nn.one_hot(s2, 3))
        else:
            trial_end = jnp.ones((), bool)
            reward = rewarded
            obs = jax.nn.one_hot(s2, 3)
        obs = obs.astype(jnp.float32)
        terminated = trial_end & (state.trial == params.trials_per_episode - 1)

        new_state = TwoStepState(
            trial=state.trial + trial_end.astype(jnp.int32),
            stage=jnp.where(trial_end, 0, 1).astype(jnp.int32) if two_stage else state.stage,
            good_state=good,
            first_stage_action=a1,
            second_stage_state=s2,
            common_transition=common,
        )
        info = {
            "stage": state.stage,
            "first_stage_action": a1,
            "second_stage_state": s2,
            "common_transition": common,
            "good_state": good,
            "trial_index": state.trial,
            "trial_end": trial_end,
            "reward": reward,
        }
        return obs, new_state, reward, terminated, jnp.zeros((), bool), info
