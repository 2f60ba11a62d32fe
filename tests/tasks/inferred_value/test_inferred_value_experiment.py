"""The inferred-value experiment end to end in its --smoke form: the default run records the
network (record_default "rpe"), writes neural.json with the acceptance numbers, the paper's
targets in summary.json and the figure."""

import json

from metarl_jax.pipeline import main
from metarl_jax.registry import EXPERIMENTS
from metarl_jax.tasks.inferred_value.analysis import CELLS


def test_smoke_run_records_by_default(tmp_path):
    run_dir = tmp_path / "run"
    assert main(EXPERIMENTS["inferred_value"](), ["--smoke", "--quiet", "--run-dir", str(run_dir)]) == 0
    assert (run_dir / "neural.npz").exists()
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["experiment"] == "inferred_value" and len(summary["seeds"]) == 2
    assert "Bromberg-Martin" in summary["paper"]["source"]
    seed = summary["neural"]["seeds"][0]
    for prefix in ("rpe", "untrained_rpe", "mf_rpe"):
        assert {f"{prefix}_{c}" for c in CELLS} <= set(seed)
    assert {"inferred_sign_correct", "mf_follows_old_value", "rpe_inference_index"} <= set(seed)
    assert set(summary["baselines"]) == {"model_free_td"}
    assert (run_dir / "figures" / "inferred_value.png").stat().st_size > 10_000
