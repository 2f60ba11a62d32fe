"""Meta-RL on Harlow's learning-set task (Wang et al. 2018, Fig. 6): symbolic objects, or
a rendered screen with --pixels.

python experiments/harlow.py            # 5 seeds, evaluated on 2000 held-out problems each
python experiments/harlow.py --pixels   # the rendered-screen version: CNN + LSTM from 32x32 pixels
python experiments/harlow.py --smoke    # the whole pipeline in seconds
python experiments/harlow.py --help     # every flag and its default
"""

import sys

from metarl_jax.pipeline import main
from metarl_jax.registry import EXPERIMENTS

if __name__ == "__main__":
    sys.exit(main(EXPERIMENTS["harlow"]()))
