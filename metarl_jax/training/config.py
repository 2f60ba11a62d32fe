"""Frozen config dataclasses and the one validation pass that runs before any compile.

``TrainConfig`` holds the agent and A2C settings, ``RunConfig`` the run's I/O.
Environment settings are the env's own params dataclass. Field names are the
command-line flags (``total_episodes`` -> ``--total-episodes``).
"""

from __future__ import annotations

import dataclasses
from typing import Any, Literal

from metarl_jax.core.errors import (
    ConfigError,
    check_choice,
    check_finite,
    check_positive_int,
)

OPTIMIZERS = ("rmsprop", "adam")
ENCODERS = ("none", "cnn")  # agent input encoders (LSTMActorCritic.encoder)
EVAL_POLICIES = ("sample", "greedy")
RECORD_FIELDS = ("hidden", "value", "policy", "rpe", "all", "none")  # --record: what evaluation keeps per step
MAX_SEED = 2**32 - 1  # seeds are uint32: seed + i for i < num_seeds must not wrap


@dataclasses.dataclass(frozen=True)
class TrainConfig:
    """Agent, A2C and evaluation settings (Wang et al. 2018 Methods where they say)."""

    seed: int = 0  # first seed; seed i of the run uses jax.random.key(seed + i)
    num_seeds: int = 8  # seeds trained at once (vmapped, sharded across devices)
    total_episodes: int = 20_480  # training episodes per seed (320 updates of 64)
    num_envs: int = 64  # episodes per update per seed
    chunk_size: int = 20  # updates per jitted chunk (Python runs only between chunks)
    hidden_size: int = 48  # LSTM units
    encoder: Literal["none", "cnn"] = "none"  # "cnn": a small CNN in front of the LSTM (pixel tasks)
    time_input: bool = False  # feed trial_index / trials_per_episode to the agent
    lr: float = 2e-2  # 64 episodes per update: far fewer, larger steps than the paper's 7e-4
    optimizer: Literal["rmsprop", "adam"] = "rmsprop"  # the paper's optimizer
    lr_final_scale: float | None = None  # decay lr linearly to lr * this by the last update; off when unset
    gamma: float = 0.9  # discount per trial
    entropy_coef: float = 0.05
    entropy_coef_final: float | None = None  # anneal entropy_coef linearly to this over training; off when unset
    gae_lambda: float = 1.0  # TD(λ) returns / GAE advantages; 1 = Monte-Carlo returns over the episode
    value_coef: float = 0.05
    max_grad_norm: float | None = None  # global-norm clipping; off when unset
    eval_episodes: int = 300  # evaluation episodes per seed, weights frozen
    eval_policy: Literal["sample", "greedy"] = "sample"

    # One line per field for --help (metarl_jax.training.cli); choices come from the Literal types.
    FLAG_HELP = {
        "seed": "first seed; seed i of the run uses jax.random.key(seed + i)",
        "num_seeds": "seeds trained at once (vmapped, sharded across devices)",
        "total_episodes": "training episodes per seed",
        "num_envs": "episodes per update per seed",
        "chunk_size": "updates per jitted chunk (Python runs only between chunks)",
        "hidden_size": "LSTM units",
        "encoder": 'agent input encoder: "none" feeds observations to the LSTM, "cnn" puts a small CNN '
        "in front (image observations only)",
        "time_input": "feed trial_index / trials_per_episode to the agent",
        "lr": "learning rate",
        "optimizer": "gradient optimizer (rmsprop is the paper's)",
        "lr_final_scale": "decay lr linearly to lr * this by the last update; none: constant lr",
        "gamma": "discount per trial",
        "entropy_coef": "entropy bonus coefficient",
        "entropy_coef_final": "anneal entropy_coef linearly to this over training; none: no annealing",
        "gae_lambda": "TD(lambda) returns / GAE advantages; 1 = Monte-Carlo returns over the episode",
        "value_coef": "value loss coefficient",
        "max_grad_norm": "global-norm gradient clipping; none: no clipping",
        "eval_episodes": "evaluation episodes per seed, weights frozen",
        "eval_policy": "evaluation actions: sample = drawn from the policy, greedy = its most likely action",
    }

    @property
    def num_updates(self) -> int:
        """Updates per seed: ceil(total_episodes / num_envs)."""
        return -(-self.total_episodes // self.num_envs)


@dataclasses.dataclass(frozen=True)
class RunConfig:
    """Where results go and how the run behaves; never changes the numbers."""

    name: str | None = None  # run name; a timestamp when unset
    run_dir: str | None = None  # overrides runs/<experiment>/<name>
    overwrite: bool = False  # replace an existing run directory
    resume: str | None = None  # continue the run in this directory from its latest checkpoint
    eval_only: bool = False  # with --resume: only evaluate, analyse and plot the latest checkpoint
    checkpoint_every: int | None = None  # updates between checkpoints (a multiple of chunk_size)
    stop_on_nan: bool = False  # stop at the first non-finite loss or params
    tensorboard: bool = False  # also write TensorBoard event files (needs tensorboardX)
    quiet: bool = False  # no progress bar
    smoke: bool = False  # tiny sizes: the whole pipeline in seconds (tests, CI)
    cpu_devices: int | None = None  # XLA CPU devices the seeds are split over; unset: one per core, as seed_layout uses
    record: str | None = None  # record the agent's inside in evaluation: hidden,value,policy,rpe or all
    record_max_gb: float = 2.0  # refuse a --record whose arrays would exceed this many GiB
    compile_cache: bool = (
        True  # keep compiled programs in ~/.cache/metarl_jax/xla ($METARL_JAX_CACHE_DIR) for the next run
    )

    FLAG_HELP = {
        "name": "run name, the folder under runs/<experiment>/; none: a timestamp",
        "run_dir": "the run directory (overrides runs/<experiment>/<name>)",
        "overwrite": "replace an existing run (a directory with a config.json), kept until the new run's first "
        "checkpoint",
        "resume": "continue the run in this directory from its latest checkpoint",
        "eval_only": "with --resume: only evaluate, analyse and plot the latest checkpoint",
        "checkpoint_every": "updates between checkpoints (a multiple of the chunk size); none: at the end and on "
        "interrupt",
        "stop_on_nan": "stop at the first non-finite loss or params",
        "tensorboard": "also write TensorBoard event files (needs tensorboardX)",
        "quiet": "no progress bar",
        "smoke": "tiny sizes: the whole pipeline in seconds (tests, CI)",
        "cpu_devices": "XLA CPU devices the seeds are split over; none: one per core",
        "record": "also record, per evaluation step, the agent's inside into neural.npz: a comma list of "
        "hidden, value, policy, rpe, or all (trained and untrained network); none: record nothing",
        "record_max_gb": "refuse a --record whose arrays would exceed this many GiB",
        "compile_cache": "keep compiled programs in ~/.cache/metarl_jax/xla ($METARL_JAX_CACHE_DIR) for the next run",
    }


def validate_train_config(config: TrainConfig) -> None:
    """Raise ConfigError naming the first bad field, its value and what is allowed."""
    if isinstance(config.seed, bool) or not isinstance(config.seed, int) or config.seed < 0:
        raise ConfigError("seed", config.seed, "must be an integer >= 0")
    for name in ("num_seeds", "total_episodes", "num_envs", "chunk_size", "hidden_size", "eval_episodes"):
        check_positive_int(name, getattr(config, name))
    if config.seed > MAX_SEED + 1 - config.num_seeds:  # jax.random.key(seed + i) wraps modulo 2^32
        raise ConfigError(
            "seed", config.seed, f"must be in [0, 2^32 - num_seeds] = [0, {MAX_SEED + 1 - config.num_seeds}]"
        )
    if config.total_episodes < config.num_envs:
        raise ConfigError("total_episodes", config.total_episodes, f"must be >= num_envs ({config.num_envs})")
    check_finite("lr", config.lr)
    if config.lr <= 0:
        raise ConfigError("lr", config.lr, "must be > 0")
    if config.lr_final_scale is not None:
        check_finite("lr_final_scale", config.lr_final_scale)
        if not 0.0 <= config.lr_final_scale <= 1.0:
            raise ConfigError("lr_final_scale", config.lr_final_scale, "must be in [0, 1] (unset: constant lr)")
    check_finite("gamma", config.gamma)
    if not 0.0 < config.gamma <= 1.0:
        raise ConfigError("gamma", config.gamma, "must be in (0, 1]")
    for name in ("entropy_coef", "value_coef"):
        check_finite(name, getattr(config, name))
        if getattr(config, name) < 0:
            raise ConfigError(name, getattr(config, name), "must be >= 0")
    if config.entropy_coef_final is not None:
        check_finite("entropy_coef_final", config.entropy_coef_final)
        if config.entropy_coef_final < 0:
            raise ConfigError("entropy_coef_final", config.entropy_coef_final, "must be >= 0 (unset: no annealing)")
    check_finite("gae_lambda", config.gae_lambda)
    if not 0.0 <= config.gae_lambda <= 1.0:
        raise ConfigError("gae_lambda", config.gae_lambda, "must be in [0, 1]")
    if config.max_grad_norm is not None:
        check_finite("max_grad_norm", config.max_grad_norm)
        if config.max_grad_norm <= 0:
            raise ConfigError("max_grad_norm", config.max_grad_norm, "must be > 0 (or unset for no clipping)")
    check_choice("optimizer", config.optimizer, OPTIMIZERS)
    check_choice("encoder", config.encoder, ENCODERS)
    check_choice("eval_policy", config.eval_policy, EVAL_POLICIES)


def validate_run_config(run: RunConfig, train: TrainConfig) -> None:
    """Checks that need both configs (checkpoint cadence) or the machine (tensorboardX).
    Any seed count suits any device count: seeds are padded to split evenly (seed_layout)."""
    if run.record is not None:
        fields = [f.strip() for f in run.record.split(",")]
        if not fields or any(f not in RECORD_FIELDS for f in fields) or ("none" in fields and len(fields) > 1):
            raise ConfigError("record", run.record, f"a comma list of {', '.join(RECORD_FIELDS[:-1])}, or none")
    check_finite("record_max_gb", run.record_max_gb)
    if run.record_max_gb <= 0:
        raise ConfigError("record_max_gb", run.record_max_gb, "must be > 0")
    if run.eval_only and not run.resume:
        raise ConfigError("eval_only", True, "needs --resume DIR (the run to evaluate)")
    if run.resume:
        for name in ("run_dir", "name", "overwrite"):
            if getattr(run, name):
                raise ConfigError(
                    name, getattr(run, name), f"conflicts with --resume={run.resume} (the run continues there)"
                )
    if run.tensorboard:
        try:
            import tensorboardX  # noqa: F401
        except ImportError:
            raise ConfigError("tensorboard", True, "needs tensorboardX: pip install tensorboardX") from None
    if run.checkpoint_every is not None:
        check_positive_int("checkpoint_every", run.checkpoint_every)
        if run.checkpoint_every % train.chunk_size:
            raise ConfigError(
                "checkpoint_every",
                run.checkpoint_every,
                f"must be a multiple of chunk_size ({train.chunk_size})",
            )


def encoder_choices(obs_shape: tuple[int, ...]) -> tuple[str, ...]:
    """The encoders an env with observations of this shape allows (``--encoder``'s choices):
    "cnn" needs an image (H, W, C), as :func:`validate_encoder` checks."""
    return ENCODERS if len(obs_shape) == 3 else tuple(e for e in ENCODERS if e != "cnn")


def validate_encoder(config: TrainConfig, obs_shape: tuple[int, ...]) -> None:
    """The encoder must fit the env's observations: "cnn" needs an image (H, W, C)."""
    check_choice("encoder", config.encoder, ENCODERS)
    if config.encoder == "cnn" and len(obs_shape) != 3:
        raise ConfigError(
            "encoder", config.encoder, f"'cnn' needs image observations (H, W, C); this env's are {tuple(obs_shape)}"
        )


def to_dict(obj: Any) -> dict[str, Any]:
    """A config or params dataclass as a JSON-ready dict (static and leaf fields alike)."""
    return {f.name: getattr(obj, f.name) for f in dataclasses.fields(obj)}
