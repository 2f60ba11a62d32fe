"""One folder per task: its env, reference agents, analysis, figures and experiment spec.
Tasks import nothing from each other; ``metarl_jax.registry`` lists them."""
