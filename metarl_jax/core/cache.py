"""Where the library keeps things between runs (Gittins tables, XLA executables): one root,
$METARL_JAX_CACHE_DIR, else $XDG_CACHE_HOME/metarl_jax, else ~/.cache/metarl_jax."""

from __future__ import annotations

import os
from pathlib import Path

import jax


def cache_dir() -> Path:
    """Where computed tables persist between runs: $METARL_JAX_CACHE_DIR, else
    $XDG_CACHE_HOME/metarl_jax, else ~/.cache/metarl_jax."""
    if os.environ.get("METARL_JAX_CACHE_DIR"):
        return Path(os.environ["METARL_JAX_CACHE_DIR"])
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "metarl_jax"


def enable_compile_cache(enabled: bool = True) -> str | None:
    """Turn on JAX's persistent compilation cache under ``cache_dir() / "xla"`` so a second
    run of the same program loads its executables instead of compiling them (same numbers).
    A cache directory already chosen (JAX_COMPILATION_CACHE_DIR or ``jax.config``) is kept;
    ``enabled=False`` (``--no-compile-cache``) turns it off. Returns the directory in use."""
    if not enabled:
        jax.config.update("jax_enable_compilation_cache", False)
        return None
    current = jax.config.jax_compilation_cache_dir
    if current:
        return current
    path = cache_dir() / "xla"
    jax.config.update("jax_compilation_cache_dir", str(path))
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
    return str(path)
