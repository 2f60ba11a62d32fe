"""``python -m metarl_jax.plotting RUN_DIR`` redraws a run's figures with its task's plots; never trains."""
