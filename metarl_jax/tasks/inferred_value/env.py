"""Inferred-value reversal task after Bromberg-Martin et al. (2010), as Wang et al. (2018) Fig. 4.

Two targets, A and B; one is good (pays ``reward_good``), the other bad (pays ``reward_bad``).
Which one is good reverses between blocks, without a signal. Each trial has three agent steps:

- fixation (stage 0): the observation before it shows the fixation point; the target of this
  trial (A or B, 1/2 each) is drawn, and the step returns its one-hot with reward 0;
- target (stage 1): the agent responds (a forced saccade: both actions do the same); the step
  pays the target's current value and returns the target still on screen with the reward-period
  flag (the reward arrives while the target is visible);
- outcome (stage 2): the reward period ends; reward 0, the fixation point of the next trial is
  shown, and the trial ends.

Observation (4,): one-hot fixation / target A / target B, plus a reward-period flag (index 3).
The critic's prediction error at target onset is the TD error of the fixation step (its next
observation shows the target), with discount 1 inside the trial. The outcome step lets the
agent see the target together with its reward (its own inputs carry the previous reward), as an
animal sees the target while the juice comes. With two steps per trial (the target, then the
next fixation) the target and its reward reach the agent on different steps; in our tries
(rewards 1/0, 20k-60k episodes) the LSTM A2C agent then learned nothing of the targets' values.

Parameters and sources: Bromberg-Martin, Matsumoto, Hong & Hikosaka (2010, J. Neurophysiol.
104:1068) trained monkeys on a reward-biased saccade task in which one of two targets appeared on
each trial and the two targets' values were related (one rewarded, the other not), reversing
between blocks; neurons' responses to a target presented for the first time after a reversal
followed its new value when only the other target had been seen (inferred value). The Hikosaka
lab's one-direction-rewarded saccade task (1DR) shows one target per trial at random, rewards
saccades to one of them with juice and the other with a tone alone, in blocks of 24 trials
(Fig. 2 of PMC2638585). Ours: rewards +1 / −1, the 1DR task's reward / no reward centred on 0 (a
constant added to every reward adds the same constant to every value and leaves the sign of
every prediction error at target onset unchanged; with rewards 1 / 0 our agent learned the task
on 2 of 4 seeds in 2560 updates, with ±1 on 4 of 4); block lengths uniform on 5–15 trials
(mean 10) and 20 trials per episode, chosen by us (short episodes give many updates within the
time budget; random lengths so that a reversal cannot be timed); targets 1/2 each (the 1DR
task's random side). Wang et al. (2018) give no numbers for this simulation in the
sources we could read.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
from flax import struct

from metarl_jax.core.errors import ConfigError, check_finite, check_positive_int
from metarl_jax.envs.base import EnvironmentBase

NUM_OBS = 4  # fixation, target A, target B, reward-period flag
STEPS_PER_TRIAL = 3  # fixation, target, outcome


@struct.dataclass
class InferredValueParams:
    reward_good: float = 1.0  # reward of the good target (1DR task: juice)
    reward_bad: float = -1.0  # reward of the bad target (1DR task: tone alone; centred, see above)
    block_min: int = struct.field(pytree_node=False, default=5)  # shortest block, trials (ours)
    block_max: int = struct.field(pytree_node=False, default=15)  # longest block, trials (ours)
    trials_per_episode: int = struct.field(pytree_node=False, default=20)  # ours

    # --help of the experiment scripts (metarl_jax.training.cli): one line per field.
    FLAG_HELP = {
        "reward_good": "reward of the good target",
        "reward_bad": "reward of the bad target (must be below reward_good)",
        "block_min": "shortest block (trials between reversals), >= 2",
        "block_max": "longest block; block lengths are uniform on [block_min, block_max]",
        "trials_per_episode": "trials per episode (three agent steps each: fixation, target, outcome)",
    }


@struct.dataclass
class InferredValueState:
    trial: jax.Array  # int32, index of the current trial
    stage: jax.Array  # int32, the next step: 0 = fixation, 1 = target, 2 = outcome
    good_target: jax.Array  # int32, 0 = A or 1 = B
    target: jax.Array  # int32, this trial's target (valid after its fixation step)
    trial_in_block: jax.Array  # int32, trials of this block before the current one
    block_index: jax.Array  # int32
    block_length: jax.Array  # int32, trials of the current block
    seen: jax.Array  # (2,) int32 0/1, target presented on an earlier trial of this block
    seen_before: jax.Array  # bool, this trial's target had been seen in this block before it


def _block_length(u: jax.Array, params: InferredValueParams) -> jax.Array:
    span = params.block_max - params.block_min + 1
    return (params.block_min + jnp.minimum(jnp.floor(u * span), span - 1)).astype(jnp.int32)


class InferredValue(EnvironmentBase):
    """Two targets with anti-correlated values that reverse between blocks; gymnax-style pure
    ``reset`` / ``step``; three steps per trial (fixation, target, outcome)."""

    name = "inferred_value"
    PAPER = (
        "Bromberg-Martin, Matsumoto, Hong & Hikosaka (2010) J. Neurophysiol. 104:1068 'A pallidus-habenula-"
        "dopamine pathway signals inferred stimulus values'; Wang et al. (2018) Nat. Neurosci. 21:860, Fig. 4 "
        "(Simulation 3); rewards +1/-1 (the 1DR task's reward / no reward, centred), block lengths 5-15 and 20 "
        "trials per episode are ours"
    )
    num_actions = 2  # the response is forced: both actions do the same

    @property
    def default_params(self) -> InferredValueParams:
        return InferredValueParams()

    def observation_shape(self, params: InferredValueParams) -> tuple[int, ...]:
        return (NUM_OBS,)

    def observation_bounds(self, params: InferredValueParams) -> tuple[float, float]:
        """Every observation's (low, high), for gymnax's spaces (metarl_jax.compat): one-hot cues
        and the reward-period flag."""
        return 0.0, 1.0

    def state_bounds(self, params: InferredValueParams) -> dict[str, tuple[float, float]]:
        """Each state field's (low, high) over every reachable state (metarl_jax.compat)."""
        n = params.trials_per_episode
        return {
            "trial": (0, n),
            "stage": (0, 2),
            "good_target": (0, 1),
            "target": (0, 1),
            "trial_in_block": (0, params.block_max),
            "block_index": (0, n),
            "block_length": (params.block_min, params.block_max),
            "seen": (0, 1),  # int32 0/1 per target
            "seen_before": (0, 1),
        }

    def num_steps(self, params: InferredValueParams) -> int:
        return STEPS_PER_TRIAL * params.trials_per_episode

    def steps_per_trial(self, params: InferredValueParams) -> int:
        return STEPS_PER_TRIAL

    def validate(self, params: InferredValueParams) -> None:
        """Raise ConfigError naming the first bad field, its value and what is allowed."""
        check_finite("reward_good", params.reward_good)
        check_finite("reward_bad", params.reward_bad)
        if not float(params.reward_bad) < float(params.reward_good):
            raise ConfigError("reward_bad", params.reward_bad, f"must be below reward_good={params.reward_good}")
        check_positive_int("block_min", params.block_min)
        if params.block_min < 2:
            raise ConfigError("block_min", params.block_min, "must be >= 2 (a block needs a trial after its first)")
        check_positive_int("block_max", params.block_max)
        if params.block_max < params.block_min:
            raise ConfigError("block_max", params.block_max, f"must be >= block_min={params.block_min}")
        check_positive_int("trials_per_episode", params.trials_per_episode)

    def reset(self, key: jax.Array, params: InferredValueParams) -> tuple[jax.Array, InferredValueState]:
        u = jax.random.uniform(key, (2,))
        zero = jnp.zeros((), jnp.int32)
        state = InferredValueState(
            trial=zero,
            stage=zero,
            good_target=(u[0] < 0.5).astype(jnp.int32),
            target=zero,
            trial_in_block=zero,
            block_index=zero,
            block_length=_block_length(u[1], params),
            seen=jnp.zeros((2,), jnp.int32),
            seen_before=jnp.zeros((), bool),
        )
        return jax.nn.one_hot(0, NUM_OBS, dtype=jnp.float32), state

    def step(
        self, key: jax.Array, state: InferredValueState, action: jax.Array, params: InferredValueParams
    ) -> tuple[jax.Array, InferredValueState, jax.Array, jax.Array, jax.Array, dict[str, jax.Array]]:
        """Advance one agent step (the action is ignored). -> obs (4,), reward () float32."""
        fixation, target_step, trial_end = state.stage == 0, state.stage == 1, state.stage == 2
        u = jax.random.uniform(key, (2,))

        # Fixation step: a block that has run its length reverses, then this trial's target is drawn.
        reversal = fixation & (state.trial_in_block >= state.block_length)
        good = jnp.where(reversal, 1 - state.good_target, state.good_target)
        tib = jnp.where(reversal, 0, state.trial_in_block)
        block = state.block_index + reversal.astype(jnp.int32)
        length = jnp.where(reversal, _block_length(u[1], params), state.block_length)
        seen = jnp.where(reversal, 0, state.seen)
        target = jnp.where(fixation, (u[0] < 0.5).astype(jnp.int32), state.target)
        seen_before = jnp.where(fixation, seen[target] == 1, state.seen_before)

        value = jnp.where(target == good, params.reward_good, params.reward_bad).astype(jnp.float32)
        reward = jnp.where(target_step, value, 0.0).astype(jnp.float32)
        shown = jax.nn.one_hot(jnp.where(trial_end, 0, 1 + target), NUM_OBS, dtype=jnp.float32)
        obs = shown.at[3].set(target_step.astype(jnp.float32))
        terminated = trial_end & (state.trial == params.trials_per_episode - 1)
        step_on = trial_end.astype(jnp.int32)
        new_state = InferredValueState(
            trial=state.trial + step_on,
            stage=(state.stage + 1) % STEPS_PER_TRIAL,
            good_target=good,
            target=target,
            trial_in_block=tib + step_on,
            block_index=block,
            block_length=length,
            seen=jnp.where(trial_end, seen.at[target].set(1), seen),
            seen_before=seen_before,
        )
        info = {
            "stage": state.stage,
            "target": target,
            "good_target": good,
            "target_value": value,
            "trial_in_block": tib,
            "block_index": block,
            "seen_since_reversal": seen_before,
            "trial_index": state.trial,
            "trial_end": trial_end,
            "reward": reward,
        }
        return obs, new_state, reward, terminated, jnp.zeros((), bool), info
