"""The volatility experiment end to end in its --smoke form (in process): training, evaluation on
the Behrens schedule, the per-phase fits, the recorded network's phase decoding (recorded by
default), the paired comparison, the paper's targets and the figures."""

import json

import numpy as np

from metarl_jax.pipeline import main
from metarl_jax.registry import EXPERIMENTS


def test_smoke_run_writes_the_acceptance_numbers(tmp_path):
    run_dir = tmp_path / "smoke"
    assert main(EXPERIMENTS["volatility"](), ["--smoke", "--quiet", "--run-dir", str(run_dir)]) == 0
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["config"]["env_params"]["schedule"] == "hazard"  # training; evaluation switches to behrens
    assert set(summary["baselines"]) == {"bayes_observer", "rescorla_wagner"}
    for seed in summary["seeds"]:
        m = seed["metrics"]
        assert 0 < m["alpha_stable"] < 1 and 0 < m["alpha_volatile"] < 1
        assert m["alpha_difference"] == m["alpha_volatile"] - m["alpha_stable"]
    diffs = summary["comparisons"]["alpha_volatile_minus_stable"]
    assert set(diffs) == {"metarl", "bayes_observer", "rescorla_wagner"} and diffs["metarl"]["n"] == 2
    assert np.isfinite(diffs["metarl"]["low"]) and diffs["metarl"]["low"] <= diffs["metarl"]["high"]
    recovery = summary["comparisons"]["control_recovery"]
    assert recovery["alpha_true"] == 0.3 and len(recovery["alpha_stable"]) == 2
    neural = summary["neural"]["seeds"]
    assert len(neural) == 2 and all(0 <= s["regime_accuracy"] <= 1 and "regime_chance" in s for s in neural)
    assert "alpha_volatile_greater" in summary["paper"]
    eval_arrays = np.load(run_dir / "eval.npz")
    swaps = np.diff(eval_arrays["metarl__good_option"], axis=-1) != 0
    first = ~eval_arrays["metarl__volatile"][..., 0]
    assert not swaps[first][:, :12].any()  # Behrens schedule: no reversal in a stable phase that comes first
    for fig in ("learning_rates.png", "learning_curve.png", "neural.png"):
        assert (run_dir / "figures" / fig).stat().st_size > 5000, fig
