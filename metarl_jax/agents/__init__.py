"""Neural agents."""

from metarl_jax.agents.lstm_actor_critic import LSTMActorCritic, agent_inputs

__all__ = ["LSTMActorCritic", "agent_inputs"]
