"""The host loop: run jitted chunks, and between them only progress, metrics, the NaN
guard, checkpoints and signal handling. Nothing here changes the numbers."""

from __future__ import annotations

import signal
import time
from pathlib import Path
from typing import Any, Callable

import jax
import jax.numpy as jnp
import numpy as np
from tqdm.auto import tqdm

from metarl_jax.training.a2c import TrainFns, TrainState
from metarl_jax.training.checkpoint import save_checkpoint
from metarl_jax.training.config import RunConfig, TrainConfig
from metarl_jax.training.run_dir import MetricsLog
from metarl_jax.training.seed_layout import SeedLayout

# Fields of a metrics row that depend on timing, not on the numbers (includes_compile: the
# first chunk of a process, whose time includes compiling).
TIMING_FIELDS = ("wall_time_s", "chunk_time_s", "trials_per_s", "agent_steps_per_s", "includes_compile")


class TrainingInterrupted(Exception):
    """SIGINT/SIGTERM arrived; a checkpoint was written at ``update``."""

    def __init__(self, signum: int, update: int):
        self.signum, self.update = signum, update
        super().__init__(f"interrupted by {signal.Signals(signum).name} at update {update}")


class NonFiniteStop(Exception):
    """--stop-on-nan: a seed went non-finite; the (finite) state was checkpointed."""

    def __init__(self, frozen: dict[int, int], update: int):
        self.frozen, self.update = frozen, update
        super().__init__(describe_frozen(frozen))


def describe_frozen(frozen: dict[int, int]) -> str:
    """{seed: update} -> 'seed 3 (update 120), seed 5 (update 340)'."""
    return ", ".join(f"seed {s} (update {u})" for s, u in sorted(frozen.items()))


def seed_keys(config: TrainConfig) -> jax.Array:
    """Seed i of the run uses jax.random.key(seed + i)."""
    return jax.vmap(jax.random.key)(jnp.arange(config.seed, config.seed + config.num_seeds, dtype=jnp.uint32))


def frozen_seeds(state: TrainState, config: TrainConfig) -> dict[int, int]:
    """Seeds frozen by the NaN guard -> the update at which each went non-finite."""
    frozen_at = np.asarray(jax.device_get(state.frozen_at))[: config.num_seeds]  # pad seeds ignored
    return {config.seed + i: int(u) for i, u in enumerate(frozen_at) if u >= 0}


def chunk_row(metrics: dict[str, Any], num_active: int) -> dict[str, Any]:
    """Average a chunk's per-update metrics (K, S) over its active updates -> per-seed lists."""
    out = {}
    for k, v in metrics.items():
        per_seed = np.asarray(v)[:num_active].mean(axis=0)
        out[f"{k}_seeds"] = per_seed.tolist()
        out[k] = float(np.nanmean(per_seed)) if np.isfinite(per_seed).any() else float("nan")
    return out


def metrics_row(
    config: TrainConfig,
    done: int,
    active: int,
    metrics: dict[str, Any],
    frozen: list[int],
    elapsed: float,
    chunk_time: float,
    trials_per_episode: int,
    steps_per_episode: int,
) -> dict[str, Any]:
    """One metrics.jsonl row after a chunk of ``active`` updates (``done`` in all): per-seed
    and mean metrics (K, S) of the chunk, the frozen seeds, timing and throughput."""
    episodes = active * config.num_envs * config.num_seeds
    row: dict[str, Any] = {
        "updates": done,
        "episodes": done * config.num_envs,
        "seeds": list(range(config.seed, config.seed + config.num_seeds)),
    }
    row.update(chunk_row(metrics, active))
    row["frozen_seeds"] = frozen
    row["wall_time_s"] = elapsed
    row["chunk_time_s"] = chunk_time
    row["trials_per_s"] = episodes * trials_per_episode / chunk_time
    row["agent_steps_per_s"] = episodes * steps_per_episode / chunk_time
    return row


class _SignalCatcher:
    """Turn SIGINT/SIGTERM into a flag the loop checks between chunks."""

    def __init__(self) -> None:
        self.signum: int | None = None
        self._old: dict[int, Any] = {}

    def __enter__(self) -> _SignalCatcher:
        for sig in (signal.SIGINT, signal.SIGTERM):
            try:
                self._old[sig] = signal.signal(sig, self._handle)
            except ValueError:  # not the main thread: leave signals alone
                pass
        return self

    def _handle(self, signum: int, frame: Any) -> None:
        if self.signum is not None:  # a second signal: give up at once
            raise KeyboardInterrupt
        self.signum = signum

    def __exit__(self, *exc: Any) -> None:
        for sig, old in self._old.items():
            signal.signal(sig, old)


class TensorBoardLog:
    """Per-seed and mean scalars of every chunk, step = training episodes per seed."""

    def __init__(self, log_dir: Path):
        from tensorboardX import SummaryWriter  # optional (--tensorboard; the tensorboard extra)

        self.writer = SummaryWriter(str(log_dir))

    def write(self, row: dict[str, Any]) -> None:
        step = row["episodes"]
        for key, value in row.items():
            name = key[: -len("_seeds")]
            if key.endswith("_seeds") and name in row:
                for seed, v in zip(row["seeds"], value):
                    self.writer.add_scalar(f"{name}/seed_{seed}", v, step)
                self.writer.add_scalar(f"{name}/mean", row[name], step)
        self.writer.add_scalar("throughput/trials_per_s", row["trials_per_s"], step)
        self.writer.flush()

    def close(self) -> None:
        self.writer.close()


