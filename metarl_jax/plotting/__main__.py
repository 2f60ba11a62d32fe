"""``python -m metarl_jax.plotting RUN_DIR``: redraw a run's figures from its files."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from metarl_jax.registry import EXPERIMENTS


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1 or args[0] in ("-h", "--help"):
        print("usage: python -m metarl_jax.plotting RUN_DIR", file=sys.stderr)
        return 2
    run_dir = Path(args[0])
    config_path = run_dir / "config.json"
    if not config_path.exists():
        print(f"error: {run_dir} is not a run directory (no config.json)", file=sys.stderr)
        return 2
    experiment = json.loads(config_path.read_text())["experiment"]
    if experiment not in EXPERIMENTS:
        print(f"error: no figures for experiment {experiment!r}", file=sys.stderr)
        return 2
    for path in EXPERIMENTS[experiment]().plot(run_dir):
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
