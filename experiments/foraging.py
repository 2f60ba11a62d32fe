"""Meta-RL on the baited two-armed foraging task (Wang et al. 2018 Simulation 1, Fig. 2; Tsutsui et al. 2016).

python experiments/foraging.py            # 8 seeds, default settings (records the network's hidden state)
python experiments/foraging.py --smoke    # the whole pipeline in seconds
python experiments/foraging.py --help     # every flag and its default
"""

import sys

from metarl_jax.pipeline import main
from metarl_jax.registry import EXPERIMENTS

if __name__ == "__main__":
    sys.exit(main(EXPERIMENTS["foraging"]()))