def train(
    fns: TrainFns,
    state: TrainState,
    config: TrainConfig,
    run: RunConfig,
    trials_per_episode: int,
    steps_per_episode: int,
    run_dir: Path | None,
    tensorboard: bool = False,
    progress_eval: Callable[[TrainState], dict[str, Any]] | None = None,
    progress_points: int = 0,
    layout: SeedLayout | None = None,
    on_checkpoint: Callable[[int], None] | None = None,
    run_id: str | None = None,
) -> tuple[TrainState, list[dict[str, Any]]]:
    """Train every seed up to config.num_updates updates, from wherever ``state`` is.

    ``progress_eval(state)`` runs at the first chunk boundary at or after each of
    ``progress_points`` evenly spaced fractions of training (the last at the end); its
    result is stored under "progress_eval" in that chunk's metrics row.
    The seeds are padded and sharded across devices here by ``layout`` (the run's
    :class:`SeedLayout`; computed from the config when not given); metrics,
    checkpoints, ``progress_eval`` and the returned state hold only the real seeds.
    Writes a metrics row per chunk, checkpoints every ``run.checkpoint_every`` updates and
    at the end. Raises TrainingInterrupted (after checkpointing) on SIGINT/SIGTERM and
    NonFiniteStop with ``run.stop_on_nan``. ``on_checkpoint(update)`` runs after each checkpoint
    is on disk; checkpoints carry ``run_id``. Returns (state, metric rows of this call)."""
    log = MetricsLog(run_dir / "metrics.jsonl") if run_dir else None
    tb = TensorBoardLog(run_dir / "tensorboard") if (tensorboard and run_dir) else None
    ckpt_dir = run_dir / "checkpoints" if run_dir else None
    layout = layout or SeedLayout.for_run(config.num_seeds)
    state = layout.for_training(state)
    real = layout.real

    def checkpoint(s: TrainState, update: int) -> None:
        save_checkpoint(ckpt_dir, real(s), update, run_id)
        if on_checkpoint:
            on_checkpoint(update)

    done = int(np.asarray(jax.device_get(state.update))[0])
    known_frozen = frozen_seeds(state, config)
    targets = [-(-config.num_updates * (i + 1) // progress_points) for i in range(progress_points)]
    rows: list[dict[str, Any]] = []
    bar = tqdm(
        total=config.num_updates * config.num_envs,
        initial=done * config.num_envs,
        unit="ep",
        desc="train (episodes/seed; compiling the first chunk)",
        disable=run.quiet,
        dynamic_ncols=True,
    )
    t_start = time.perf_counter()
    try:
        with _SignalCatcher() as signals:
            while done < config.num_updates:
                active = min(config.chunk_size, config.num_updates - done)
                t0 = time.perf_counter()
                state, metrics = fns.update_chunk(state, jnp.int32(active))
                metrics = {k: np.asarray(v)[:, : config.num_seeds] for k, v in jax.device_get(metrics).items()}
                dt = time.perf_counter() - t0
                done += active
                frozen = frozen_seeds(state, config)
                row = metrics_row(config, done, active, metrics, sorted(frozen), time.perf_counter() - t_start, dt,
                                  trials_per_episode, steps_per_episode)  # fmt: skip
                if not rows:
                    row["includes_compile"] = True  # this process's first chunk: its time includes compiling
                    bar.set_description_str("train (episodes/seed)")
                if progress_eval and any(done - active < t <= done for t in targets):
                    row["progress_eval"] = progress_eval(real(state))
                rows.append(row)
                if log:
                    log.append(row)
                if tb:
                    tb.write(row)
                new = {s: u for s, u in frozen.items() if s not in known_frozen}
                if new:
                    known_frozen = frozen
                    tqdm.write(f"warning: non-finite loss or params, frozen: {describe_frozen(new)}")
                    if run.stop_on_nan:
                        if ckpt_dir:
                            checkpoint(state, done)
                        raise NonFiniteStop(frozen, done)
                if ckpt_dir and run.checkpoint_every and done % run.checkpoint_every == 0:
                    checkpoint(state, done)
                bar.update(active * config.num_envs)
                bar.set_postfix(
                    reward_per_trial=f"{row['reward_per_trial']:.3f}", trials_per_s=f"{row['trials_per_s']:.3g}"
                )
                if signals.signum is not None:
                    if ckpt_dir:
                        checkpoint(state, done)
                    raise TrainingInterrupted(signals.signum, done)
        just_saved = bool(run.checkpoint_every) and done % run.checkpoint_every == 0
        if ckpt_dir and rows and not just_saved:
            checkpoint(state, done)
    finally:
        bar.close()
        if tb:
            tb.close()
    return real(state), rows
