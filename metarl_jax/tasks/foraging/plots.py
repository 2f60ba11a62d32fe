"""Foraging figures: the three-panel figure (regression weights of the agent and of the fitted
Rescorla–Wagner learner, matching, unit coding trained vs untrained; Wang et al. 2018 Fig. 2)
and the learning curve. Reads analysis.json, neural.json and metrics.jsonl; never trains."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from metarl_jax import figures as shared  # figure helpers every task uses
from metarl_jax.core.stats import sem
from metarl_jax.figures import plt
from metarl_jax.tasks.foraging.neural import MIN_MODULATION, VARIABLES

AGENT, REFERENCE, UNTRAINED = "#1f77b4", "#d62728", "#bbbbbb"
VARIABLE_LABELS = ("previous\naction", "previous\nreward", "action ×\nreward", "chosen\nvalue")


def _mean_sem(rows: list[list[float]]) -> tuple[np.ndarray, np.ndarray]:
    arr = np.asarray(rows, dtype=float)
    return arr.mean(0), np.array([sem(arr[:, j]) for j in range(arr.shape[1])])


def _weights_panel(ax, seeds: list[dict[str, Any]]) -> None:
    """Reward (solid) and choice (dashed) weights by lag, agent and fitted RW, mean ± SEM over seeds."""
    for prefix, color, name in (("", AGENT, "meta-RL"), ("rw_", REFERENCE, "fitted Rescorla–Wagner")):
        for kind, style in (("reward", "-"), ("choice", "--")):
            mean, err = _mean_sem([s[f"{prefix}{kind}_weights"] for s in seeds])
            lags = np.arange(1, mean.size + 1)
            ax.errorbar(lags, mean, yerr=err, color=color, ls=style, marker="o", ms=4, capsize=3,
                        label=f"{name}: {kind}")  # fmt: skip
    ax.axhline(0, color="black", lw=0.6)
    ax.set_xticks(np.arange(1, len(seeds[0]["reward_weights"]) + 1))
    ax.set_xlabel("trials back (lag)")
    ax.set_ylabel("logistic regression weight")
    ax.set_title(f"Choice on past rewards and choices\n(Lau & Glimcher 2005; {shared.SEM_LABEL})", fontsize=10)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.18), fontsize=7, ncol=2)


def _matching_panel(ax, seeds: list[dict[str, Any]]) -> None:
    """Per-episode choice fraction vs reward fraction of option 1 (all seeds), the unity line and
    the least-squares line over all episodes; the per-seed slopes in the title."""
    x = np.concatenate([s["reward_fraction"] for s in seeds])
    y = np.concatenate([s["choice_fraction"] for s in seeds])
    ax.scatter(x, y, s=4, alpha=0.25, color=AGENT, lw=0, label="one episode (all seeds)")
    ax.plot([0, 1], [0, 1], color="black", ls=":", lw=1, label="matching (slope 1)")
    slopes = np.array([np.nan if s["matching_slope"] is None else s["matching_slope"] for s in seeds])
    if x.size > 1 and np.ptp(x) > 0:
        fit = np.polyfit(x, y, 1)
        ax.plot([0, 1], np.polyval(fit, [0, 1]), color=REFERENCE, lw=2, label=f"fit over episodes, slope {fit[0]:.2f}")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_aspect("equal")
    ax.set_xlabel("fraction of rewards from option 1")
    ax.set_ylabel("fraction of choices of option 1")
    ax.set_title(f"Matching: slope per seed {np.nanmean(slopes):.2f} ± {sem(slopes):.2f}\n"
                 f"({shared.SEM_LABEL}, {len(seeds)} seeds)", fontsize=10)  # fmt: skip
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.18), fontsize=7)


def _coding_panel(ax, seeds: list[dict[str, Any]]) -> None:
    """Fraction of units coding each variable (significant and modulated by >= MIN_MODULATION),
    untrained and trained side by side (bars: mean ± SEM over seeds, a line per seed); open
    diamonds: the fraction significant by the t-test alone."""
    for i, variable in enumerate(VARIABLES):
        x = 3 * i + np.arange(2)
        for j, (suffix, color, label) in enumerate((("_untrained", UNTRAINED, "untrained"), ("", AGENT, "trained"))):
            values = np.array([s[f"coding_{variable}{suffix}"] for s in seeds], float)
            ax.bar(x[j], values.mean(), yerr=sem(values), capsize=3, color=color, edgecolor="black", lw=0.6,
                   label=label if i == 0 else None)  # fmt: skip
            significant = np.mean([s[f"significant_{variable}{suffix}"] for s in seeds])
            ax.scatter(x[j], significant, marker="D", s=22, facecolor="none", edgecolor="black", zorder=4,
                       label="significant alone (t-test), mean" if i == 0 and j == 0 else None)  # fmt: skip
        per_seed = np.array([[s[f"coding_{variable}_untrained"], s[f"coding_{variable}"]] for s in seeds], float)
        for row in per_seed:
            ax.plot(x, row, color="black", lw=0.6, alpha=0.5, marker="o", ms=2)
    ax.plot([], [], color="black", lw=0.6, marker="o", ms=2, label="one seed")
    ax.set_xticks(3 * np.arange(len(VARIABLES)) + 0.5, VARIABLE_LABELS, fontsize=8)
    ax.set_ylim(0, 1.05)
    ax.set_ylabel(f"fraction of LSTM units (p < 0.05 / units, |Δh| ≥ {MIN_MODULATION})")
    ax.set_title(f"Single-unit coding, h after the outcome\n(bars: {shared.SEM_LABEL})", fontsize=10)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.18), fontsize=7, ncol=2)


def foraging_figure(path: Path, analysis: dict[str, Any], neural: dict[str, Any] | None) -> bool:
    """Three panels (weights, matching, unit coding); the third is blank without neural.json."""
    seeds = analysis.get("metarl", {}).get("seeds", [])
    if not seeds:
        return False
    fig, axes = plt.subplots(1, 3, figsize=(15, 5.4))
    _weights_panel(axes[0], seeds)
    _matching_panel(axes[1], seeds)
    neural_seeds = (neural or {}).get("seeds", [])
    if neural_seeds and all(f"coding_{VARIABLES[0]}" in s for s in neural_seeds):
        _coding_panel(axes[2], neural_seeds)
    else:
        axes[2].set_axis_off()
    fig.suptitle("Baited foraging (Wang et al. 2018 Simulation 1, Fig. 2; Tsutsui et al. 2016)", fontsize=11)
    shared.save_figure(fig, path)
    return True


def learning_figure(path: Path, metrics: list[dict[str, Any]], trials: int) -> bool:
    """Reward per episode vs training episodes, a line per seed and the mean."""
    ylabel = f"reward per episode ({trials} trials)"
    return shared.training_curve(path, metrics, ylabel, "Baited foraging: training", trials)


def plot_run(run_dir: Path) -> list[Path]:
    """Redraw every foraging figure of a run directory from its files."""
    config, analysis, metrics, figures = shared.figures_of_run(run_dir)
    neural = shared.read_neural(run_dir)
    out: list[Path] = []
    if analysis:
        shared.draw(out, figures / "foraging.png", foraging_figure, analysis, neural)
    trials = config["env_params"]["trials_per_episode"]
    shared.draw(out, figures / "learning_curve.png", learning_figure, metrics, trials)
    return out
