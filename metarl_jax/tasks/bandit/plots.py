"""Bandit figures: cumulative regret per trial, a line per agent with its 95% CI band; the
Wang et al. (2016) heat map. Reads analysis.json (or the table's rows); never trains."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.ticker import MaxNLocator

from metarl_jax.figures import draw, figure_legend, figures_of_run, plt, save_figure, training_curve

LABELS = {
    "metarl": "meta-RL (LSTM A2C)",
    "gittins_finite_horizon": "Gittins (finite horizon)",
    "gittins": "Gittins (discounted)",
    "ts": "Thompson",
    "ots": "optimistic Thompson",
    "egreedy": "ε-greedy",
    "ucb1": "UCB1",
}
BAND_LABEL = "band: mean ± 1.96 SEM over seeds (≈95% CI)"


def regret_figure(path: Path, analysis: dict[str, Any]) -> None:
    """Mean cumulative regret after each trial (over seeds' curves) with a ±1.96·SEM band:
    every agent on the left, the same without the random agent (whose regret sets the scale)
    on the right; integer trial ticks, the legend below both panels."""
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.8))
    others = [n for n in analysis if n not in ("metarl", "comparisons")]
    colors = {"metarl": "black"} | {n: f"C{i % 10}" for i, n in enumerate(others)}  # same colour in both panels
    for ax, skip in zip(axes, ((), ("random",))):
        for name, result in analysis.items():
            if name == "comparisons" or name in skip or not result.get("seeds"):
                continue
            curves = np.array([s["regret_curve"] for s in result["seeds"]], dtype=float)  # (S, T)
            mean = curves.mean(0)
            band = 1.96 * curves.std(0, ddof=1) / np.sqrt(len(curves)) if len(curves) > 1 else np.zeros_like(mean)
            trials = np.arange(1, mean.size + 1)
            style = {"lw": 2.2, "zorder": 5} if name == "metarl" else {"lw": 1.0}
            ax.plot(trials, mean, label=LABELS.get(name, name), color=colors[name], **style)
            ax.fill_between(trials, mean - band, mean + band, color=colors[name], alpha=0.2, lw=0)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_xlabel("trial")
        ax.set_ylabel("cumulative regret (best p − chosen p)")
    axes[0].set_title(f"all agents\n{BAND_LABEL}", fontsize=10)
    axes[1].set_title(f"without random\n{BAND_LABEL}", fontsize=10)
    handles, labels = axes[0].get_legend_handles_labels()
    handles.append(plt.Rectangle((0, 0), 1, 1, color="grey", alpha=0.2, lw=0))
    labels.append(BAND_LABEL)
    rect = figure_legend(fig, handles, labels, ncol=min(4, len(labels)))
    fig.suptitle("Bandit: cumulative regret on held-out problems (mean over seeds, ≈95% CI band)")
    save_figure(fig, path, rect=rect)


def plot_run(run_dir: Path) -> list[Path]:
    """Redraw every bandit figure of a run directory from its files."""
    config, analysis, metrics, figures = figures_of_run(run_dir)
    out: list[Path] = []
    if analysis:
        draw(out, figures / "cumulative_regret.png", regret_figure, analysis)
    curve = ("reward per trial (training)", "Bandit: training", 1.0, {"chance": 0.5})
    draw(out, figures / "learning_curve.png", training_curve, metrics, *curve)
    return out


def wang2016_figure(path: Path, rows: list[dict[str, Any]]) -> None:
    """Heat map of cumulative regret: trained-on condition (rows; baselines below) x tested-on
    condition (columns), each cell annotated with mean ± 95% CI (Wang et al. 2016, dependent arms)."""
    tests = list(dict.fromkeys(r["test"] for r in rows))
    labels = list(dict.fromkeys((r["train"], r["agent"]) for r in rows))
    cell = {(r["train"], r["agent"], r["test"]): r for r in rows}
    values = np.array([[cell[(tr, ag, te)]["cumulative_regret"] for te in tests] for tr, ag in labels], float)
    fig, ax = plt.subplots(figsize=(1.6 * len(tests) + 2.5, 0.55 * len(labels) + 1.6))
    im = ax.imshow(values, cmap="viridis_r", aspect="auto")
    for i, (tr, ag) in enumerate(labels):
        for j, te in enumerate(tests):
            r = cell[(tr, ag, te)]
            dark = values[i, j] > np.nanmean(values)
            ax.text(j, i, f"{r['cumulative_regret']:.2f}\n±{r['ci95']:.2f}", ha="center", va="center", fontsize=7,
                    color="white" if dark else "black")  # fmt: skip
    ax.set_xticks(range(len(tests)), [f"test {t}" for t in tests])
    ax.set_yticks(range(len(labels)), [f"meta-RL, trained {tr}" if ag == "metarl" else LABELS.get(ag, ag)
                                       for tr, ag in labels])  # fmt: skip
    ax.set_title("Dependent two-armed bandits: cumulative regret after 100 pulls\n"
                 "(each cell: mean ± 95% CI over all test episodes)", fontsize=10)  # fmt: skip
    fig.colorbar(im, ax=ax, label="cumulative regret")
    save_figure(fig, path)
