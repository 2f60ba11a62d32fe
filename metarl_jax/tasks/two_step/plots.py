"""Two-step figures: the four-panel stay-probability figure (Wang et al. 2018 Fig. 5b), the
learning curve and, for a recorded run, the neural figure (belief decoding, RPE by condition).
Reads analysis.json, metrics.jsonl and neural.json; never trains."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.lines import Line2D

from metarl_jax import figures as shared  # figure helpers every task uses
from metarl_jax.core.stats import sem
from metarl_jax.figures import plt
from metarl_jax.tasks.two_step.neural import RPE_SOURCES

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
        shared.bar_panel(ax, ["C", "R", "C", "R"], per_seed, COLORS, f"{title}\n({len(seeds)} seeds)")
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
    sem_handles, sem_labels = shared.bar_panel_handles()
    handles, labels = handles + sem_handles, labels + sem_labels
    if analysis.get("metarl", {}).get("seeds"):
        handles.append(Line2D([], [], color=REFERENCE_COLOR, ls="--", lw=2))
        labels.append(WANG2018_LABEL)
    rect = shared.figure_legend(fig, handles, labels, ncol=3, where="above", fontsize=9)
    shared.save_figure(fig, path, rect=rect)


def learning_figure(path: Path, metrics: list[dict[str, Any]], trials: int, bayes_per_trial: float | None) -> bool:
    """Reward per episode vs training episodes: a line per seed, the mean, Bayes-optimal dashed."""
    ref = {"Bayes-optimal": bayes_per_trial * trials, "chance": 0.5 * trials} if bayes_per_trial else None
    ylabel = f"reward per episode ({trials} trials)"
    return shared.training_curve(path, metrics, ylabel, "Two-step task: training", trials, ref)


def plot_run(run_dir: Path) -> list[Path]:
    """Redraw every two-step figure of a run directory from its files."""
    config, analysis, metrics, figures = shared.figures_of_run(run_dir)
    out: list[Path] = []
    if analysis:
        shared.draw(out, figures / "stay_probabilities.png", stay_figure, analysis)
    bayes = (analysis or {}).get("bayes_optimal", {}).get("aggregate", {}).get("reward_per_trial", {}).get("mean")
    trials = config["env_params"]["trials_per_episode"]
    shared.draw(out, figures / "learning_curve.png", learning_figure, metrics, trials, bayes)
    neural = shared.read_neural(run_dir)
    if neural:
        shared.draw(out, figures / "neural.png", neural_figure, neural)
    return out


def _per_seed(seeds: list[dict[str, Any]], key: str) -> np.ndarray:
    """A number of every seed (NaN where missing or None)."""
    return np.array([np.nan if s.get(key) is None else s[key] for s in seeds], dtype=float)


RPE_LABELS = {"agent": "meta-RL (trained)", "untrained": "meta-RL (untrained)", "model_free": "model-free",
              "model_based": "model-based"}  # fmt: skip
RPE_COLORS = {"agent": "#1f77b4", "untrained": "#bbbbbb", "model_free": "#2ca02c", "model_based": "#d62728"}


def neural_figure(path: Path, neural: dict[str, Any]) -> bool:
    """Left: R² of the Bayes-optimal belief decoded from h at each trial's end (held-out episodes),
    untrained vs trained, a line per seed, chance dashed. Right: the TD error at the outcome by the
    previous trial's transition × reward, the agent's beside the model-free and model-based agents'
    prediction errors on the same trajectories. False when neural.json holds neither."""
    seeds = neural.get("seeds", [])
    has_belief = any(s.get("belief_r2") is not None for s in seeds)
    sources = {name: keys for name, keys in RPE_SOURCES.items() if not np.isnan(_rpe_per_seed(seeds, *keys)).all()}
    if not seeds or not (has_belief or sources):
        return False
    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.4), gridspec_kw={"width_ratios": [1, 2]})
    if has_belief:
        _belief_panel(left, seeds)
    else:
        left.set_axis_off()
    if sources:
        _rpe_panel(right, seeds, sources)
    else:
        right.set_axis_off()
    shared.save_figure(fig, path)
    return True


def _rpe_per_seed(seeds: list[dict[str, Any]], prefix: str, suffix: str) -> np.ndarray:
    """(S, CELLS) prediction errors by previous-trial condition."""
    return np.stack([_per_seed(seeds, f"{prefix}_{c}{suffix}") for c in CELLS], axis=1)


BELIEF_GROUPS = (("belief_r2", "belief b"), ("belief_history_r2", "b beyond the\nlast outcome"))  # key, group label


def _belief_panel(ax, seeds: list[dict[str, Any]]) -> None:
    """Bars (mean ± SEM) of the decoding R² of the belief and of its part beyond the last outcome,
    untrained and trained side by side, a line per seed, chance dashed."""
    colors = [RPE_COLORS["untrained"], RPE_COLORS["agent"]]
    ticks, labels, lows = [], [], [0.0]
    for g, (key, name) in enumerate(BELIEF_GROUPS):
        per_seed = np.stack([_per_seed(seeds, f"{key}_untrained"), _per_seed(seeds, key)], axis=1)
        if np.isnan(per_seed).all():
            continue
        x = 3 * g + np.arange(2)
        errs = [sem(per_seed[:, 0]), sem(per_seed[:, 1])]
        label = shared.SEM_LABEL if g == 0 else None
        ax.bar(x, np.nanmean(per_seed, 0), yerr=errs, capsize=4, color=colors, edgecolor="black", lw=0.6, label=label)
        for row in per_seed:
            ax.plot(x, row, color="black", lw=0.7, alpha=0.6, marker="o", ms=3)
        chance = float(np.nanmean(_per_seed(seeds, f"{key}_chance")))
        ax.hlines(chance, x[0] - 0.4, x[1] + 0.4, color="grey", ls="--", lw=1)
        ticks += list(x)
        labels += ["untrained", "trained"]
        ax.text(x.mean(), -0.13, name, ha="center", va="top", fontsize=8, transform=ax.get_xaxis_transform())
        lows += [float(np.nanmin(per_seed)) - 0.05, chance - 0.05]
    ax.plot([], [], color="black", lw=0.7, marker="o", ms=3, label="one seed")
    ax.plot([], [], color="grey", ls="--", lw=1, label="chance (labels permuted by episode)")
    ax.set_xticks(ticks, labels, fontsize=8)
    ax.set_ylim(min(lows), 1.0)
    ax.set_ylabel("decoding R² from h (held-out episodes)")
    ax.set_title(f"Bayes-optimal belief P(S2 good) from h\n({len(seeds)} seeds)")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.3), fontsize=7)


def _rpe_panel(ax, seeds: list[dict[str, Any]], sources: dict[str, tuple[str, str]]) -> None:
    """Grouped bars (mean ± SEM over seeds) of each source's prediction error per condition."""
    width = 0.8 / len(sources)
    x = np.arange(len(CELLS))
    for i, (name, keys) in enumerate(sources.items()):
        per_seed = _rpe_per_seed(seeds, *keys)
        errs = [sem(per_seed[:, j]) for j in range(len(CELLS))]
        offset = (i - (len(sources) - 1) / 2) * width
        ax.bar(x + offset, np.nanmean(per_seed, 0), width, yerr=errs, capsize=3, color=RPE_COLORS[name],
               edgecolor="black", lw=0.6, label=RPE_LABELS[name])  # fmt: skip
    ax.axhline(0, color="black", lw=0.6)
    ax.set_xticks(x, [c.replace("_", "\n") for c in CELLS])
    ax.set_xlabel("previous trial: transition × reward")
    ax.set_ylabel("prediction error at the outcome")
    ax.set_title(f"Prediction error at the second-stage outcome\n(bars: {shared.SEM_LABEL})")
    shared.legend_right(ax)
