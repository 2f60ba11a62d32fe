"""The foraging task's reference learner: Rescorla–Wagner fitted to an agent's choices
(``metarl_jax.choice_models``), replayed as a :class:`~metarl_jax.agents.policy.Policy` on the
agent's own evaluation episodes.

Replay: an episode of the baited task is fixed by its base probabilities and its bait arrivals
(``info["bait_arrival"]``, drawn whatever the agent does), so another agent meets exactly the
same episode by running :func:`~metarl_jax.tasks.foraging.env.collect` on those arrivals with
its own choices. Its choice noise comes from a fixed key (:data:`REPLAY_KEY`), one per episode.
"""

from __future__ import annotations

from typing import Any

import chex
import jax
import jax.numpy as jnp
import numpy as np

from metarl_jax.agents.policy import Policy
from metarl_jax.choice_models import fit_rescorla_wagner, rescorla_wagner_policy
from metarl_jax.tasks.foraging.env import NUM_OPTIONS, collect

REPLAY_KEY = 20180514  # fixed: the replayed agent's choice noise (chosen by us)


def _replay_episode(policy: Policy, arrivals: jax.Array, key: jax.Array) -> tuple[jax.Array, jax.Array]:
    """One episode: arrivals (T, 2) bool -> actions (T,) int32, rewards (T,) float32."""
    k_init, k_act = jax.random.split(key)
    obs = jnp.zeros((1,), jnp.float32)

    def body(carry, xs):
        baited, agent = carry
        arrival, k = xs
        action = policy.act(k, agent, obs)
        reward, baited = collect(baited, arrival, action)
        agent = policy.observe(agent, action, reward, {"trial_end": jnp.ones((), bool)})
        return (baited, agent), (action, reward)

    carry = (jnp.zeros((NUM_OPTIONS,), bool), policy.init(k_init))
    keys = jax.random.split(k_act, arrivals.shape[0])
    _, (actions, rewards) = jax.lax.scan(body, carry, (arrivals, keys))
    return actions, rewards


def replay(policy: Policy, bait_arrival: np.ndarray, seed: int = REPLAY_KEY) -> dict[str, np.ndarray]:
    """``policy`` on the episodes whose arrivals are ``bait_arrival`` (E, T, 2) bool ->
    {"action" (E, T) int32, "reward" (E, T) float32}."""
    arrivals = jnp.asarray(bait_arrival, bool)
    chex.assert_rank(arrivals, 3)
    keys = jax.random.split(jax.random.key(seed), arrivals.shape[0])
    actions, rewards = jax.vmap(lambda a, k: _replay_episode(policy, a, k))(arrivals, keys)
    return {"action": np.asarray(actions), "reward": np.asarray(rewards)}


@jax.jit
def _replay_rescorla_wagner(alpha: jax.Array, beta: jax.Array, bait_arrival: jax.Array) -> dict[str, jax.Array]:
    """:func:`replay` of Rescorla–Wagner with traced (α, β): one compile for every fit."""
    policy = rescorla_wagner_policy(alpha, beta, NUM_OPTIONS, name="fitted_rescorla_wagner")
    keys = jax.random.split(jax.random.key(REPLAY_KEY), bait_arrival.shape[0])
    actions, rewards = jax.vmap(lambda a, k: _replay_episode(policy, a, k))(bait_arrival, keys)
    return {"action": actions, "reward": rewards}


def replay_rescorla_wagner(alpha: float, beta: float, bait_arrival: np.ndarray) -> dict[str, np.ndarray]:
    """Rescorla–Wagner (``choice_models.rescorla_wagner_policy``) with (α, β) on the episodes whose
    arrivals are ``bait_arrival`` (E, T, 2) -> {"action", "reward"} (E, T); compiled once."""
    arrivals = jnp.asarray(bait_arrival, bool)
    chex.assert_rank(arrivals, 3)
    out = _replay_rescorla_wagner(jnp.float32(alpha), jnp.float32(beta), arrivals)
    return {k: np.asarray(v) for k, v in out.items()}


def fit_choices(action: np.ndarray, reward: np.ndarray) -> dict[str, float]:
    """``choice_models.fit_rescorla_wagner`` (Q₀ = 0.5, two options) of (E, T) choices given rewards."""
    return fit_rescorla_wagner(np.asarray(action, np.int32), np.asarray(reward, np.float32), num_options=NUM_OPTIONS)


def fitted_reference(arrays: dict[str, Any]) -> tuple[dict[str, float], dict[str, np.ndarray]]:
    """Fit Rescorla–Wagner (α, β; Q₀ = 0.5) to an agent's choices ``arrays["action"]`` given its
    rewards (E, T), then replay the fitted model on the same episodes.
    -> (fit {alpha, beta, nll, num_trials}, the replay's {"action", "reward"} (E, T))."""
    fit = fit_choices(arrays["action"], arrays["reward"])
    return fit, replay_rescorla_wagner(fit["alpha"], fit["beta"], arrays["bait_arrival"])
