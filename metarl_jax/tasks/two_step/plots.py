"""Two-step figures: the four-panel stay-probability figure (Wang et al. 2018 Fig. 5b)
and the learning curve. Reads analysis.json and metrics.jsonl; never trains."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from metarl_jax.figures import bar_panel, draw, figures_of_run, plt, save_figure, training_curve

PANELS = (
    ("model_free", "Model-free"),
    ("model_based", "Model-based"),
    ("bayes_optimal", "Bayes-optimal"),
    ("metarl", "Meta-RL (LSTM A2C)"),
)
CELLS = ("common_rewarded", "rare_rewarded", "common_unrewarded", "rare_unrewarded")
COLORS = ("#1f77b4", "#ff7f0e", "#1f77b4", "#ff7f0e")


def stay_figure(path: Path, analysis: dict[str, Any]) -> None:
    """Four panels: bars of stay probability for (rewarded, unrewarded) × (common, rare)."""
    fig, axes = plt.subplots(1, 4, figsize=(13, 3.6), sharey=True)
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
    axes[0].set_ylabel("P(repeat first-stage action)")
    handles = [plt.Rectangle((0, 0), 1, 1, color=c) for c in COLORS[:2]]
    fig.legend(handles, ["common transition (C)", "rare transition (R)"], loc="upper center", ncol=2, fontsize=9)
    save_figure(fig, path, rect=(0, 0, 1, 0.92))


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
