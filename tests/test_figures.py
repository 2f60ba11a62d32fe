"""The three tasks' figures, drawn from small made-up analyses and metrics rows and checked
through matplotlib's objects: paper reference values drawn and labelled, error bars said to be
SEM (or a 95% CI), every legend clear of every axes and inside the image, integer trial ticks."""

import matplotlib.pyplot as plt
import numpy as np
import pytest

from metarl_jax.figures import learning_curve, training_curve
from metarl_jax.tasks.bandit.plots import regret_figure, wang2016_figure
from metarl_jax.tasks.harlow.plots import accuracy_figure
from metarl_jax.tasks.two_step.plots import stay_figure

CELLS = ("common_rewarded", "rare_rewarded", "common_unrewarded", "rare_unrewarded")
WANG2018_FIG5B = (0.99, 0.63, 0.62, 0.99)  # /work/shared/REFERENCES.md, same order as CELLS


@pytest.fixture
def drawn(monkeypatch):
    """The figures that save_figure closes, kept open for inspection (closed at the end)."""
    close = plt.close
    figures = []
    monkeypatch.setattr(plt, "close", figures.append)
    yield figures
    for fig in figures:
        close(fig)


def legends(fig):
    return list(fig.legends) + [ax.get_legend() for ax in fig.axes if ax.get_legend() is not None]


def legend_texts(fig):
    return [t.get_text() for legend in legends(fig) for t in legend.get_texts()]


def labelled(ax, word):
    """The artists of ``ax`` (lines, collections) whose legend label contains ``word``."""
    return [a for a in [*ax.lines, *ax.collections] if word in a.get_label()]


def assert_legends_clear_of_axes(fig):
    """Every legend exists outside every axes' area (no overlap) and inside the saved image."""
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    assert legends(fig), "figure has no legend"
    for legend in legends(fig):
        box = legend.get_window_extent(renderer)
        for ax in fig.axes:
            assert not box.overlaps(ax.get_window_extent(renderer)), (legend_texts(fig), ax.get_title())
        page = fig.bbox
        assert page.x0 - 1 <= box.x0 and box.x1 <= page.x1 + 1 and page.y0 - 1 <= box.y0 and box.y1 <= page.y1 + 1


def two_step_analysis(seeds=3):
    rng = np.random.default_rng(0)
    agents = ("model_free", "model_based", "bayes_optimal", "metarl")
    return {a: {"seeds": [{f"stay_{c}": float(rng.uniform(0.3, 1.0)) for c in CELLS} for _ in range(seeds)]}
            for a in agents}  # fmt: skip


def test_two_step_stays_show_wang2018_fig5b_sem_and_a_clear_legend(tmp_path, drawn):
    stay_figure(tmp_path / "stay.png", two_step_analysis())
    assert (tmp_path / "stay.png").stat().st_size > 5000
    (fig,) = drawn
    (metarl,) = [ax for ax in fig.axes if ax.get_title().startswith("Meta-RL")]
    (reference,) = labelled(metarl, "Wang et al. 2018")
    assert "Fig. 5b" in reference.get_label()
    heights = [segment[0][1] for segment in reference.get_segments()]
    assert heights == pytest.approx(WANG2018_FIG5B)
    for ax in fig.axes:  # only on the meta-RL panel: the paper's values are the agent's
        assert ax is metarl or not labelled(ax, "Wang")
    texts = legend_texts(fig)
    assert any("Wang et al. 2018 Fig. 5b" in t for t in texts)
    assert any("SEM" in t and "seeds" in t for t in texts)
    assert_legends_clear_of_axes(fig)


def test_two_step_without_a_metarl_agent_draws_no_reference(tmp_path, drawn):
    analysis = two_step_analysis()
    del analysis["metarl"]
    stay_figure(tmp_path / "stay.png", analysis)
    (fig,) = drawn
    assert not any(labelled(ax, "Wang") for ax in fig.axes)
    assert not any("Wang" in t for t in legend_texts(fig)) and any("SEM" in t for t in legend_texts(fig))


def harlow_inputs(seeds=3, trials=6):
    rng = np.random.default_rng(1)

    def accuracies():
        return [{"accuracy_by_trial": rng.uniform(0.4, 1.0, trials).tolist()} for _ in range(seeds)]

    analysis = {"metarl": {"seeds": accuracies()}, "side_only": {"seeds": accuracies()},
                "ideal_observer": {"seeds": accuracies()}}  # fmt: skip
    metrics = [{"updates": u, "progress_eval": {"accuracy_by_trial": rng.uniform(0.4, 1, (seeds, trials)).tolist()}}
               for u in (10, 20, 30, 40)]  # fmt: skip
    return analysis, metrics


