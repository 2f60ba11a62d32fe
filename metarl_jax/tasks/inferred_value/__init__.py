"""Placeholder: the inferred_value task is being built (issue 21)."""

ENVS: dict = {}
EXPERIMENTS: dict = {}
