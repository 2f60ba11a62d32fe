"""Inferred-value figure (as Wang et al. 2018 Fig. 4): the prediction error at target onset
after a reversal (first trial; second trial experienced or inferred) × the target's new value,
for the trained network, the model-free TD learner and the untrained network. Reads neural.json
(or, without a recording, the model-free learner's numbers in analysis.json); never trains."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.patches import Patch

from metarl_jax import figures as shared  # figure helpers every task uses
from metarl_jax.core.stats import sem
from metarl_jax.figures import plt
from metarl_jax.tasks.inferred_value.analysis import PHASES
from metarl_jax.tasks.inferred_value.neural import SOURCES

TITLES = {"agent": "Meta-RL agent (trained)", "model_free": "Model-free TD learner", "untrained": "Untrained network"}
PHASE_LABELS = {
    "first": "trial 1\n(no evidence yet)",
    "experienced": "trial 2\nexperienced",
    "inferred": "trial 2\ninferred",
}
VALUE_COLORS = {"good": "#2ca02c", "bad": "#d62728"}


def per_seed(seeds: list[dict[str, Any]], prefix: str) -> np.ndarray:
    """(S, phases, 2) onset prediction errors by phase × new value (good, bad); NaN where missing."""
    return np.array(
        [[[np.nan if s.get(f"{prefix}_{p}_{v}") is None else s[f"{prefix}_{p}_{v}"] for v in VALUE_COLORS]
          for p in PHASES] for s in seeds], dtype=float)  # fmt: skip


def _panel(ax, values: np.ndarray, title: str) -> None:
    """Grouped bars (mean ± SEM over seeds), a dot per seed."""
    x = np.arange(len(PHASES))
    rng = np.random.default_rng(0)
    for j, color in enumerate(VALUE_COLORS.values()):
        col = values[:, :, j]
        offset = (j - 0.5) * 0.38
        errs = [sem(col[:, i]) for i in range(len(PHASES))]
        ax.bar(x + offset, np.nanmean(col, 0), 0.38, yerr=errs, capsize=3, color=color, edgecolor="black", lw=0.6)
        for i in range(len(PHASES)):
            jitter = rng.uniform(-0.08, 0.08, col.shape[0])
            ax.scatter(x[i] + offset + jitter, col[:, i], s=8, color="black", alpha=0.7, zorder=3)
    ax.axhline(0, color="black", lw=0.6)
    ax.set_xticks(x, [PHASE_LABELS[p] for p in PHASES], fontsize=8)
    ax.set_title(f"{title}\n({values.shape[0]} seeds)", fontsize=10)


def rpe_figure(path: Path, sources: dict[str, np.ndarray]) -> bool:
    """One panel per source (agent, model-free, untrained, those present); False if none."""
    if not sources:
        return False
    fig, axes = plt.subplots(1, len(sources), figsize=(4.3 * len(sources), 4.4), squeeze=False)
    for ax, (name, values) in zip(axes[0], sources.items()):
        _panel(ax, values, TITLES[name])
    axes[0][0].set_ylabel("prediction error δ at target onset")
    handles = [Patch(facecolor=c, edgecolor="black", label=f"target now {v}") for v, c in VALUE_COLORS.items()]
    sem_handles, sem_labels = shared.bar_panel_handles()
    labels = [h.get_label() for h in handles] + sem_labels
    rect = shared.figure_legend(fig, handles + sem_handles, labels, ncol=4, where="below")
    fig.suptitle("After a reversal: δ when a target appears (experienced: shown on trial 1 too; "
                 "inferred: only the other target was); each panel its own y scale", fontsize=10)  # fmt: skip
    shared.save_figure(fig, path, rect=rect)
    return True


def collect(run_dir: Path) -> dict[str, np.ndarray]:
    """Per-seed numbers of every source in the run: neural.json if recorded, else the model-free
    learner's from analysis.json."""
    neural_path, analysis_path = Path(run_dir) / "neural.json", Path(run_dir) / "analysis.json"
    if neural_path.exists():
        seeds = json.loads(neural_path.read_text()).get("seeds", [])
    elif analysis_path.exists():
        seeds = json.loads(analysis_path.read_text()).get("metarl", {}).get("seeds", [])
    else:
        return {}
    sources = {name: per_seed(seeds, SOURCES[name]) for name in ("agent", "model_free", "untrained")}
    return {name: v for name, v in sources.items() if v.size and not np.isnan(v).all()}


def plot_run(run_dir: Path) -> list[Path]:
    """Redraw the inferred-value figure of a run directory from its files."""
    _, _, _, figures = shared.figures_of_run(run_dir)
    out: list[Path] = []
    shared.draw(out, figures / "inferred_value.png", rpe_figure, collect(run_dir))
    return out
