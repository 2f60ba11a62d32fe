"""The Harlow experiments (Wang et al. 2018, Fig. 6): symbolic objects, and a rendered screen
(``--pixels``); defaults, reference agents, analysis, figures."""

from __future__ import annotations

import dataclasses

from metarl_jax.core.errors import ConfigError
from metarl_jax.pipeline.spec import Experiment
from metarl_jax.tasks.harlow import baselines, pixels_baselines
from metarl_jax.tasks.harlow.analysis import analyse_pixels_seed, analyse_seed
from metarl_jax.tasks.harlow.env import Harlow
from metarl_jax.tasks.harlow.neural import analyse_neural
from metarl_jax.tasks.harlow.pixels import HarlowPixels
from metarl_jax.tasks.harlow.plots import plot_pixels_run, plot_run
from metarl_jax.training.config import TrainConfig


def _held_out(params):
    """Evaluation on the test object pool."""
    return params.replace(test_objects=True)


def _train_objects_only(params) -> None:
    """Training never sees the held-out pool: its accuracy would no longer be held-out."""
    if params.test_objects:
        raise ConfigError(
            "test_objects",
            params.test_objects,
            "the held-out objects are for evaluation only (evaluation always uses them); train on the training pool",
        )


def harlow() -> Experiment:
    """``python experiments/harlow.py``."""
    return Experiment(
        name="harlow",
        make_env=Harlow,
        description=(
            "Meta-RL on Harlow's learning-set task (Harlow 1949; Wang et al. 2018, Fig. 6), symbolic "
            "objects: train on one object pool, evaluate one-shot learning on held-out objects."
        ),
        # Calibrated on the 2-core CPU: 5 seeds reach 97% on trials 2-6 with held-out objects.
        train_defaults=TrainConfig(
            num_seeds=5,
            total_episodes=256_000,
            num_envs=128,
            chunk_size=25,
            optimizer="adam",
            lr=3e-3,
            eval_episodes=2000,
        ),
        env_overrides={},
        smoke_train={"num_seeds": 2, "total_episodes": 256, "num_envs": 32, "chunk_size": 2, "eval_episodes": 50},
        smoke_env={"num_train_objects": 50, "num_test_objects": 50},
        baselines=baselines.reference_agents,
        analyse_seed=analyse_seed,
        analyse_neural=analyse_neural,
        summary_metrics=("accuracy_trial_1", "accuracy_trials_2_6", "return_fraction", "trials_completed"),
        plot=plot_run,
        eval_params=_held_out,
        validate_training=_train_objects_only,
        progress_points=4,
        progress_extra=("accuracy_by_trial",),
        variants=(("pixels", harlow_pixels),),
    )


def harlow_pixels() -> Experiment:
    """``python experiments/harlow.py --pixels``: the symbolic experiment's evaluation and
    figures on the rendered screen, with a CNN in front of the LSTM."""
    symbolic = harlow()
    return dataclasses.replace(
        symbolic,
        name="harlow_pixels",
        make_env=HarlowPixels,
        description=(
            "Meta-RL on Harlow's learning-set task on a rendered screen (Wang et al. 2018, Fig. 6, 3D lab "
            "version): fixate the cross, look at one of two images; a CNN + LSTM agent learns from pixels "
            "on one object pool and is evaluated on held-out objects (experiments/harlow.py --pixels)."
        ),
        # Calibrated on the 2-core CPU (README): seeds reach 91-98% on trials 2-6 with held-out
        # objects after 48-64k episodes and 98-99% after 96-128k; 4 seeds x 128k episodes train
        # in ~10 min on a busy 2-core machine (~850 episodes/s for all seeds together).
        train_defaults=dataclasses.replace(
            symbolic.train_defaults,
            num_seeds=4,
            total_episodes=128_000,
            encoder="cnn",
            time_input=True,
            eval_episodes=1000,
        ),
        smoke_train={
            "num_seeds": 2,
            "total_episodes": 64,
            "num_envs": 16,
            "chunk_size": 2,
            "hidden_size": 16,
            "eval_episodes": 20,
        },
        smoke_env={"num_train_objects": 20, "num_test_objects": 20},
        baselines=pixels_baselines.reference_agents,
        analyse_seed=analyse_pixels_seed,
        analyse_neural=analyse_neural,  # the same analysis: it finds each trial's steps from the info
        summary_metrics=("accuracy_trial_1", "accuracy_trials_2_6", "return_fraction", "trials_completed", "timeouts"),
        plot=plot_pixels_run,
    )
