"""Bandit figures: cumulative regret per trial, a line per agent with its 95% CI band; the
Wang et al. (2016) heat map; with --record, the network's inside (Wang et al. 2018, Fig. 1e–f).
Reads analysis.json, neural.json, neural.npz and eval.npz (or the table's rows); never trains."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.cm import ScalarMappable
from matplotlib.collections import LineCollection
from matplotlib.colors import Normalize
from matplotlib.ticker import MaxNLocator

from metarl_jax import figures as shared  # figure helpers every task uses
from metarl_jax.core.stats import sem
from metarl_jax.figures import plt
from metarl_jax.tasks.bandit.neural import pca_trajectories

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
    rect = shared.figure_legend(fig, handles, labels, ncol=min(4, len(labels)))
    fig.suptitle("Bandit: cumulative regret on held-out problems (mean over seeds, ≈95% CI band)")
    shared.save_figure(fig, path, rect=rect)


def plot_run(run_dir: Path) -> list[Path]:
    """Redraw every bandit figure of a run directory from its files."""
    config, analysis, metrics, figures = shared.figures_of_run(run_dir)
    out: list[Path] = []
    if analysis:
        shared.draw(out, figures / "cumulative_regret.png", regret_figure, analysis)
    curve = ("reward per trial (training)", "Bandit: training", 1.0, {"chance": 0.5})
    shared.draw(out, figures / "learning_curve.png", shared.training_curve, metrics, *curve)
    neural = shared.read_neural(run_dir)
    if neural and (Path(run_dir) / "neural.npz").exists():
        shared.draw(out, figures / "neural.png", neural_figure, run_dir, neural)
    return out


def _pca_panel(ax, trajectories: np.ndarray, margin: np.ndarray, variance: list[float], title: str) -> None:
    """Each episode's path through the top two components, coloured by p(left) − p(right): a line
    per episode, a dot at its last trial, a star at trial 1 (every episode starts there)."""
    norm = Normalize(-1.0, 1.0)
    ax.add_collection(LineCollection(trajectories, array=margin, cmap="coolwarm", norm=norm, lw=0.6, alpha=0.5))
    ax.scatter(*trajectories[:, -1].T, c=margin, cmap="coolwarm", norm=norm, s=12, edgecolors="k", linewidths=0.3,
               zorder=3)  # fmt: skip
    ax.scatter(*trajectories[0, 0], marker="*", s=150, color="black", zorder=4)
    ax.autoscale()
    ax.set_xlabel(f"PC1 ({variance[0]:.0%} of variance)")
    ax.set_ylabel(f"PC2 ({variance[1]:.0%} of variance)" if len(variance) > 1 else "PC2")
    ax.set_title(title, fontsize=10)


def _decoding_panel(ax, seeds: list[dict], key: str, ylabel: str, title: str) -> None:
    """``key`` at each decoded trial, trained vs untrained (mean ± SEM over seeds), beside chance."""
    trials = np.asarray(seeds[0]["steps"]) + 1
    chance_key = key.replace("_accuracy", "_chance").replace("_r2", "_r2_chance")
    for suffix, label, color in (("", "trained", "black"), ("_untrained", "untrained", "tab:orange")):
        per_seed = np.array([[s[f"{key}_t{t}{suffix}"] for t in seeds[0]["trials"]] for s in seeds], float)
        err = [sem(c) for c in per_seed.T]
        ax.errorbar(trials, per_seed.mean(0), yerr=err, color=color, marker="o", capsize=3, label=label)
        ideal = [[s.get(f"better_arm_ideal_t{t}{suffix}") for t in seeds[0]["trials"]] for s in seeds]
        if key == "better_arm_accuracy" and all(v is not None for row in ideal for v in row):
            ideal_label = f"{label}: ideal observer of its own pulls"
            ax.plot(trials, np.mean(np.array(ideal, float), 0), color=color, ls=":", marker="x", label=ideal_label)
    chance = np.array([[s[f"{chance_key}_t{t}"] for t in seeds[0]["trials"]] for s in seeds], float).mean(0)
    ax.plot(trials, chance, color="grey", ls="--", label="chance (labels permuted)")
    ax.set_xscale("log")
    ax.set_xticks(trials, [str(t) for t in trials])
    ax.set_xlabel("trial (h after the previous trials' outcomes)")
    ax.set_ylabel(ylabel)
    ax.set_title(title, fontsize=10)
    shared.legend_right(ax)


def neural_figure(path: Path, run_dir: Path, neural: dict[str, Any]) -> bool:
    """Wang et al. (2018) Fig. 1e–f: PCA trajectories of h (first seed), trained vs untrained, and
    held-out decoding of which arm is better and of p(left) over trials; False without ``hidden``."""
    data = pca_trajectories(run_dir)
    seeds = [s for s in neural.get("seeds", []) if "trials" in s]
    if data is None or not seeds:
        return False
    fig, axes = plt.subplots(2, 2, figsize=(12, 9))
    n = len(data["margin"])
    for ax, suffix, name in zip(axes[0], ("", "_untrained"), ("trained", "untrained")):
        title = (
            f"{name} network: h over an episode, PCA of its own h\n(first seed, {n} episodes; ★ trial 1, ● last trial)"
        )
        _pca_panel(ax, data[f"trajectories{suffix}"], data["margin"], data[f"variance{suffix}"], title)
    colours = ScalarMappable(Normalize(-1.0, 1.0), "coolwarm")
    fig.colorbar(colours, ax=axes[0, 1], label="p(left) − p(right) of the episode's problem")
    _decoding_panel(axes[1, 0], seeds, "better_arm_accuracy", "accuracy (held-out episodes)",
                    f"decoding which arm is better from h\n{shared.SEM_LABEL}")  # fmt: skip
    _decoding_panel(
        axes[1, 1], seeds, "p_left_r2", "R² (held-out episodes)", f"decoding p(left) from h\n{shared.SEM_LABEL}"
    )
    fig.suptitle("Bandit: what the LSTM represents (Wang et al. 2018, Fig. 1e–f); logistic / ridge, folds by episode")
    shared.save_figure(fig, path)
    return True


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
    shared.save_figure(fig, path)
