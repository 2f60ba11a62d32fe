"""Harlow's learning-set task (Harlow 1949; Wang et al. 2018, Fig. 6): symbolic objects and a
rendered screen with a fixation cross; reference agents, accuracy analysis, figures, experiments."""

from metarl_jax.tasks.harlow.env import Harlow, HarlowParams, HarlowState
from metarl_jax.tasks.harlow.experiment import harlow, harlow_pixels
from metarl_jax.tasks.harlow.pixels import HarlowPixels, HarlowPixelsParams, HarlowPixelsState

ENVS = {
    "harlow": Harlow,
    "harlow_fixation": lambda: Harlow(fixation=True),  # 3 actions: left, right, fixate
    "harlow_pixels": HarlowPixels,  # rendered screen, gaze moved by left / right / stay
}
EXPERIMENTS = {"harlow": harlow, "harlow_pixels": harlow_pixels}

__all__ = [
    "ENVS",
    "EXPERIMENTS",
    "Harlow",
    "HarlowParams",
    "HarlowPixels",
    "HarlowPixelsParams",
    "HarlowPixelsState",
    "HarlowState",
]
