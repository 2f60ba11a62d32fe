"""Figure helpers shared by every task: headless backend, bar-and-dot panels, learning curves, legends off the data."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Callable, Sequence

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402

from metarl_jax.core.stats import sem  # noqa: E402


def read_run(run_dir: Path) -> tuple[dict, dict | None, list[dict]]:
    """(config.json, analysis.json or None, metrics.jsonl rows) of a run directory."""
    run_dir = Path(run_dir)
    config = json.loads((run_dir / "config.json").read_text())
    analysis_path = run_dir / "analysis.json"
    analysis = json.loads(analysis_path.read_text()) if analysis_path.exists() else None
    metrics_path = run_dir / "metrics.jsonl"
    metrics = []
    if metrics_path.exists():
        metrics = [json.loads(line) for line in metrics_path.read_text().splitlines() if line.strip()]
    return config, analysis, metrics


def read_neural(run_dir: Path) -> dict | None:
    """neural.json of a run directory (a ``--record`` run's analysis), or None."""
    path = Path(run_dir) / "neural.json"
    return json.loads(path.read_text()) if path.exists() else None


def figures_of_run(run_dir: Path) -> tuple[dict, dict | None, list[dict], Path]:
    """:func:`read_run` and the run's figures/ directory (created)."""
    config, analysis, metrics = read_run(run_dir)
    figures = Path(run_dir) / "figures"
    figures.mkdir(exist_ok=True)
    return config, analysis, metrics, figures


def draw(out: list[Path], path: Path, figure: Callable[..., Any], *args: Any) -> None:
    """``figure(path, *args)``, and ``path`` appended to ``out`` unless it returned False (nothing to draw)."""
    if figure(path, *args) is not False:
        out.append(path)


def save_figure(fig, path: Path, **layout) -> None:
    """Lay out (``fig.tight_layout(**layout)``), write the PNG atomically (temp file, rename), close."""
    fig.tight_layout(**layout)
    tmp = Path(path).with_name(Path(path).name + ".tmp")
    fig.savefig(tmp, dpi=120, format="png")
    os.replace(tmp, path)
    plt.close(fig)


SEM_LABEL = "mean ± SEM over seeds"


def legend_right(ax, **kwargs):
    """The axes' legend outside it, to its right (``tight_layout`` makes room), never over the data."""
    return ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0, **{"fontsize": 7, **kwargs})


def figure_legend(fig, handles: Sequence[Any], labels: Sequence[str], ncol: int, where: str = "below", **kwargs):
    """A legend across the figure's bottom (or top) edge, outside every axes. Returns the
    ``tight_layout`` rect that keeps the axes clear of it: pass it to :func:`save_figure`."""
    below = where == "below"
    loc, anchor = ("lower center", (0.5, 0.0)) if below else ("upper center", (0.5, 1.0))
    legend = fig.legend(handles, labels, loc=loc, bbox_to_anchor=anchor, ncol=ncol, **{"fontsize": 8, **kwargs})
    height = legend.get_window_extent(fig.canvas.get_renderer()).height / fig.bbox.height + 0.01
    return (0, height, 1, 1) if below else (0, 0, 1, 1 - height)


def bar_panel_handles() -> tuple[list[Any], list[str]]:
    """Legend entries saying what :func:`bar_panel` draws: error bars = SEM, dots = seeds."""
    handles = [
        Line2D([], [], color="black", marker="|", markersize=12, ls="none"),
        Line2D([], [], color="black", marker="o", markersize=3, alpha=0.7, ls="none"),
    ]
    return handles, [f"bar, error bar: {SEM_LABEL}", "dot: one seed"]


def bar_panel(ax, labels: Sequence[str], per_seed: np.ndarray, colors: Sequence[str], title: str) -> None:
    """Bars = mean over seeds, dots = each seed, error bars = SEM. per_seed (S, bars)."""
    per_seed = np.atleast_2d(np.asarray(per_seed, dtype=float))
    x = np.arange(len(labels))
    means = np.nanmean(per_seed, axis=0)
    errs = [sem(per_seed[:, j]) for j in range(len(labels))]
    ax.bar(x, means, color=colors, yerr=errs, capsize=4, edgecolor="black", linewidth=0.6)
    rng = np.random.default_rng(0)
    for j in range(len(labels)):
        jitter = rng.uniform(-0.15, 0.15, per_seed.shape[0])
        ax.scatter(x[j] + jitter, per_seed[:, j], s=10, color="black", zorder=3, alpha=0.7)
    ax.set_xticks(x, labels)
    ax.set_ylim(0, 1.05)
    ax.set_title(title)


def learning_curve(
    path: Path,
    episodes: np.ndarray,
    per_seed: np.ndarray,
    seeds: Sequence[int],
    ylabel: str,
    title: str,
    reference: dict[str, float] | None = None,
) -> None:
    """A line per seed, the mean in black, optional reference levels (grey, in the legend);
    the legend to the right of the axes. per_seed (S, N)."""
    fig, ax = plt.subplots(figsize=(8.5, 4))
    per_seed = np.atleast_2d(per_seed)
    for i, (s, row) in enumerate(zip(seeds, per_seed)):
        label = f"seed {s}" if per_seed.shape[0] <= 10 else ("each seed" if i == 0 else "_nolegend_")
        ax.plot(episodes, row, lw=0.8, alpha=0.5, label=label)
    ax.plot(episodes, per_seed.mean(0), color="black", lw=2, label="mean over seeds")
    styles = ("--", ":", "-.")
    for i, (name, level) in enumerate((reference or {}).items()):
        ax.axhline(level, ls=styles[i % len(styles)], color="grey", lw=1.2, label=name)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("training episodes per seed")
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    legend_right(ax, ncol=2 if 5 < per_seed.shape[0] <= 10 else 1)
    save_figure(fig, path)


def training_curve(
    path: Path, metrics: list[dict], ylabel: str, title: str, scale: float = 1.0, reference: dict | None = None
) -> bool:
    """Learning curve of ``reward_per_trial`` (× scale) from metrics.jsonl rows; False if none."""
    rows = [m for m in metrics if "reward_per_trial_seeds" in m]
    if not rows:
        return False
    episodes = np.array([m["episodes"] for m in rows])
    per_seed = np.array([m["reward_per_trial_seeds"] for m in rows], dtype=float).T * scale
    learning_curve(path, episodes, per_seed, rows[0]["seeds"], ylabel, title, reference)
    return True
