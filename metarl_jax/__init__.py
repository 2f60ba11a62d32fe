"""metarl_jax: meta-reinforcement learning on neuroscience tasks, in JAX.

Reproduces and extends Wang et al. (2018) "Prefrontal cortex as a
meta-reinforcement learning system" and Wang et al. (2016) "Learning to
reinforcement learn" with pure, jittable environments and vmapped training.
"""

__version__ = "0.1.0"
