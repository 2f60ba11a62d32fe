"""The one place that wires train -> evaluate -> analyse -> plot -> summary, for any task.

An experiment is a small spec (:class:`Experiment`: env, defaults, baselines, analysis,
figures) built in its task's folder; every experiment script calls :func:`main` with it.
Also ``--resume DIR`` (continue from the latest checkpoint) and ``--eval-only --resume DIR``.
"""

from metarl_jax.pipeline.run import evaluate_all, main, run_experiment
from metarl_jax.pipeline.setup import EXIT_BAD_CONFIG, EXIT_NON_FINITE, parse, select_variant
from metarl_jax.pipeline.spec import Experiment, Setup
from metarl_jax.pipeline.summary import analyse, build_summary

__all__ = [
    "EXIT_BAD_CONFIG",
    "EXIT_NON_FINITE",
    "Experiment",
    "Setup",
    "analyse",
    "build_summary",
    "evaluate_all",
    "main",
    "parse",
    "run_experiment",
    "select_variant",
]
