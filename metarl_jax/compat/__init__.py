"""Adapters that let other libraries drive our environments.

``metarl_jax.compat.gymnax``: our envs behind the installed gymnax's
``Environment`` API, with gymnax's auto-reset (needs ``pip install gymnax six``;
imported on demand so the core package does not depend on gymnax).
"""
