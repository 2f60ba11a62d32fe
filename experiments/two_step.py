"""Meta-RL on the two-step task (Wang et al. 2018, Fig. 5).

python experiments/two_step.py            # 8 seeds, default settings
python experiments/two_step.py --smoke    # the whole pipeline in seconds
python experiments/two_step.py --help     # every flag and its default
"""

import sys

from metarl_jax.pipeline import main
from metarl_jax.registry import EXPERIMENTS

if __name__ == "__main__":
    sys.exit(main(EXPERIMENTS["two_step"]()))
