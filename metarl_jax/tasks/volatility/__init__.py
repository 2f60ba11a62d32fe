"""Placeholder: the volatility task is being built (issue 21)."""

ENVS: dict = {}
EXPERIMENTS: dict = {}
