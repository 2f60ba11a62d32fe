"""The foraging experiment end to end in its --smoke form (in-process): the network recorded by
default, the analysis, the neural analysis, the paper's targets and the figures."""

import json

import numpy as np

from metarl_jax.pipeline import main
from metarl_jax.plotting.__main__ import main as plotting_main
from metarl_jax.registry import EXPERIMENTS
from metarl_jax.tasks.foraging.neural import VARIABLES
from metarl_jax.tasks.foraging.plots import foraging_figure


def test_foraging_smoke_run_records_analyses_and_draws(tmp_path):
    run_dir = tmp_path / "run"
    assert main(EXPERIMENTS["foraging"](), ["--smoke", "--quiet", "--run-dir", str(run_dir)]) == 0
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["experiment"] == "foraging" and len(summary["seeds"]) == 2
    assert set(summary["paper"]) == {"reward_weights", "matching", "unit_coding"}
    for seed in summary["seeds"]:
        m = seed["metrics"]
        assert isinstance(m["reward_weights_positive"], bool) and np.isfinite(m["matching_slope"])
        assert 0 < m["rw_alpha"] < 1 and 0 < m["rw_beta"] <= 50
    neural = summary["neural"]["seeds"]  # recorded without --record: record_default
    assert len(neural) == 2
    for seed in neural:
        for v in VARIABLES:
            for key in (f"coding_{v}", f"coding_{v}_untrained", f"significant_{v}"):
                assert 0.0 <= seed[key] <= 1.0, key
            assert seed[f"coding_{v}"] <= seed[f"significant_{v}"]
    analysis = json.loads((run_dir / "analysis.json").read_text())
    seed0 = analysis["metarl"]["seeds"][0]
    assert len(seed0["reward_weights"]) == len(seed0["rw_reward_weights"]) == 5
    assert len(seed0["choice_fraction"]) == seed0["matching_episodes"]
    figure = run_dir / "figures" / "foraging.png"
    assert figure.stat().st_size > 20_000
    stamp = figure.stat().st_mtime_ns
    assert plotting_main([str(run_dir)]) == 0  # redrawn from the run's files
    assert figure.stat().st_mtime_ns > stamp


def test_figure_without_neural_results_leaves_the_third_panel_blank(tmp_path):
    seeds = [
        {"reward_weights": [0.5, 0.3], "choice_weights": [-0.2, 0.1], "rw_reward_weights": [0.4, 0.2],
         "rw_choice_weights": [0.0, 0.0], "reward_fraction": [0.2, 0.8], "choice_fraction": [0.3, 0.7],
         "matching_slope": 0.67}
    ]  # fmt: skip
    path = tmp_path / "f.png"
    assert foraging_figure(path, {"metarl": {"seeds": seeds}}, None)
    assert path.stat().st_size > 10_000
    assert not foraging_figure(tmp_path / "g.png", {"metarl": {"seeds": []}}, None)
