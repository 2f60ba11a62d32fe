"""Meta-RL and volatility (Wang et al. 2018, Simulation 2; Behrens et al. 2007).

python experiments/volatility.py            # 8 seeds, default settings
python experiments/volatility.py --smoke    # the whole pipeline in seconds
python experiments/volatility.py --help     # every flag and its default
"""

import sys

from metarl_jax.pipeline import main
from metarl_jax.registry import EXPERIMENTS

if __name__ == "__main__":
    sys.exit(main(EXPERIMENTS["volatility"]()))
