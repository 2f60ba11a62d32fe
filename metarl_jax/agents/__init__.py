"""Neural agents."""

from metarl_jax.agents.cnn import CNNEncoder
from metarl_jax.agents.lstm_actor_critic import LSTMActorCritic, agent_inputs

__all__ = ["CNNEncoder", "LSTMActorCritic", "agent_inputs"]
