"""Classical bandit agents (random, greedy, ε-greedy, UCB1, Thompson sampling, Gittins) and their tuning.

``policies`` (the agents and their ``Counts`` state), ``samplers`` (Gamma / Beta draws),
``gittins`` (index computation), ``gittins_tables`` (indices cached per γ), ``tuning``
(agents by name, hyperparameter grids, totals-only rollouts), ``suite`` (an experiment's tuned set).
"""
