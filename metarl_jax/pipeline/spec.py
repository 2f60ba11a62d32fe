"""What an experiment is (:class:`Experiment`, the task's data) and what a run needs (:class:`Setup`)."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any, Callable

import numpy as np

from metarl_jax.training.config import RunConfig, TrainConfig


@dataclasses.dataclass(frozen=True)
class Experiment:
    """What differs between experiments; the pipeline does the rest. Each task's
    ``experiment.py`` builds its specs; ``metarl_jax.registry`` lists them by name."""

    name: str
    make_env: Callable[[], Any]  # -> an Environment instance (its default params are the defaults)
    description: str
    train_defaults: TrainConfig
    env_overrides: dict[str, Any]
    smoke_train: dict[str, Any]
    smoke_env: dict[str, Any]
    baselines: Callable[[Any], dict[str, Any]]  # eval env params -> {name: Policy}
    analyse_seed: Callable[[dict[str, np.ndarray], Any], dict[str, Any]]  # step arrays of one seed -> metrics
    summary_metrics: tuple[str, ...]
    plot: Callable[[Path], Any]  # redraws every figure from the run directory's files
    eval_params: Callable[[Any], Any] = lambda params: params  # e.g. switch to held-out objects
    # Paired comparisons across agents evaluated on the same episodes -> summary["comparisons"].
    compare: Callable[[dict[str, dict[str, np.ndarray]], Any], dict[str, Any]] | None = None
    progress_points: int = 0  # evaluations during training (evenly spaced; for learning-set figures)
    progress_extra: tuple[str, ...] = ()  # per-seed metrics recorded at those points beyond summary_metrics
    smoke_baselines: Callable[[Any], dict[str, Any]] | None = None  # with --smoke, if cheaper than ``baselines``
    # Boolean flags that switch the script to another experiment: (flag field, that experiment's
    # spec factory), e.g. harlow's ("pixels", harlow_pixels) for `experiments/harlow.py --pixels`.
    variants: tuple[tuple[str, Callable[[], Experiment]], ...] = ()
    # With --record: one seed's eval arrays (E, T, ...) and neural arrays (E, T, ...: hidden, cell,
    # value, policy, rpe and their untrained__ twins), the eval params and the seed's own
    # analyse_seed metrics (to reuse a fit) -> named numbers (trained and untrained side by
    # side) for analysis.json and summary.json["neural"].
    analyse_neural: (
        Callable[[dict[str, np.ndarray], dict[str, np.ndarray], Any, dict[str, Any]], dict[str, Any]] | None
    ) = None
    # Env params refused for training (raise ConfigError), e.g. Harlow's held-out objects.
    validate_training: Callable[[Any], None] | None = None
    # What the run records when --record is not given ("all" for tasks whose results are the
    # network's inside); `--record none` turns it off.
    record_default: str | None = None
    # The paper's targets beside ours -> summary.json["paper"] (omitted when empty).
    paper: dict[str, Any] = dataclasses.field(default_factory=dict)

    @property
    def env_name(self) -> str:
        """The env's registered name (config.json's "env")."""
        return self.make_env().name

    def env_and_defaults(self) -> tuple[Any, Any]:
        """The env and its default params with this experiment's overrides."""
        env = self.make_env()
        params = env.default_params
        if self.env_overrides:
            params = params.replace(**self.env_overrides)
        return env.for_params(params), params


@dataclasses.dataclass(frozen=True)
class Setup:
    """Everything a run needs, validated; ``eval_params`` computed once from ``env_params``."""

    spec: Experiment
    train: TrainConfig
    run: RunConfig
    env: Any
    env_params: Any
    eval_params: Any
    run_dir: Path
