"""Two-step figures: the four-panel stay-probability figure (Wang et al. 2018 Fig. 5b)
and the learning curve. Reads analysis.json and metrics.jsonl; never trains."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.lines import Line2D

from metarl_jax.figures import (
    bar_panel,
    bar_panel_handles,
    draw,
    figure_legend,
    figures_of_run,
    plt,
    save_figure,
    training_curve,
)

PANELS = (
    ("model_free", "Model-free"),
    ("model_based", "Model-based"),
    ("bayes_optimal", "Bayes-optimal"),
    ("metarl", "Meta-RL (LSTM A2C)"),
)
CELLS = ("common_rewarded", "rare_rewarded", "common_unrewarded", "rare_unrewarded")
COLORS = ("#1f77b4", "#ff7f0e", "#1f77b4", "#ff7f0e")
# The meta-RL agent's stay probabilities in Wang et al. (2018), Fig. 5b, in CELLS order; read
# off the figure (about ±0.02), as listed in the project's reference numbers.
WANG2018_FIG5B = (0.99, 0.63, 0.62, 0.99)
WANG2018_LABEL = "Wang et al. 2018 Fig. 5b, meta-RL agent (read off the figure, ±0.02)"
REFERENCE_COLOR = "crimson"


def stay_figure(path: Path, analysis: dict[str, Any]) -> None:
    """Four panels: bars of stay probability for (rewarded, unrewarded) × (common, rare), error
    bars = SEM over seeds; the meta-RL panel also shows Wang et al. 2018's values (crimson dashes).
    The legend sits above the panels."""
    fig, axes = plt.subplots(1, 4, figsize=(13, 4.2), sharey=True)
    for ax, (key, title) in zip(axes, PANELS):
        seeds = analysis.get(key, {}).get("seeds", [])
        if not seeds:
            ax.set_axis_off()
            continue
        per_seed = np.array([[np.nan if s[f"stay_{c}"] is None else s[f"stay_{c}"] for c in CELLS] for s in seeds])
        bar_panel(ax, ["C", "R", "C", "R"], per_seed, COLORS, f"{title}\n({len(seeds)} seeds)")
        ax.axvline(1.5, color="grey", lw=0.5)
        ax.text(0.5, -0.18, "rewarded", ha="center", transform=ax.get_xaxis_transform())
        ax.text(2.5, -0.18, "unrewarded", ha="center", transform=ax.get_xaxis_transform())
        if key == "metarl":
            x = np.arange(len(CELLS))
            ax.hlines(WANG2018_FIG5B, x - 0.4, x + 0.4, colors=REFERENCE_COLOR, linestyles="--", lw=2, zorder=4,
                      label=WANG2018_LABEL)  # fmt: skip
    axes[0].set_ylabel("P(repeat first-stage action)")
    handles = [plt.Rectangle((0, 0), 1, 1, color=c) for c in COLORS[:2]]
    labels = ["common transition (C)", "rare transition (R)"]
    sem_handles, sem_labels = bar_panel_handles()
    handles, labels = handles + sem_handles, labels + sem_labels
    if analysis.get("metarl", {}).get("seeds"):
        handles.append(Line2D([], [], color=REFERENCE_COLOR, ls="--", lw=2))
        labels.append(WANG2018_LABEL)
    rect = figure_legend(fig, handles, labels, ncol=3, where="above", fontsize=9)
    save_figure(fig, path, rect=rect)


def learning_figure(path: Path, metrics: list[dict[str, Any]], trials: int, bayes_per_trial: float | None) -> bool:
    """Reward per episode vs training episodes: a line per seed, the mean, Bayes-optimal dashed."""
    ref = {"Bayes-optimal": bayes_per_trial * trials, "chance": 0.5 * trials} if bayes_per_trial else None
    ylabel = f"reward per episode ({trials} trials)"
    return training_curve(path, metrics, ylabel, "Two-step task: training", trials, ref)


def plot_run(run_dir: Path) -> list[Path]:
    """Redraw every two-step figure of a run directory from its files."""
    config, analysis, metrics, figures = figures_of_run(run_dir)
    out: list[Path] = []
    if analysis:
        draw(out, figures / "stay_probabilities.png", stay_figure, analysis)
    bayes = (analysis or {}).get("bayes_optimal", {}).get("aggregate", {}).get("reward_per_trial", {}).get("mean")
    trials = config["env_params"]["trials_per_episode"]
    draw(out, figures / "learning_curve.png", learning_figure, metrics, trials, bayes)
    return out
