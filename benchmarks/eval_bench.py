"""Evaluation throughput with and without ``--record`` (issue 20), side by side in one run:
episodes/s of the default two-step evaluation (8 seeds of initial parameters, the evaluation
keys) through ``metarl_jax.evaluation.evaluate_network``, with the plain rollout and with the
recording one (LSTM h and c, V, π and δ kept per step). Compilation is timed apart.

python benchmarks/eval_bench.py               # default sizes, rows appended to results/
python benchmarks/eval_bench.py --smoke --no-save
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import jax

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from common import append_rows, row, set_mode, time_interleaved  # noqa: E402

from metarl_jax.agents.rollout import make_rollout  # noqa: E402
from metarl_jax.evaluation import evaluate_network  # noqa: E402
from metarl_jax.registry import make  # noqa: E402
from metarl_jax.training.a2c import make_train  # noqa: E402
from metarl_jax.training.config import TrainConfig  # noqa: E402
from metarl_jax.training.loop import seed_keys  # noqa: E402


def bench_eval_record(rows: list, num_seeds: int = 8, episodes: int = 300, min_time: float = 1.0) -> dict[str, float]:
    """Episodes/s (all seeds) of evaluation without and with recording, interleaved rounds."""
    config = TrainConfig(num_seeds=num_seeds, eval_episodes=episodes)
    env, params = make("two_step")
    fns = make_train(config, env, params)
    state = fns.init(seed_keys(config))
    plain = make_rollout(env, params, fns.network, config.time_input)
    recording = make_rollout(env, params, fns.network, config.time_input, record=True)
    calls = {
        "plain": lambda: evaluate_network(plain, state.params, state.seed_key, episodes),
        "record": lambda: evaluate_network(recording, state.params, state.seed_key, episodes, gamma=config.gamma),
    }
    seconds = time_interleaved(calls, min_time=min_time)
    out = {}
    for variant, s in seconds.items():
        out[variant] = num_seeds * episodes / s
        rows.append(
            row("eval_record", "two_step", variant, "episodes_per_s", num_seeds * episodes, out[variant], False)
        )
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="tiny sizes (tests)")
    parser.add_argument("--save", action=argparse.BooleanOptionalAction, default=True, help="append rows to results/")
    args = parser.parse_args(argv)
    set_mode("smoke" if args.smoke else "full")
    rows: list = []
    sizes = {"num_seeds": 2, "episodes": 20, "min_time": 0.05} if args.smoke else {}
    rates = bench_eval_record(rows, **sizes)
    print(f"evaluation (episodes/s, {jax.devices()[0].platform}): plain {rates['plain']:.3g}, "
          f"with --record {rates['record']:.3g} ({rates['record'] / rates['plain']:.2f}x)")  # fmt: skip
    if args.save:
        print(f"rows appended to {append_rows(rows)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
