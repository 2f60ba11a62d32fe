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


@pytest.fixture(autouse=True, scope="session")
def _private_cache_dir(tmp_path_factory):
    """Tables the library caches on disk (Gittins indices) go to a fresh directory: the
    suite computes what it checks and never touches the user's cache."""
    import os

    old = os.environ.get("METARL_JAX_CACHE_DIR")
    os.environ["METARL_JAX_CACHE_DIR"] = str(tmp_path_factory.mktemp("cache"))
    yield
    if old is None:
        os.environ.pop("METARL_JAX_CACHE_DIR", None)
    else:
        os.environ["METARL_JAX_CACHE_DIR"] = old


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
