"""Two-step, inside the agent (issue 20): decoding of the Bayes-optimal belief from the LSTM state,
and the TD error at the outcome beside the model-free and model-based agents' prediction errors.

Everything runs in NumPy on one seed's arrays: eval.npz's step arrays (E, T) and neural.npz's
(E, T, ...) including the untrained network's ``untrained__*`` arrays.

- Belief: b_k = P(S2 is the good second-stage state | the outcomes of trials 0..k−1), with the
  switch hazard applied before trial k: the belief the Bayes-optimal agent of ``baselines.py``
  (same update equations) holds when it chooses at trial k. At trial k's end step the network's
  ``h`` has seen exactly those outcomes (its inputs are the last state reached and the last
  reward), so b_k is what it could represent there.
- Belief beyond the last outcome: b_k minus its mean over the trials that share trial k−1's
  outcome (state reached × reward; trial 0 its own group). With rewards 0.9 / 0.1 and switch
  0.025 the last outcome alone explains most of b's variance (R² ≈ 0.8), and any network, trained
  or not, receives it as input; this residual is the part that needs integrating over trials.
- Prediction errors at the outcome of trial k, split by trial k−1's transition × reward: the
  agent's TD error δ at the step ending the trial; the model-free agent's r − Q[a₁] and the
  model-based agent's r − V[s₂] (their own learning rules, ``baselines.py``, α = 0.5, values
  starting at 0.5), before their update, run on the agent's own trajectory.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from metarl_jax.neural_analysis import decode, mean_by_condition
from metarl_jax.tasks.two_step.analysis import CELLS, trial_arrays
from metarl_jax.tasks.two_step.baselines import ALPHA
from metarl_jax.tasks.two_step.env import TwoStepParams

UNTRAINED = "untrained__"
# Permutations for the decoding chance level: R² of episode-permuted labels sits at ≈ 0 with an SD
# under 0.005 at the default evaluation sizes, and each costs a full cross-validation.
PERMUTATIONS = 2
# (key prefix, key suffix) of the four prediction errors split by condition
RPE_SOURCES = {"agent": ("rpe", ""), "untrained": ("rpe", "_untrained"), "model_free": ("mf_rpe", ""),
               "model_based": ("mb_rpe", "")}  # fmt: skip


def belief_update(
    belief: np.ndarray, second_stage_state: np.ndarray, reward: np.ndarray, params: TwoStepParams
) -> np.ndarray:
    """One trial of the Bayes-optimal agent (``baselines.bayes_optimal``'s equations): the prior
    P(S2 good) -> the posterior after the trial's state (1 = S2, 2 = S3) and reward, then the
    possible swap before the next trial. Elementwise over arrays."""
    hi, lo, h = params.reward_prob_high, params.reward_prob_low, params.switch_prob
    rewarded = np.asarray(reward) > 0
    like_good = np.where(rewarded, hi, 1 - hi)
    like_bad = np.where(rewarded, lo, 1 - lo)
    s2_reached = np.asarray(second_stage_state) == 1
    l_s2_good = np.where(s2_reached, like_good, like_bad)  # P(r | S2 good)
    l_s2_bad = np.where(s2_reached, like_bad, like_good)  # P(r | S3 good)
    post = belief * l_s2_good / (belief * l_s2_good + (1 - belief) * l_s2_bad)
    return post * (1 - h) + (1 - post) * h


def bayes_belief(second_stage_state: np.ndarray, reward: np.ndarray, params: TwoStepParams) -> np.ndarray:
    """Trial arrays (E, K) -> b (E, K): P(S2 is good) before each trial's outcome, from the
    outcomes of the earlier trials of the episode (b = 0.5 at trial 0)."""
    s2, r = np.asarray(second_stage_state), np.asarray(reward, np.float64)
    belief = np.empty(s2.shape, np.float64)
    b = np.full(s2.shape[:-1], 0.5)
    for k in range(s2.shape[-1]):
        belief[..., k] = b
        b = belief_update(b, s2[..., k], r[..., k], params)
    return belief


def last_outcome_groups(second_stage_state: np.ndarray, reward: np.ndarray) -> np.ndarray:
    """Trial arrays (E, K) -> (E, K) int: 0 at trial 0, else 1 + 2·(state − 1) + rewarded of trial k−1."""
    groups = np.zeros(np.shape(second_stage_state), np.int64)
    s2, rewarded = np.asarray(second_stage_state, np.int64), (np.asarray(reward) > 0).astype(np.int64)
    groups[:, 1:] = 1 + 2 * (s2[:, :-1] - 1) + rewarded[:, :-1]
    return groups


def belief_beyond_last_outcome(belief: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """``belief`` (E, K) minus its mean within each group of :func:`last_outcome_groups`."""
    means = np.zeros(int(groups.max()) + 1)
    for g in np.unique(groups):
        means[g] = belief[groups == g].mean()
    return belief - means[groups]


def reference_prediction_errors(
    first_action: np.ndarray, second_stage_state: np.ndarray, reward: np.ndarray, alpha: float = ALPHA
) -> tuple[np.ndarray, np.ndarray]:
    """The model-free (TD(1) on first-stage values: r − Q[a₁]) and model-based (known
    transitions, second-stage values: r − V[s₂]) agents' prediction errors at each trial's
    outcome, before their update, along the given trajectory. Trial arrays (E, K) -> two (E, K)."""
    a1 = np.asarray(first_action, np.int64)
    s = np.asarray(second_stage_state, np.int64) - 1
    r = np.asarray(reward, np.float64)
    e, num_trials = a1.shape
    rows = np.arange(e)
    q, v = np.full((e, 2), 0.5), np.full((e, 2), 0.5)
    mf, mb = np.empty((e, num_trials)), np.empty((e, num_trials))
    for k in range(num_trials):
        mf[:, k] = r[:, k] - q[rows, a1[:, k]]
        mb[:, k] = r[:, k] - v[rows, s[:, k]]
        q[rows, a1[:, k]] += alpha * mf[:, k]
        v[rows, s[:, k]] += alpha * mb[:, k]
    return mf, mb


def previous_trial_conditions(common: np.ndarray, reward: np.ndarray) -> dict[str, np.ndarray]:
    """Masks (E, K) over trials 1..K−1 by the previous trial's transition × reward (CELLS names);
    trial 0 belongs to none."""
    is_common = np.zeros(np.shape(common), bool)
    rewarded = np.zeros(np.shape(common), bool)
    is_common[:, 1:] = np.asarray(common, bool)[:, :-1]
    rewarded[:, 1:] = np.asarray(reward)[:, :-1] > 0
    first = np.zeros(np.shape(common), bool)
    first[:, 0] = True
    out = {}
    for name in CELLS:
        c = is_common if name.startswith("common") else ~is_common
        r = rewarded if name.endswith("_rewarded") else ~rewarded
        out[name] = c & r & ~first
    return out


def rpe_split(
    values: np.ndarray, trials: dict[str, np.ndarray], prefix: str, suffix: str = ""
) -> dict[str, float | None]:
    """Mean of ``values`` (E, K) per previous-trial condition -> {f"{prefix}_{cell}{suffix}": mean}."""
    split = mean_by_condition(values, previous_trial_conditions(trials["common_transition"], trials["reward"]))
    return {f"{prefix}_{name}{suffix}": split[name]["mean"] for name in CELLS}


def _untrained_behaviour(neural: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The untrained network's own eval arrays (``untrained__action``, ``untrained__reward``, info)."""
    return {k[len(UNTRAINED) :]: v for k, v in neural.items() if k.startswith(UNTRAINED)}


def _trial_ends(behaviour: dict[str, np.ndarray]) -> np.ndarray:
    """Step indices of the trial ends (the same in every episode)."""
    trial_end = np.asarray(behaviour["trial_end"], bool)
    return np.nonzero(trial_end.reshape(-1, trial_end.shape[-1])[0])[0]


def _decode_belief(
    behaviour: dict[str, np.ndarray], hidden: np.ndarray, params: TwoStepParams, suffix: str
) -> dict[str, float]:
    """R² of the belief and of its part beyond the last outcome, decoded from h at trial ends,
    on the episodes of ``behaviour``; keys carry ``suffix``."""
    trials = trial_arrays(behaviour)
    belief = bayes_belief(trials["second_stage_state"], trials["reward"], params)
    beyond = belief_beyond_last_outcome(belief, last_outcome_groups(trials["second_stage_state"], trials["reward"]))
    features = np.asarray(hidden)[:, _trial_ends(behaviour)]
    full = decode(features, belief, discrete=False, permutations=PERMUTATIONS)
    part = decode(features, beyond, discrete=False, permutations=PERMUTATIONS)
    return {
        f"belief_r2{suffix}": full["score"],
        f"belief_r2_chance{suffix}": full["chance"],
        f"belief_history_r2{suffix}": part["score"],
        f"belief_history_r2_chance{suffix}": part["chance"],
    }


def analyse_neural(
    behaviour: dict[str, np.ndarray],
    neural: dict[str, np.ndarray],
    params: TwoStepParams,
    seed_analysis: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """One seed: ``belief_r2`` (ridge R² on held-out episodes, h at each trial's end -> b),
    ``belief_r2_untrained`` (the untrained network on its own episodes), ``belief_r2_chance``
    (labels permuted across episodes), the same for b beyond the last outcome
    (``belief_history_r2``...); the TD error at the outcome by previous trial
    ``rpe_<cell>`` beside ``mf_rpe_<cell>``, ``mb_rpe_<cell>`` (same trajectory) and
    ``rpe_<cell>_untrained`` (the untrained network on its own episodes). Keys whose arrays
    were not recorded are left out."""
    trials = trial_arrays(behaviour)
    untrained = _untrained_behaviour(neural)
    out: dict[str, Any] = {}
    if "hidden" in neural:
        out |= _decode_belief(behaviour, neural["hidden"], params, "")
        out |= _decode_belief(untrained, neural[UNTRAINED + "hidden"], params, "_untrained")
    mf, mb = reference_prediction_errors(trials["first_stage_action"], trials["second_stage_state"], trials["reward"])
    if "rpe" in neural:
        out |= rpe_split(np.asarray(neural["rpe"])[:, _trial_ends(behaviour)], trials, "rpe")
        control_rpe = np.asarray(neural[UNTRAINED + "rpe"])[:, _trial_ends(untrained)]
        out |= rpe_split(control_rpe, trial_arrays(untrained), "rpe", "_untrained")
    out |= rpe_split(mf, trials, "mf_rpe") | rpe_split(mb, trials, "mb_rpe")
    return out
