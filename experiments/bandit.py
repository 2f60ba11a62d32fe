"""Meta-RL on Bernoulli bandits vs Gittins, Thompson sampling, UCB1 (Wang et al. 2016; Duan et al. 2016).

python experiments/bandit.py                     # two-armed independent bandit, 100 trials, 8 seeds
python experiments/bandit.py --smoke             # the whole pipeline in seconds
python experiments/bandit.py --table duan2016    # Duan et al. 2016 Table 1, every baseline
"""

import json
import sys
from pathlib import Path

from metarl_jax.pipeline import EXPERIMENTS, main


def table_duan2016(argv: list[str]) -> int:
    """Baselines of Duan et al. (2016) Table 1 beside the paper's values -> table_duan2016.json."""
    from metarl_jax.baselines.bandit_tables import duan2016_baselines, duan2016_markdown

    smoke = "--smoke" in argv
    out = Path(argv[argv.index("--out") + 1]) if "--out" in argv else Path("runs/bandit/table_duan2016.json")
    kwargs = {"num_problems": 200, "tune_problems": 100, "ns": (10,), "ks": (5,)} if smoke else {}
    rows = duan2016_baselines(**kwargs)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(rows, indent=1) + "\n")
    print(duan2016_markdown(rows))
    print(f"rows in {out}")
    return 0


if __name__ == "__main__":
    args = sys.argv[1:]
    if "--table" in args:
        which = args[args.index("--table") + 1] if args.index("--table") + 1 < len(args) else ""
        if which != "duan2016":
            sys.stderr.write(f"bandit.py: error: --table={which}: choose duan2016 (wang2016 is not built yet)\n")
            sys.exit(2)
        sys.exit(table_duan2016(args))
    sys.exit(main(EXPERIMENTS["bandit"]()))
