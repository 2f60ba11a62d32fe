"""The host loop: run jitted chunks, and between them only progress, metrics and checkpoints."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Callable

import jax
import jax.numpy as jnp
import numpy as np
from tqdm.auto import tqdm

from metarl_jax.training.a2c import TrainFns, TrainState
from metarl_jax.training.config import RunConfig, TrainConfig
from metarl_jax.training.run import MetricsLog, save_checkpoint


def seed_keys(config: TrainConfig) -> jax.Array:
    """Seed i of the run uses jax.random.key(seed + i)."""
    return jax.vmap(jax.random.key)(jnp.arange(config.seed, config.seed + config.num_seeds, dtype=jnp.uint32))


def chunk_row(metrics: dict[str, Any], num_active: int) -> dict[str, Any]:
    """Average a chunk's per-update metrics (K, S) over its active updates -> per-seed lists."""
    out = {}
    for k, v in metrics.items():
        per_seed = np.asarray(v)[:num_active].mean(axis=0)
        out[f"{k}_seeds"] = per_seed.tolist()
        out[k] = float(np.mean(per_seed))
    return out


def train(
    fns: TrainFns,
    state: TrainState,
    config: TrainConfig,
    run: RunConfig,
    trials_per_episode: int,
    steps_per_episode: int,
    run_dir: Path | None,
    on_chunk: Callable[[dict[str, Any]], None] | None = None,
) -> tuple[TrainState, list[dict[str, Any]], float]:
    """Train every seed for config.num_updates updates. Returns (state, metric rows, train seconds)."""
    log = MetricsLog(run_dir / "metrics.jsonl") if run_dir else None
    seeds = list(range(config.seed, config.seed + config.num_seeds))
    done = int(np.asarray(state.update)[0])
    rows: list[dict[str, Any]] = []
    bar = tqdm(
        total=config.num_updates * config.num_envs,
        initial=done * config.num_envs,
        unit="ep",
        desc="train (episodes/seed)",
        disable=run.quiet,
        dynamic_ncols=True,
    )
    t_start = time.perf_counter()
    while done < config.num_updates:
        active = min(config.chunk_size, config.num_updates - done)
        t0 = time.perf_counter()
        state, metrics = fns.update_chunk(state, jnp.int32(active))
        metrics = jax.device_get(metrics)
        dt = time.perf_counter() - t0
        done += active
        episodes = active * config.num_envs * config.num_seeds
        row = {"updates": done, "episodes": done * config.num_envs, "seeds": seeds}
        row.update(chunk_row(metrics, active))
        row["wall_time_s"] = time.perf_counter() - t_start
        row["trials_per_s"] = episodes * trials_per_episode / dt
        row["agent_steps_per_s"] = episodes * steps_per_episode / dt
        rows.append(row)
        if log:
            log.append(row)
        if on_chunk:
            on_chunk(row)
        if run_dir and run.checkpoint_every and done % run.checkpoint_every == 0:
            save_checkpoint(run_dir / "checkpoints", state, done)
        bar.update(active * config.num_envs)
        bar.set_postfix(reward_per_trial=f"{row['reward_per_trial']:.3f}", trials_per_s=f"{row['trials_per_s']:.3g}")
    bar.close()
    return state, rows, time.perf_counter() - t_start
