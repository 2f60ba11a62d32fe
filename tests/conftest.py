"""Shared fixtures: tiny configs so the suite stays fast on 2 cores."""

import atexit
import os
import shutil
import tempfile

import jax
import jax.monitoring
import pytest

from metarl_jax.training.config import TrainConfig

# One XLA compilation cache for the whole session, this process and the scripts the tests
# start (through the environment): the smoke runs of the README, the pipeline and the
# benchmarks compile the same programs many times over. Fresh per session (and removed
# at exit), so nothing outside the suite is read; compile_counter counts cache hits as compiles.
_XLA_CACHE = {
    "JAX_COMPILATION_CACHE_DIR": tempfile.mkdtemp(prefix="metarl-jax-tests-xla-"),
    "JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS": "0",
    "JAX_PERSISTENT_CACHE_MIN_ENTRY_SIZE_BYTES": "-1",
}
os.environ.update(_XLA_CACHE)
atexit.register(shutil.rmtree, _XLA_CACHE["JAX_COMPILATION_CACHE_DIR"], ignore_errors=True)
jax.config.update("jax_compilation_cache_dir", _XLA_CACHE["JAX_COMPILATION_CACHE_DIR"])
jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
jax.config.update("jax_persistent_cache_min_entry_size_bytes", -1)

# In-process tests run on one CPU device whatever the test order (an experiment parsed in
# this process would otherwise split the CPU into one device per core, see
# metarl_jax.training.cpu_devices); the scripts the tests start choose their own count.
jax.config.update("jax_num_cpu_devices", 1)

_COMPILES: list[str] = []


def _duration_listener(event: str, duration: float, **kwargs) -> None:
    if event == "/jax/core/compile/backend_compile_duration":
        _COMPILES.append(event)


def _event_listener(event: str, **kwargs) -> None:
    if event == "/jax/compilation_cache/cache_hits":  # an executable loaded instead of compiled
        _COMPILES.append(event)


jax.monitoring.register_event_duration_secs_listener(_duration_listener)
jax.monitoring.register_event_listener(_event_listener)


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
    """Returns a callable giving the number of XLA executables built (or loaded from the
    session's compilation cache) so far."""
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


# Scripts the tests start at tiny (--smoke) sizes spend most of their time in XLA's
# compiler; at backend optimisation level 0 they run 1.4-1.7x as fast (the Harlow smoke
# run 17 -> 10.5 s on the 2-core EPYC, the README's examples 130 -> 76 s) and still
# check what those tests check (files, formats, agreement between runs). In-process tests,
# and the scripts whose numbers are compared with them, keep XLA's default level.
FAST_COMPILE_FLAG = "--xla_backend_optimization_level=0"


@pytest.fixture(scope="session")
def fast_compile_flag() -> str:
    """The XLA flag for the fastest compile (see above)."""
    return FAST_COMPILE_FLAG


@pytest.fixture(scope="session")
def fast_compile_env() -> dict[str, str]:
    """os.environ for a child process, with XLA_FLAGS asking for the fastest compile."""
    return dict(os.environ, XLA_FLAGS=f"{os.environ.get('XLA_FLAGS', '')} {FAST_COMPILE_FLAG}".strip())
