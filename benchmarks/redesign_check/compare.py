"""Compare two summary.json files in every field but the timing ones: prints EQUAL or DIFFER.

python benchmarks/redesign_check/compare.py BEFORE.json AFTER.json
"""

import json
import sys

TIMING = {"wall_time_s", "agent_steps_per_s", "trials_per_s"}


def strip(x):
    """The summary without its timing fields, at any depth."""
    if isinstance(x, dict):
        return {k: strip(v) for k, v in x.items() if k not in TIMING}
    if isinstance(x, list):
        return [strip(v) for v in x]
    return x


def main(before: str, after: str) -> int:
    a, b = strip(json.load(open(before))), strip(json.load(open(after)))
    print("EQUAL" if a == b else "DIFFER", before, after)
    for k in a:
        if a.get(k) != b.get(k):
            print(" differs:", k)
    return 0 if a == b else 1


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:3]))
