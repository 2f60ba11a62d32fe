"""Shared fixtures: tiny configs so the suite stays fast on 2 cores."""

import jax
import jax.monitoring
import pytest

from metarl_jax.training.config import TrainConfig

_COMPILES: list[str] = []


def _listener(event: str, duration: float, **kwargs) -> None:
    if event == "/jax/core/compile/backend_compile_duration":
        _COMPILES.append(event)


jax.monitoring.register_event_duration_secs_listener(_listener)


@pytest.fixture
def compile_counter():
    """Returns a callable giving the number of XLA backend compilations so far."""
    return lambda: len(_COMPILES)


@pytest.fixture
def tiny_config() -> TrainConfig:
    return TrainConfig(
        seed=0,
        num_seeds=3,
        total_episodes=24,
        num_envs=4,
        chunk_size=2,
        hidden_size=8,
        optimizer="adam",
        lr=3e-3,
        eval_episodes=5,
    )