def test_harlow_accuracy_shows_the_monkeys_97_percent_sem_and_a_clear_legend(tmp_path, drawn):
    analysis, metrics = harlow_inputs()
    accuracy_figure(tmp_path / "acc.png", analysis, metrics, total_updates=40)
    assert (tmp_path / "acc.png").stat().st_size > 5000
    (fig,) = drawn
    (ax,) = fig.axes
    (monkeys,) = labelled(ax, "Harlow 1949")
    assert "monkeys" in monkeys.get_label() and "97" in monkeys.get_label()
    ((start, end),) = monkeys.get_segments()
    assert (start[0], end[0]) == (2, 6) and start[1] == end[1] == pytest.approx(97)  # trials 2-6, in % correct
    texts = legend_texts(fig)
    assert any("Harlow 1949" in t for t in texts)
    assert any("SEM" in t and "seeds" in t for t in texts)
    assert_legends_clear_of_axes(fig)


def bandit_analysis(seeds=3, trials=20):
    rng = np.random.default_rng(2)

    def curves(rate):
        return [{"regret_curve": np.cumsum(rng.uniform(0, 2 * rate, trials)).tolist()} for _ in range(seeds)]

    agents = {"metarl": 0.05, "ts": 0.08, "ucb1": 0.07, "gittins": 0.04, "random": 0.25, "egreedy": 0.1}
    return {name: {"seeds": curves(rate)} for name, rate in agents.items()} | {"comparisons": {}}


def test_bandit_regret_integer_trial_ticks_ci_said_on_every_panel_and_a_clear_legend(tmp_path, drawn):
    regret_figure(tmp_path / "regret.png", bandit_analysis())
    assert (tmp_path / "regret.png").stat().st_size > 5000
    (fig,) = drawn
    assert len(fig.axes) == 2
    for ax in fig.axes:
        lo, hi = ax.get_xlim()
        ticks = [t for t in ax.get_xticks() if lo <= t <= hi]
        assert len(ticks) >= 2 and all(float(t).is_integer() for t in ticks), ticks
        assert "95% CI" in ax.get_title() and "SEM" in ax.get_title()  # what the band is, on each panel
    assert any("95% CI" in t for t in legend_texts(fig))
    assert_legends_clear_of_axes(fig)


def test_learning_curves_legend_outside_with_reference_levels(tmp_path, drawn):
    metrics = [{"episodes": e, "seeds": [0, 1, 2], "reward_per_trial_seeds": [0.5 + e / 1e3, 0.55, 0.6 - e / 1e3]}
               for e in (32, 64, 96, 128, 160)]  # fmt: skip
    assert training_curve(tmp_path / "curve.png", metrics, "reward", "training", 100.0, {"chance": 50.0})
    (fig,) = drawn
    (ax,) = fig.axes
    (chance,) = labelled(ax, "chance")
    assert chance.get_ydata()[0] == pytest.approx(50.0)
    assert "chance" in legend_texts(fig)
    assert all(float(t).is_integer() for t in ax.get_xticks())
    assert_legends_clear_of_axes(fig)

    # Many seeds: one legend entry for them all, the legend still outside.
    per_seed = np.linspace(0, 1, 12)[:, None] + np.zeros((12, 5))
    learning_curve(tmp_path / "many.png", np.arange(5), per_seed, list(range(12)), "reward", "many seeds")
    fig = drawn[-1]
    assert sum(t.startswith("seed") for t in legend_texts(fig)) == 0 and "each seed" in legend_texts(fig)
    assert_legends_clear_of_axes(fig)


def test_wang2016_heat_map_says_its_cells_are_mean_and_95_ci(tmp_path, drawn):
    rows = [{"train": tr, "test": te, "agent": ag, "cumulative_regret": r, "ci95": 0.1}
            for te in ("easy", "hard") for (tr, ag), r in ((("easy", "metarl"), 2.0), ((None, "ts"), 3.0))]  # fmt: skip
    wang2016_figure(tmp_path / "heat.png", rows)
    (fig,) = drawn
    assert "95% CI" in fig.axes[0].get_title()
