"""The model-free control for the inferred-value task: tabular TD(0) state values.

States: fixation F, target A, target B (V has three entries, starting at ``V0``); the
outcome period counts as part of the target's state. After each env step, with α the learning rate:
- fixation step (F -> the target T shown): δ = V[T] − V[F] (no reward, discount 1 inside the
  trial); V[F] ← V[F] + α·δ. This δ is its prediction error at target onset.
- target step (reward r; then F of the next trial): δ = r + γ·V[F] − V[T] (γ·V[F] left out after
  the episode's last trial); V[T] ← V[T] + α·δ.
- outcome step: no update.
A target's value changes only when that target is presented, so after a reversal the value of
a target not yet presented is its old value: no inference. Its actions do not matter (the
task's response is forced); it always takes action 0.
"""

from __future__ import annotations

import jax.numpy as jnp

from metarl_jax.agents.policy import Policy
from metarl_jax.tasks.inferred_value.env import InferredValueParams

ALPHA = 0.8  # learning rate (ours: a fast learner, so one experience of a reversed target shows)
GAMMA = 0.9  # discount per trial: the meta-RL agent's default
V0 = 0.0  # initial values: the mean of the default rewards +1 and -1


def model_free_td(params: InferredValueParams, alpha: float = ALPHA, gamma: float = GAMMA) -> Policy:
    """Tabular TD(0) learner over (F, A, B); state = V (3,) float32."""

    def observe(v, action, reward, info):
        t = 1 + info["target"]
        last = info["trial_index"] == params.trials_per_episode - 1
        onset = v.at[0].add(alpha * (v[t] - v[0]))
        bootstrap = jnp.where(last, 0.0, gamma * v[0])
        outcome = v.at[t].add(alpha * (reward + bootstrap - v[t]))
        return jnp.where(info["stage"] == 0, onset, jnp.where(info["stage"] == 1, outcome, v))

    return Policy(
        "model_free_td",
        init=lambda key: jnp.full((3,), V0, jnp.float32),
        act=lambda key, v, obs: jnp.zeros((), jnp.int32),
        observe=observe,
    )


def reference_agents(params: InferredValueParams) -> dict[str, Policy]:
    """The control evaluated beside the meta-RL agent on the same episodes, by name."""
    return {"model_free_td": model_free_td(params)}
