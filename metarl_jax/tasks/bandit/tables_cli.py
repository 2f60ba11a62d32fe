"""``bandit.py --table NAME``: the paper tables' command line (its flags, the run, the files written)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import NoReturn, Sequence

from metarl_jax.tasks.bandit.baselines.suite import SMOKE_TUNING
from metarl_jax.tasks.bandit.cells import CellMismatch, check_cell_flags
from metarl_jax.tasks.bandit.plots import wang2016_figure
from metarl_jax.tasks.bandit.tables import (
    WANG2016_CONDITIONS,
    duan2016_baselines,
    duan2016_markdown,
    duan2016_metarl_rows,
    wang2016_markdown,
    wang2016_table,
)
from metarl_jax.training.loop import TrainingInterrupted

TABLES = ("duan2016", "wang2016")
DEFAULT_OUT = "runs/bandit/tables"
TABLE_USAGE = (
    "usage: bandit.py --table {duan2016,wang2016} [--out DIR] [--smoke] [--quiet] [--no-metarl] [training flags]\n"
    "  duan2016   Duan et al. 2016 Table 1: every baseline, n in {10,100,500} x k in {5,10,50},\n"
    "             and the meta-RL agent trained in each cell with n in {10,100} (--no-metarl: baselines only)\n"
    "  wang2016   Wang et al. 2016 dependent arms: train on uniform/easy/medium/hard, test on each (heat map)\n"
    f"  --out DIR  table files and one run directory per trained cell (default {DEFAULT_OUT});\n"
    "             rerunning reuses finished cells and resumes interrupted ones\n"
    "  other flags (e.g. --num-seeds 4) go to every cell's training run (see bandit.py --help)\n"
)


class UsageError(Exception):
    """A malformed table flag (e.g. ``--out`` without its directory)."""


class _TableParser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(message)


class _Once(argparse.Action):
    """Store the flag's value (``const`` for a flag without one); a second use is a usage error, as
    the earlier hand-written parsing left it to the cells' parser, which refused it."""

    def __call__(self, parser, namespace, values, option_string=None):
        given = f"_{self.dest}_given"  # on the namespace: one parse's record
        if getattr(namespace, given, False):
            parser.error(f"argument {option_string}: given twice")
        setattr(namespace, given, True)
        setattr(namespace, self.dest, self.const if self.nargs == 0 else values)


def table_parser() -> argparse.ArgumentParser:
    """The table's own flags; ``parse_known_args`` leaves every other flag, in order, for the
    cells' training runs. No abbreviations and no -h of its own: ``--help`` reaches the cells'
    parser, which prints the training flags."""
    parser = _TableParser(prog="bandit.py", add_help=False, allow_abbrev=False)
    parser.add_argument("--table", nargs="?", action=_Once)  # checked in tables_main, for its message
    parser.add_argument("--out", default=DEFAULT_OUT, action=_Once)
    parser.add_argument("--no-metarl", nargs=0, const=True, default=False, action=_Once)
    parser.add_argument("--smoke", action="store_true")  # table sizes here, and passed on to every cell
    parser.add_argument("--quiet", action="store_true")
    return parser


def _usage_error(message: str) -> int:
    sys.stderr.write(f"bandit.py: error: {message}\n{TABLE_USAGE}")
    return 2


def tables_main(argv: Sequence[str]) -> int:
    """``bandit.py --table NAME ...``: build the table, print it as markdown, write JSON (+ figure).
    Exit 0 ok, 2 bad usage, 128 + signal when interrupted (finished cells are kept)."""
    try:
        args, rest = table_parser().parse_known_args(list(argv))
    except UsageError as err:
        return _usage_error(str(err))
    if args.table not in TABLES:
        return _usage_error(f"--table={args.table}: choose one of {', '.join(TABLES)}")
    out, smoke, quiet = Path(args.out), args.smoke, args.quiet
    cell_flags = [*rest, *(["--smoke"] if smoke else [])]  # run_cell drops table sizes with --smoke
    check_cell_flags(cell_flags)  # a bad flag fails now, not after ten minutes of baselines
    out.mkdir(parents=True, exist_ok=True)
    try:
        if args.table == "duan2016":
            kwargs = {"num_problems": 200, "tune_problems": 100, "ns": (10,), "ks": (5,)} if smoke else {}
            rows = duan2016_baselines(**kwargs)
            if not args.no_metarl:
                grid = {"ns": (10,), "ks": (5,)} if smoke else {}
                rows += duan2016_metarl_rows(out, extra_flags=cell_flags, quiet=quiet, **grid)
            path = out / "table_duan2016.json"
            path.write_text(json.dumps(rows, indent=1) + "\n")
            print(duan2016_markdown(rows))
        else:
            conditions = ("uniform", "easy") if smoke else WANG2016_CONDITIONS
            tuning = {k: SMOKE_TUNING[k] for k in ("tuning_problems", "grids")} if smoke else {}
            rows = wang2016_table(out, conditions, extra_flags=cell_flags, quiet=quiet, **tuning)
            path = out / "table_wang2016.json"
            path.write_text(json.dumps(rows, indent=1) + "\n")
            wang2016_figure(out / "wang2016_regret.png", rows)
            print(wang2016_markdown(rows))
            print(f"heat map in {out / 'wang2016_regret.png'}")
    except CellMismatch as err:
        sys.stderr.write(f"bandit.py: error: {err}\n")
        return 2
    except TrainingInterrupted as err:
        sys.stderr.write(f"bandit.py: {err}; finished cells are kept. Rerun the same command to continue.\n")
        return 128 + err.signum
    print(f"rows in {path}")
    return 0
