"""Harlow figures: per-trial accuracy on held-out objects at points through training
(Wang et al. 2018, Fig. 6c; Harlow 1949) and the training learning curve.
Reads analysis.json and metrics.jsonl; never trains."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from metarl_jax.plotting.common import plt, read_run, sem, training_curve


def accuracy_figure(path: Path, analysis: dict[str, Any], metrics: list[dict[str, Any]], total_updates: int) -> None:
    """% correct at trial 1..T of a problem: a line per point in training (colour = how far),
    the final evaluation in black, the side-only control and the ideal observer dashed."""
    fig, ax = plt.subplots(figsize=(6, 4.2))
    progress = [m for m in metrics if m.get("progress_eval")]
    cmap = plt.get_cmap("viridis")
    for i, row in enumerate(progress):
        per_seed = np.array(row["progress_eval"]["accuracy_by_trial"], dtype=float)  # (S, T)
        trials = np.arange(1, per_seed.shape[1] + 1)
        frac = row["updates"] / max(total_updates, 1)
        ax.plot(trials, 100 * per_seed.mean(0), "o-", color=cmap(0.15 + 0.7 * i / max(len(progress) - 1, 1)),
                lw=1.2, ms=3, label=f"{frac:.0%} of training")  # fmt: skip
    final = np.array([s["accuracy_by_trial"] for s in analysis["metarl"]["seeds"]], dtype=float)
    trials = np.arange(1, final.shape[1] + 1)
    errs = [100 * sem(final[:, j]) for j in range(final.shape[1])]
    ax.errorbar(trials, 100 * final.mean(0), yerr=errs, color="black", lw=2, capsize=3,
                label=f"final, held-out objects ({final.shape[0]} seeds)")  # fmt: skip
    for name, style in (("side_only", ":"), ("ideal_observer", "--")):
        if name in analysis:
            acc = np.array([s["accuracy_by_trial"] for s in analysis[name]["seeds"]], dtype=float).mean(0)
            ax.plot(trials, 100 * acc, style, color="grey", lw=1.2, label=name.replace("_", " "))
    ax.set_xticks(trials)
    ax.set_xlabel("trial of the problem")
    ax.set_ylabel("% correct")
    ax.set_ylim(0, 102)
    ax.set_title("Harlow task: one-shot learning on held-out objects")
    ax.legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def plot_run(run_dir: Path) -> list[Path]:
    """Redraw every Harlow figure of a run directory from its files."""
    config, analysis, metrics = read_run(run_dir)
    figures = Path(run_dir) / "figures"
    figures.mkdir(exist_ok=True)
    out = []
    train = config["train"]
    total_updates = -(-train["total_episodes"] // train["num_envs"])
    if analysis:
        accuracy_figure(figures / "accuracy_by_trial.png", analysis, metrics, total_updates)
        out.append(figures / "accuracy_by_trial.png")
    params = config["env_params"]
    chance = {"chance": 0.5 * (params["correct_reward"] + params["incorrect_reward"])}
    path = figures / "learning_curve.png"
    if training_curve(path, metrics, "reward per trial (training objects)", "Harlow task: training", 1.0, chance):
        out.append(path)
    return out
