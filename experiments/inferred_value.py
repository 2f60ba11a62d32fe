"""Meta-RL on the inferred-value task (Bromberg-Martin et al. 2010; Wang et al. 2018, Fig. 4).

python experiments/inferred_value.py            # 8 seeds, default settings
python experiments/inferred_value.py --smoke    # the whole pipeline in seconds
python experiments/inferred_value.py --help     # every flag and its default
"""

import sys

from metarl_jax.pipeline import main
from metarl_jax.registry import EXPERIMENTS

if __name__ == "__main__":
    sys.exit(main(EXPERIMENTS["inferred_value"]()))
