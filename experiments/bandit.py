"""Meta-RL on Bernoulli bandits vs Gittins, Thompson sampling, UCB1 (Wang et al. 2016; Duan et al. 2016).

python experiments/bandit.py                     # two-armed independent bandit, 100 trials, 8 seeds
python experiments/bandit.py --smoke             # the whole pipeline in seconds
python experiments/bandit.py --table duan2016    # Duan et al. 2016 Table 1: baselines and meta-RL
python experiments/bandit.py --table wang2016    # Wang et al. 2016 dependent arms: train x test heat map
"""

import sys

from metarl_jax.pipeline import main
from metarl_jax.registry import EXPERIMENTS
from metarl_jax.tasks.bandit.tables_cli import tables_main

if __name__ == "__main__":
    args = sys.argv[1:]
    if any(a == "--table" or a.startswith("--table=") for a in args):
        sys.exit(tables_main(args))
    sys.exit(main(EXPERIMENTS["bandit"]()))
