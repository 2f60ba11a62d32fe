"""Inferred value inside the agent (Wang et al. 2018 Fig. 4): the critic's TD error at target
onset after a reversal, experienced vs inferred × good vs bad, for the trained network, the
untrained one and the model-free TD learner on the same episodes.

The TD error at onset is the recorded ``rpe`` of each trial's fixation step,
δ = 0 + 1·V(target shown) − V(fixation) (no reward, discount 1 inside a trial: the pipeline's
``td_errors`` with the loss's discounts). Conditions and the model-free replay: ``analysis``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from metarl_jax.tasks.inferred_value.analysis import (
    conditions,
    sign_follows,
    split_by_condition,
    td_onset_errors,
    trial_arrays,
)
from metarl_jax.tasks.inferred_value.env import STEPS_PER_TRIAL, InferredValueParams

UNTRAINED = "untrained__"
# source -> key prefix of its onset prediction errors in neural.json
SOURCES = {"agent": "rpe", "untrained": "untrained_rpe", "model_free": "mf_rpe"}


def inference_fractions(split: dict[str, Any], prefix: str) -> dict[str, float | None]:
    """The inferred case as a fraction of the experienced one: ``{prefix}_inferred_fraction_good``
    (inferred-good δ / experienced-good δ), ``_bad`` (same for bad) and ``_index``
    ((inferred good − bad) / (experienced good − bad)); None where a number is missing or the
    denominator is 0."""

    def ratio(num: float | None, den: float | None) -> float | None:
        return None if num is None or den is None or den == 0 else float(num / den)

    g = {p: split.get(f"{prefix}_{p}_good") for p in ("experienced", "inferred")}
    b = {p: split.get(f"{prefix}_{p}_bad") for p in ("experienced", "inferred")}
    diff = {p: None if g[p] is None or b[p] is None else g[p] - b[p] for p in g}
    return {
        f"{prefix}_inferred_fraction_good": ratio(g["inferred"], g["experienced"]),
        f"{prefix}_inferred_fraction_bad": ratio(b["inferred"], b["experienced"]),
        f"{prefix}_inference_index": ratio(diff["inferred"], diff["experienced"]),
    }


def onset_errors(rpe: np.ndarray) -> np.ndarray:
    """Step TD errors (E, 3K) -> the error at each trial's target onset (E, K): fixation steps."""
    return np.asarray(rpe)[:, 0::STEPS_PER_TRIAL]


def _source(values: np.ndarray, behaviour: dict[str, np.ndarray], prefix: str) -> dict[str, Any]:
    split = split_by_condition(values, conditions(trial_arrays(behaviour)), prefix)
    return split | inference_fractions(split, prefix)


def analyse_neural(
    behaviour: dict[str, np.ndarray],
    neural: dict[str, np.ndarray],
    params: InferredValueParams,
    seed_analysis: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """One seed: for the trained network (``rpe_<cell>``), the untrained one on its own episodes
    (``untrained_rpe_<cell>``) and the model-free TD learner (``mf_rpe_<cell>``): the mean TD
    error at target onset per condition with its 95% CI (``_ci95``) and count (``_n``), the
    inferred/experienced fractions, and the acceptance checks ``inferred_sign_correct``
    (trained: inferred-good δ > 0, inferred-bad δ < 0, CIs excluding 0) and
    ``mf_follows_old_value`` (model-free: the opposite signs). Sources without recorded
    ``rpe`` are left out."""
    trials = trial_arrays(behaviour)
    out: dict[str, Any] = _source(td_onset_errors(trials["target"], trials["reward"]), behaviour, "mf_rpe")
    out["mf_follows_old_value"] = sign_follows(out, "mf_rpe", "inferred", good_sign=-1)
    if "rpe" in neural:
        out |= _source(onset_errors(neural["rpe"]), behaviour, "rpe")
        out["inferred_sign_correct"] = sign_follows(out, "rpe", "inferred", good_sign=1)
        out["experienced_sign_correct"] = sign_follows(out, "rpe", "experienced", good_sign=1)
    if UNTRAINED + "rpe" in neural:
        untrained = {k[len(UNTRAINED) :]: v for k, v in neural.items() if k.startswith(UNTRAINED)}
        out |= _source(onset_errors(neural[UNTRAINED + "rpe"]), untrained, "untrained_rpe")
    return out
