"""Volatility figures: learning rates per phase (meta-RL, Bayesian observer, fixed-α control) and
choice traces over Behrens' test schedule (Wang et al. 2018, Fig. 3); the phase decoded from h;
the learning curve. Reads analysis.json, neural.json and metrics.jsonl; never trains."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from metarl_jax import figures as shared  # figure helpers every task uses
from metarl_jax.core.stats import sem
from metarl_jax.figures import plt
from metarl_jax.tasks.volatility.neural import QUIET

AGENTS = (
    ("metarl", "meta-RL (LSTM A2C)", "black"),
    ("bayes_observer", "Bayesian observer (true hazards)", "tab:blue"),
    ("rescorla_wagner", "fixed-α Rescorla–Wagner (control)", "tab:orange"),
)
PHASE_COLORS = ("#9ecae1", "#fc9272")  # stable, volatile
SMOOTHING = 9  # trials in the moving average of the choice traces
ORDERS = (("stable_first", "stable phase first (Behrens' order)"), ("volatile_first", "volatile phase first"))


def smooth(x: np.ndarray, window: int = SMOOTHING) -> np.ndarray:
    """Centred moving average; the edges average over the trials available."""
    x = np.asarray(x, np.float64)
    kernel = np.ones(window)
    return np.convolve(x, kernel, "same") / np.convolve(np.ones_like(x), kernel, "same")


def _alpha_panel(ax, seeds: list[dict], title: str, alpha_true: float | None) -> None:
    per_seed = np.array([[np.nan if s[f"alpha_{p}"] is None else s[f"alpha_{p}"] for p in ("stable", "volatile")]
                         for s in seeds], float)  # fmt: skip
    shared.bar_panel(ax, ["stable", "volatile"], per_seed, PHASE_COLORS, f"{title}\n({len(seeds)} seeds)")
    if alpha_true is not None:
        ax.axhline(alpha_true, color="crimson", ls="--", lw=1.5, label=f"true α = {alpha_true:g}")
        shared.legend_right(ax)
    ax.set_ylim(0, max(0.6, float(np.nanmax(per_seed)) * 1.15))


def _trace_panel(ax, analysis: dict[str, Any], order: str, title: str) -> bool:
    """P(choose option A) per trial (mean over seeds' episode averages, smoothed) for each agent,
    with A's true reward probability; False when no seed has episodes in this order."""
    drawn = False
    p_true = None
    for key, label, color in AGENTS:
        traces = [s["traces"][order] for s in analysis.get(key, {}).get("seeds", []) if order in s.get("traces", {})]
        if not traces:
            continue
        choice = np.mean([t["choice"] for t in traces], 0)
        trials = np.arange(1, choice.size + 1)
        ax.plot(trials, smooth(choice), color=color, lw=2.0 if key == "metarl" else 1.0, label=label)
        p_true = np.mean([t["p"] for t in traces], 0)
        drawn = True
    if not drawn:
        return False
    ax.plot(np.arange(1, p_true.size + 1), p_true, color="grey", ls="--", lw=1.2, label="true P(reward | A)")
    ax.set_ylim(-0.02, 1.02)
    ax.set_xlabel("trial")
    ax.set_ylabel("P(choose option A)")
    ax.set_title(f"{title}: option A = the option good at trial 1; choices averaged over episodes and seeds, "
                 f"{SMOOTHING}-trial moving average", fontsize=9)  # fmt: skip
    shared.legend_right(ax)
    return True


def learning_rate_figure(path: Path, analysis: dict[str, Any]) -> bool:
    """Wang et al. (2018) Fig. 3: α̂ per phase for each agent (bars: mean ± SEM over seeds, dots:
    seeds), and the choice traces over the test schedule for each phase order."""
    if not analysis.get("metarl", {}).get("seeds"):
        return False
    fig = plt.figure(figsize=(13, 10.5))
    grid = fig.add_gridspec(3, 3, height_ratios=(1.2, 1, 1))
    recovery = analysis.get("comparisons", {}).get("control_recovery", {})
    for i, (key, label, _) in enumerate(AGENTS):
        ax = fig.add_subplot(grid[0, i])
        seeds = analysis.get(key, {}).get("seeds", [])
        if not seeds:
            ax.set_axis_off()
            continue
        _alpha_panel(ax, seeds, label, recovery.get("alpha_true") if key == "rescorla_wagner" else None)
        if i == 0:
            ax.set_ylabel("fitted Rescorla–Wagner α")
    for row, (order, title) in enumerate(ORDERS, start=1):
        ax = fig.add_subplot(grid[row, :])
        if not _trace_panel(ax, analysis, order, title):
            ax.set_axis_off()
    handles, labels = shared.bar_panel_handles()
    rect = shared.figure_legend(fig, handles, labels, ncol=2)
    fig.suptitle("Volatility (Behrens et al. 2007; Wang et al. 2018, Fig. 3): learning rate fitted per phase "
                 "on the test schedule", fontsize=11)  # fmt: skip
    shared.save_figure(fig, path, rect=rect)
    return True


def _by_step_panel(ax_steps, seeds: list[dict]) -> None:
    """Accuracy at each matched trial decoded on its own, the quiet trials and the reversals."""
    steps = np.asarray(seeds[0]["steps"]) + 1
    by_step = np.array([s["regime_accuracy_by_step"] for s in seeds], float)
    ax_steps.errorbar(steps, by_step.mean(0), yerr=[sem(c) for c in by_step.T], color="black", marker="o", ls="none",
                      capsize=3, label="trained h, each trial on its own")  # fmt: skip
    quiet = np.asarray(seeds[0].get("quiet_steps", []), int) + 1
    ax_steps.scatter(quiet, np.full(quiet.size, 0.02), marker="^", color="tab:purple",
                     label=f"quiet trial (no reversal in the {QUIET} before, any episode)")  # fmt: skip
    for key, style, name in (("reversals_stable_first", "--", "stable first"), ("reversals_volatile_first", ":",
                                                                                 "volatile first")):  # fmt: skip
        for i, t in enumerate(seeds[0].get(key, [])):
            ax_steps.axvline(t + 1, color="tab:red", ls=style, lw=0.8, label=f"reversal, {name}" if i == 0 else None)
    ax_steps.axhline(0.5, color="grey", lw=0.8)
    ax_steps.set_ylim(0, 1.02)
    ax_steps.set_xlabel("trial (h after its outcome); only trials where each phase holds in half the episodes")
    ax_steps.set_ylabel("held-out accuracy")
    ax_steps.set_title(f"where the phase can be read\n{shared.SEM_LABEL}", fontsize=10)
    shared.legend_right(ax_steps)


def neural_figure(path: Path, neural: dict[str, Any]) -> bool:
    """The phase decoded from h at matched trials: trained vs untrained network, permutation chance,
    the trial index alone and the quiet trials (bars: mean ± SEM over seeds, dots: seeds); and the
    accuracy at each matched trial beside the test schedule's reversals. False without numbers."""
    seeds = [s for s in neural.get("seeds", []) if "regime_accuracy" in s]
    if not seeds:
        return False
    bars = {
        "regime_accuracy": "trained h",
        "regime_accuracy_untrained": "untrained h",
        "regime_chance": "chance\n(labels\npermuted)",
        "regime_accuracy_from_time": "trial index\nalone",
        "regime_accuracy_quiet": "trained h,\nquiet trials",
    }
    bars = {k: v for k, v in bars.items() if all(s.get(k) is not None for s in seeds)}  # quiet: only with such trials
    labels = list(bars.values())
    per_seed = np.array([[s[k] for k in bars] for s in seeds], float)
    fig, (ax, ax_steps) = plt.subplots(1, 2, figsize=(14, 5), gridspec_kw={"width_ratios": (1, 1.4)})
    title = f"phase (stable vs volatile) decoded from the LSTM's h\n{shared.SEM_LABEL}, dots: seeds"
    shared.bar_panel(
        ax, labels, per_seed, ["black", "tab:orange", "grey", "lightgrey", "tab:purple"][: len(bars)], title
    )
    ax.set_ylabel("held-out accuracy (logistic, folds by episode)")
    ax.tick_params(axis="x", labelsize=8)
    if all("regime_accuracy_by_step" in s for s in seeds):
        _by_step_panel(ax_steps, seeds)
    else:  # a run analysed before the per-trial decoding existed
        ax_steps.set_axis_off()
    fig.suptitle("Volatility: the current phase in the LSTM state (matched trials, so time alone cannot tell it)")
    shared.save_figure(fig, path)
    return True


def plot_run(run_dir: Path) -> list[Path]:
    """Redraw every volatility figure of a run directory from its files."""
    config, analysis, metrics, figures = shared.figures_of_run(run_dir)
    out: list[Path] = []
    if analysis:
        shared.draw(out, figures / "learning_rates.png", learning_rate_figure, analysis)
    curve = ("reward per trial (training)", "Volatility: training", 1.0, {"chance": 0.5})
    shared.draw(out, figures / "learning_curve.png", shared.training_curve, metrics, *curve)
    neural = shared.read_neural(run_dir)
    if neural:
        shared.draw(out, figures / "neural.png", neural_figure, neural)
    return out
