"""Reference agents for the two-step task (Daw et al. 2011; Wang et al. 2018 Fig. 5).

- model-free: TD(1) first-stage values moved toward each trial's reward,
  Q[a₁] ← Q[a₁] + α(r − Q[a₁]); softmax(β·Q).
- model-based: knows the transition matrix, learns second-stage values
  V[s₂] ← V[s₂] + α(r − V[s₂]); Q[a] = Σₛ P(s|a) V[s]; softmax(β·Q).
- Bayes-optimal: exact posterior b = P(S2 is the good state), updated with the
  trial's outcome and the switch hazard; picks the action whose common
  transition leads to the likelier good state (coin flip on a tie).
Actions only matter at stage 1; updates happen at each trial's end.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from metarl_jax.agents.policy import Policy
from metarl_jax.tasks.two_step.env import TwoStepParams

ALPHA, BETA = 0.5, 5.0  # learning rate and softmax inverse temperature (issue defaults)


def _softmax_choice(key: jax.Array, q: jax.Array, beta: float) -> jax.Array:
    return jax.random.categorical(key, beta * q).astype(jnp.int32)


def model_free(alpha: float = ALPHA, beta: float = BETA) -> Policy:
    """TD(1) model-free agent over first-stage actions."""

    def observe(q, action, reward, info):
        a1 = info["first_stage_action"]
        new = q.at[a1].add(alpha * (reward - q[a1]))
        return jnp.where(info["trial_end"], new, q)

    return Policy(
        "model_free",
        init=lambda key: jnp.full((2,), 0.5, jnp.float32),
        act=lambda key, q, obs: _softmax_choice(key, q, beta),
        observe=observe,
    )


def model_based(params: TwoStepParams, alpha: float = ALPHA, beta: float = BETA) -> Policy:
    """Model-based agent: known transitions, learned second-stage values V[S2], V[S3]."""
    p = params.common_prob

    def act(key, v, obs):
        q = jnp.stack([p * v[0] + (1 - p) * v[1], (1 - p) * v[0] + p * v[1]])
        return _softmax_choice(key, q, beta)

    def observe(v, action, reward, info):
        s = info["second_stage_state"] - 1
        new = v.at[s].add(alpha * (reward - v[s]))
        return jnp.where(info["trial_end"], new, v)

    return Policy("model_based", init=lambda key: jnp.full((2,), 0.5, jnp.float32), act=act, observe=observe)


def bayes_optimal(params: TwoStepParams) -> Policy:
    """Belief-tracking agent: b = P(S2 is good); greedy on the belief."""

    def act(key, b, obs):
        coin = jax.random.bernoulli(key).astype(jnp.int32)
        return jnp.where(b > 0.5, 0, jnp.where(b < 0.5, 1, coin)).astype(jnp.int32)

    def observe(b, action, reward, info):
        hi, lo, h = params.reward_prob_high, params.reward_prob_low, params.switch_prob
        like_good = jnp.where(reward > 0, hi, 1 - hi)
        like_bad = jnp.where(reward > 0, lo, 1 - lo)
        s2_reached = info["second_stage_state"] == 1
        l_s2_good = jnp.where(s2_reached, like_good, like_bad)  # P(r | S2 good)
        l_s2_bad = jnp.where(s2_reached, like_bad, like_good)  # P(r | S3 good)
        post = b * l_s2_good / (b * l_s2_good + (1 - b) * l_s2_bad)
        prior_next = post * (1 - h) + (1 - post) * h  # the swap before the next trial
        return jnp.where(info["trial_end"], prior_next, b)

    return Policy("bayes_optimal", init=lambda key: jnp.float32(0.5), act=act, observe=observe)


def reference_agents(params: TwoStepParams) -> dict[str, Policy]:
    """The three reference agents of the stay-probability figure, by name."""
    return {
        "model_free": model_free(),
        "model_based": model_based(params),
        "bayes_optimal": bayes_optimal(params),
    }
