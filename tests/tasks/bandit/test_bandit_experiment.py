"""The bandit experiment end to end in its --smoke form, through the Wang et al. (2016)
table driver (one condition): a trained cell, its reuse, cross-evaluation, the heat map."""

import json

import numpy as np
import pytest

from metarl_jax.tasks.bandit.baselines.suite import SMOKE_TUNING
from metarl_jax.tasks.bandit.cells import CellMismatch, run_cell
from metarl_jax.tasks.bandit.plots import wang2016_figure
from metarl_jax.tasks.bandit.tables import WANG2016_TRAIN_FLAGS, wang2016_markdown, wang2016_table
from metarl_jax.tasks.bandit.tables_cli import DEFAULT_OUT, table_parser, tables_main


def test_wang2016_smoke_cell_reuse_and_heat_map(tmp_path):
    grids = SMOKE_TUNING["grids"]
    rows = wang2016_table(tmp_path, ("easy",), extra_flags=["--smoke"], quiet=True, tuning_problems=200, grids=grids)
    run_dir = tmp_path / "train_easy"
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["experiment"] == "bandit" and len(summary["seeds"]) == 2
    assert summary["config"]["env_params"]["distribution"] == "dependent"
    assert summary["config"]["env_params"]["difficulty"] == "easy"
    assert set(summary["baselines"]) == set(SMOKE_TUNING["agents"])
    diffs = summary["comparisons"]["metarl_minus"]
    assert set(diffs) == set(SMOKE_TUNING["agents"]) and all(np.isfinite(d["mean"]) for d in diffs.values())
    assert (run_dir / "figures" / "cumulative_regret.png").stat().st_size > 5000

    by_agent = {(r["train"], r["agent"]): r for r in rows}
    assert set(by_agent) == {("easy", "metarl"), (None, "ts"), (None, "ucb1"), (None, "gittins")}
    trials = summary["config"]["env_params"]["trials_per_episode"]
    random_regret = 0.5 * 0.8 * trials  # easy: |p − (1 − p)| = 0.8 on half the pulls
    for r in rows:
        assert r["test"] == "easy" and 0 <= r["cumulative_regret"] <= 0.8 * trials and r["ci95"] > 0
    assert by_agent[(None, "gittins")]["cumulative_regret"] < 0.5 * random_regret

    # A finished cell is reused, not retrained; asked for other settings, it is refused.
    stamp = (run_dir / "summary.json").stat().st_mtime_ns
    flags = ["--distribution", "dependent", "--difficulty", "easy", *WANG2016_TRAIN_FLAGS, "--smoke"]
    assert run_cell(tmp_path, "train_easy", flags) == run_dir
    assert (run_dir / "summary.json").stat().st_mtime_ns == stamp
    with pytest.raises(CellMismatch, match="gamma"):
        run_cell(tmp_path, "train_easy", [*flags, "--gamma", "0.5"])

    table = wang2016_markdown(rows)
    assert "meta-RL (easy)" in table and "test easy" in table
    wang2016_figure(tmp_path / "heat.png", rows)
    assert (tmp_path / "heat.png").stat().st_size > 5000


def test_table_flags_leave_the_others_in_order_for_the_cells():
    argv = ["--num-seeds", "4", "--table", "duan2016", "--out=/tmp/t", "--smoke", "--gamma", "-0.5", "--no-metarl"]
    args, rest = table_parser().parse_known_args(argv)
    assert (args.table, args.out, args.smoke, args.quiet, args.no_metarl) == ("duan2016", "/tmp/t", True, False, True)
    assert rest == ["--num-seeds", "4", "--gamma", "-0.5"]
    args, rest = table_parser().parse_known_args(["--table=wang2016", "--quiet", "--help"])
    assert (args.table, args.out, args.quiet, args.no_metarl, rest) == (
        "wang2016",
        DEFAULT_OUT,
        True,
        False,
        ["--help"],
    )


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--table", "foo"], "--table=foo: choose one of duan2016, wang2016"),
        (["--table"], "--table=None: choose one of duan2016, wang2016"),
        (["--table", "duan2016", "--out"], "argument --out: expected one argument"),
        (["--table", "duan2016", "--table", "wang2016"], "argument --table: given twice"),
    ],
)
def test_table_usage_errors_exit_2_before_any_work(argv, message, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert tables_main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"bandit.py: error: {message}\nusage: bandit.py --table")
    assert not list(tmp_path.iterdir())  # nothing written, nothing trained
