"""benchmarks/eval_bench.py: evaluation with and without --record, rows for both in one run."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
import eval_bench  # noqa: E402


def test_eval_bench_rows_for_plain_and_recorded_evaluation():
    rows: list = []
    rates = eval_bench.bench_eval_record(rows, num_seeds=2, episodes=8, min_time=0.01)
    assert {r["variant"] for r in rows} == {"plain", "record"}
    assert all(r["bench"] == "eval_record" and r["unit"] == "episodes_per_s" and r["value"] > 0 for r in rows)
    assert rates["plain"] > 0 and rates["record"] > 0
