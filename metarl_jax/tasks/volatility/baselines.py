"""Reference agents for the volatility task: a hidden-Markov observer that knows each phase's
hazard, and a fixed-α Rescorla–Wagner agent (the control of the learning-rate fits).

- ``bayes_observer``: belief b = P(option 0 is the good option). After a trial's outcome r of
  option a, Bayes' rule with the phase's reward probability p (``volatile_p`` or ``stable_p``,
  from ``info["volatile"]``): P(r | option 0 good) = p if a = 0 and r = 1, 1 − p if a = 0 and
  r = 0, mirrored for a = 1; then the swap before the next trial with the hazard
  h = ``info["switch_prob"]`` (the next trial's phase): b ← b(1 − h) + (1 − b)h. It chooses by
  softmax(β·(b, 1 − b)) with β = :data:`BAYES_BETA` (ours: stochastic enough for a
  Rescorla–Wagner fit to see its learning; the expected rewards differ by (2b − 1)(2p − 1), the
  same ordering). It never reads ``arm_probs`` or ``good_option``.
- ``rescorla_wagner``: ``choice_models.rescorla_wagner_policy`` with α = :data:`CONTROL_ALPHA`,
  β = :data:`CONTROL_BETA` (ours): its fitted α must come back the same in both phases.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from metarl_jax.agents.policy import Policy
from metarl_jax.choice_models import rescorla_wagner_policy
from metarl_jax.tasks.volatility.env import VolatilityParams

BAYES_BETA = 10.0  # softmax inverse temperature of the observer (ours)
CONTROL_ALPHA, CONTROL_BETA = 0.3, 8.0  # the fixed-α control (ours)


def belief_update(
    belief: jax.Array, action: jax.Array, reward: jax.Array, p: jax.Array, hazard: jax.Array
) -> jax.Array:
    """P(option 0 good) before a trial -> before the next one, given the trial's choice, reward,
    the phase's reward probability p and the next trial's hazard. Elementwise."""
    win = reward > 0
    like_0 = jnp.where(win, p, 1 - p)  # P(r | chosen option is good)
    like_1 = jnp.where(win, 1 - p, p)  # P(r | chosen option is bad)
    l0 = jnp.where(action == 0, like_0, like_1)  # P(r | option 0 good)
    l1 = jnp.where(action == 0, like_1, like_0)  # P(r | option 1 good)
    post = belief * l0 / (belief * l0 + (1 - belief) * l1)
    return post * (1 - hazard) + (1 - post) * hazard


def bayes_observer(params: VolatilityParams, beta: float = BAYES_BETA) -> Policy:
    """The hidden-Markov observer with the true hazard and reward probability of each phase."""

    def act(key, b, obs):
        return jax.random.categorical(key, beta * jnp.stack([b, 1 - b])).astype(jnp.int32)

    def observe(b, action, reward, info):
        p = jnp.where(info["volatile"], params.volatile_p, params.stable_p)
        return belief_update(b, action, reward, p, info["switch_prob"]).astype(jnp.float32)

    return Policy("bayes_observer", init=lambda key: jnp.float32(0.5), act=act, observe=observe)


def reference_agents(params: VolatilityParams) -> dict[str, Policy]:
    """The Bayesian observer and the fixed-α control, by name."""
    return {
        "bayes_observer": bayes_observer(params),
        "rescorla_wagner": rescorla_wagner_policy(CONTROL_ALPHA, CONTROL_BETA, num_actions=2),
    }
