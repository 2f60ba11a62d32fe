"""Tasks as pure, jittable, vmappable functions (gymnax-style)."""

from metarl_jax.envs.bandit import Bandit, BanditParams, BanditState
from metarl_jax.envs.harlow import Harlow, HarlowParams, HarlowState
from metarl_jax.envs.harlow_pixels import HarlowPixels, HarlowPixelsParams, HarlowPixelsState
from metarl_jax.envs.registry import make, registered_envs
from metarl_jax.envs.two_step import TwoStep, TwoStepParams, TwoStepState

__all__ = [
    "Bandit",
    "BanditParams",
    "BanditState",
    "Harlow",
    "HarlowParams",
    "HarlowState",
    "HarlowPixels",
    "HarlowPixelsParams",
    "HarlowPixelsState",
    "TwoStep",
    "TwoStepParams",
    "TwoStepState",
    "make",
    "registered_envs",
]
