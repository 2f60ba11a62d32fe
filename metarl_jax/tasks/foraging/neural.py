"""Foraging, inside the agent (Wang et al. 2018 Fig. 2; Tsutsui et al. 2016): the fraction of
LSTM units whose activity codes the previous action, the previous reward, their interaction
and the chosen option's value, trained network vs untrained network.

Per seed, from neural.npz's ``hidden`` (E, T, H) and eval.npz's ``action``, ``reward``; the
untrained network (initial parameters) on the same episodes with its own choices
(``untrained__hidden``, ``untrained__action``, ``untrained__reward``).

Which step: ``hidden[:, t]`` is h after the network has taken in trial t−1's action and reward
(its inputs at step t) and before it chooses aₜ, so it is the state in which a unit can carry
the previous action and reward and the value that drives the coming choice (the monkeys'
neurons of Tsutsui et al. were read in the same place: after the outcome, before the next
choice). Trials t = 1..T−1 of every episode.

Regressors (one least-squares fit per unit, ``neural_analysis.unit_coding``, Bonferroni over
units at α = 0.05): previous action A = ±1 (option 1 / option 0), previous reward R = ±1,
the interaction A·R, and the chosen option's value Qₜ[aₜ]: the value, before trial t, of the
option chosen at t, under the Rescorla–Wagner model fitted to the trained agent's choices
(``choice_models``; the same α for the untrained network's own history, so the regressor is
defined alike for both networks).

Two criteria, both reported:

- ``significant_<variable>``: the coefficient passes the corrected t-test. A network has no
  noise and a seed gives ~30 000 steps, so any linear trace passes: the untrained network,
  whose h is close to a fixed function of its current inputs (previous action and reward),
  passes for nearly every unit, as much as the trained one or more.
- ``coding_<variable>`` (the acceptance): significant *and* the variable moves the unit by at
  least :data:`MIN_MODULATION` across its range (2|b| for the ±1 regressors; |b| times the
  5th–95th percentile span for the value), the size a recording could see. Chosen by us:
  0.05 is 2.5 % of h's range [−1, 1] and about half the SD of a trained unit over steps
  (≈ 0.1; untrained ≈ 0.04), measured on the default run.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from metarl_jax.choice_models import rescorla_wagner_values
from metarl_jax.neural_analysis import unit_coding
from metarl_jax.tasks.foraging.baselines import fit_choices
from metarl_jax.tasks.foraging.env import NUM_OPTIONS

UNTRAINED = "untrained__"
VARIABLES = ("prev_action", "prev_reward", "interaction", "chosen_value")
ALPHA = 0.05  # family-wise error per variable, Bonferroni over units
MIN_MODULATION = 0.05  # change of h across a variable's range for ``coding_`` (chosen by us, module docstring)


def coding_regressors(action: np.ndarray, reward: np.ndarray, alpha: float) -> dict[str, np.ndarray]:
    """(E, T) choices and rewards -> the four regressors (VARIABLES) over trials 1..T−1, each
    flattened to (E·(T−1),) in (episode, trial) order."""
    a = np.asarray(action, np.int64)
    r = np.asarray(reward, np.float64)
    q = rescorla_wagner_values(alpha, a, r, num_options=NUM_OPTIONS)  # (E, T, K), before each trial
    chosen_value = np.take_along_axis(q, a[..., None], -1)[..., 0]
    prev_a = 2.0 * a[:, :-1] - 1.0
    prev_r = 2.0 * (r[:, :-1] > 0) - 1.0
    return {
        "prev_action": prev_a.reshape(-1),
        "prev_reward": prev_r.reshape(-1),
        "interaction": (prev_a * prev_r).reshape(-1),
        "chosen_value": chosen_value[:, 1:].reshape(-1).astype(np.float64),
    }


def regressor_spans(regressors: dict[str, np.ndarray]) -> dict[str, float]:
    """Each regressor's range: max − min for the ±1 variables, the 5th–95th percentile span for the value."""
    return {
        name: float(np.ptp(x)) if name != "chosen_value" else float(np.subtract(*np.percentile(x, [95, 5])))
        for name, x in regressors.items()
    }


def coding_fractions(
    hidden: np.ndarray, action: np.ndarray, reward: np.ndarray, alpha: float
) -> dict[str, dict[str, float]]:
    """h (E, T, H) at trials 1..T−1 -> {"significant": {variable: fraction of units},
    "coding": {variable: fraction significant and modulated by >= MIN_MODULATION},
    "strongest": {variable: the largest modulation of a significant unit}}."""
    h = np.asarray(hidden, np.float64)[:, 1:]
    regressors = coding_regressors(action, reward, alpha)
    result = unit_coding(h.reshape(-1, h.shape[-1]), regressors, ALPHA)
    spans = regressor_spans(regressors)
    modulation = {v: np.abs(result["coef"][v]) * spans[v] for v in VARIABLES}
    coding = {v: float(np.mean(result["significant"][v] & (modulation[v] >= MIN_MODULATION))) for v in VARIABLES}
    strongest = {v: float(np.max(np.where(result["significant"][v], modulation[v], 0.0))) for v in VARIABLES}
    return {"significant": result["fraction"], "coding": coding, "strongest": strongest}


def analyse_neural(
    behaviour: dict[str, np.ndarray],
    neural: dict[str, np.ndarray],
    params: Any = None,
    seed_analysis: dict[str, Any] | None = None,
) -> dict:
    """One seed: ``coding_<variable>`` and ``significant_<variable>`` (fractions of units, the
    module's two criteria), each also ``..._untrained``; ``more_coding_in_trained`` and
    ``more_significant_in_trained`` (every variable, trained > untrained);
    ``coding_<variable>_trained_minus_untrained`` (its mean and SEM over seeds in the summary);
    ``strongest_<variable>`` (and ``_untrained``): the largest modulation of any significant unit,
    which says whether the floor sits inside a network's range; ``rw_alpha_for_value`` (the
    fitted α behind the value regressor: ``seed_analysis["rw_alpha"]`` when given, else fitted
    here). Empty without ``hidden``."""
    if "hidden" not in neural:
        return {}
    if seed_analysis is not None:  # the pipeline: the fit of analyse_seed, not fitted again
        alpha = seed_analysis["rw_alpha"]
    else:
        alpha = fit_choices(behaviour["action"], behaviour["reward"])["alpha"]
    trained = coding_fractions(neural["hidden"], behaviour["action"], behaviour["reward"], alpha)
    untrained = coding_fractions(
        neural[UNTRAINED + "hidden"], neural[UNTRAINED + "action"], neural[UNTRAINED + "reward"], alpha
    )
    out: dict[str, Any] = {}
    for kind in ("coding", "significant"):
        out |= {f"{kind}_{v}": trained[kind][v] for v in VARIABLES}
        out |= {f"{kind}_{v}_untrained": untrained[kind][v] for v in VARIABLES}
        out[f"more_{kind}_in_trained"] = all(trained[kind][v] > untrained[kind][v] for v in VARIABLES)
    out |= {f"coding_{v}_trained_minus_untrained": trained["coding"][v] - untrained["coding"][v] for v in VARIABLES}
    out |= {f"strongest_{v}": trained["strongest"][v] for v in VARIABLES}
    out |= {f"strongest_{v}_untrained": untrained["strongest"][v] for v in VARIABLES}
    out["rw_alpha_for_value"] = alpha
    return out
