"""Inferred-value analysis: conditions on hand-built trials, the model-free TD learner's
prediction errors by hand and against its Policy, the splits and checks, analyse_neural on
synthetic recordings with known answers (an inferring and an experience-only critic), the figure."""

from __future__ import annotations

import functools
import json

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from metarl_jax.evaluation import evaluate_policy
from metarl_jax.tasks.inferred_value.analysis import (
    CELLS,
    analyse_seed,
    conditions,
    sign_follows,
    split_by_condition,
    td_onset_errors,
)
from metarl_jax.tasks.inferred_value.baselines import model_free_td
from metarl_jax.tasks.inferred_value.env import InferredValue, InferredValueParams
from metarl_jax.tasks.inferred_value.neural import analyse_neural, inference_fractions
from metarl_jax.tasks.inferred_value.plots import collect, plot_run, rpe_figure

PARAMS = InferredValueParams()


def test_conditions_on_hand_built_trials():
    # block 0: trials 0-1; block 1 (after a reversal): trials 2-4 with targets A, B, A (B is good);
    # block 2: trials 5-6 with targets A, A (A is good)
    trials = {
        "block_index": np.array([[0, 0, 1, 1, 1, 2, 2]]),
        "trial_in_block": np.array([[0, 1, 0, 1, 2, 0, 1]]),
        "target": np.array([[0, 1, 0, 1, 0, 0, 0]]),
        "good_target": np.array([[0, 0, 1, 1, 1, 0, 0]]),
        "seen_since_reversal": np.array([[0, 0, 0, 0, 1, 0, 1]], bool),
    }
    masks = conditions(trials)
    assert set(masks) == set(CELLS)
    where = {cell: np.nonzero(m[0])[0].tolist() for cell, m in masks.items()}
    assert where == {"first_good": [5], "first_bad": [2], "experienced_good": [6], "experienced_bad": [],
                     "inferred_good": [3], "inferred_bad": []}  # fmt: skip


def test_td_onset_errors_by_hand():
    # V = (F, A, B) from 0; α 0.5, γ 0.9; targets A, A, B; rewards +1, +1, −1
    onset = td_onset_errors(np.array([[0, 0, 1]]), np.array([[1.0, 1.0, -1.0]]), alpha=0.5, gamma=0.9, v0=0.0)
    # trial 0: δ = 0; V[A] ← 0.5.  trial 1: δ = 0.5; V[F] ← 0.25; V[A] ← 0.5 + 0.5(1 + 0.225 − 0.5)
    # trial 2: δ = V[B] − V[F] = −0.25
    np.testing.assert_allclose(onset[0], [0.0, 0.5, -0.25])


def test_td_onset_errors_equal_the_policy_on_an_env_episode():
    params = InferredValueParams(trials_per_episode=25)
    env, policy = InferredValue(), model_free_td(params)
    k_reset, k_steps = jax.random.split(jax.random.key(1))
    _, env_state = env.reset(k_reset, params)
    v = policy.init(k_reset)
    targets, rewards, onsets = [], [], []
    step = jax.jit(lambda k, s: env.step(k, s, jnp.int32(0), params))
    observe = jax.jit(policy.observe)
    for key in jax.random.split(k_steps, env.num_steps(params)):
        _, env_state, reward, _, _, info = step(key, env_state)
        if int(info["stage"]) == 0:
            onsets.append(float(v[1 + int(info["target"])] - v[0]))
            targets.append(int(info["target"]))
        if int(info["stage"]) == 1:
            rewards.append(float(reward))
        v = observe(v, jnp.int32(0), reward, info)
    replay = td_onset_errors(np.array([targets]), np.array([rewards]))
    np.testing.assert_allclose(replay[0], onsets, atol=1e-5)


def test_split_checks_and_fractions_on_known_numbers():
    values = np.array([[1.0, 3.0, -2.0, -4.0]])
    masks = {"inferred_good": np.array([[True, True, False, False]]),
             "inferred_bad": np.array([[False, False, True, True]])}  # fmt: skip
    split = split_by_condition(values, masks, "x")
    assert split["x_inferred_good"] == 2.0 and split["x_inferred_good_n"] == 2
    assert split["x_inferred_good_ci95"] == pytest.approx(12.706204736, rel=1e-6)  # t(1) · sd 1.414 / √2
    assert not sign_follows(split, "x", "inferred", good_sign=1)  # CIs include 0 with two values
    tight = {"x_inferred_good": 0.5, "x_inferred_good_ci95": 0.1, "x_inferred_bad": -0.4, "x_inferred_bad_ci95": 0.1}
    assert sign_follows(tight, "x", "inferred", good_sign=1)
    assert not sign_follows(tight, "x", "inferred", good_sign=-1)
    nums = {"x_experienced_good": 1.0, "x_experienced_bad": -1.0, "x_inferred_good": 0.5, "x_inferred_bad": -0.25}
    assert inference_fractions(nums, "x") == {"x_inferred_fraction_good": 0.5, "x_inferred_fraction_bad": 0.25,
                                              "x_inference_index": 0.375}  # fmt: skip
    assert inference_fractions({}, "x")["x_inference_index"] is None


@functools.cache
def _recording(episodes: int = 400) -> dict[str, np.ndarray]:
    """Eval arrays (E, T) of the model-free learner on the env, as the pipeline writes them."""
    seed_keys = jax.random.key(0)[None]
    arrays = evaluate_policy(InferredValue(), PARAMS, model_free_td(PARAMS), seed_keys, episodes)
    return {k: v[0] for k, v in arrays.items()}


def _critic_rpe(behaviour: dict[str, np.ndarray], infers: bool) -> np.ndarray:
    """A synthetic critic's TD errors: ±1 at target onset by the target's value as the critic
    believes it (after a reversal: old value on trial 1; trial 2 new value if ``infers`` or the
    target was seen, else old), 0 elsewhere."""
    good = np.where(behaviour["target"] == behaviour["good_target"], 1.0, -1.0)
    tib, seen = behaviour["trial_in_block"], behaviour["seen_since_reversal"]
    stale = (behaviour["block_index"] >= 1) & ((tib == 0) | ((tib == 1) & ~seen & (not infers)))
    rpe = np.where(stale, -good, good)
    return np.where(behaviour["stage"] == 0, rpe, 0.0)


def test_analyse_neural_tells_an_inferring_critic_from_an_experience_only_one():
    behaviour = _recording()
    inferring = {"rpe": _critic_rpe(behaviour, True), "untrained__rpe": _critic_rpe(behaviour, False)}
    inferring |= {f"untrained__{k}": v for k, v in behaviour.items()}
    out = analyse_neural(behaviour, inferring, PARAMS)
    assert out["rpe_inferred_good"] == 1.0 and out["rpe_inferred_bad"] == -1.0
    assert out["rpe_inference_index"] == 1.0 and out["inferred_sign_correct"] and out["experienced_sign_correct"]
    assert out["rpe_first_good"] == -1.0 and out["rpe_first_bad"] == 1.0
    assert out["untrained_rpe_inferred_good"] == -1.0 and out["untrained_rpe_inference_index"] == -1.0
    assert out["rpe_inferred_good_n"] > 30 and out["rpe_inferred_bad_n"] > 30
    assert out["mf_follows_old_value"] and out["mf_rpe_inferred_good"] < 0 < out["mf_rpe_inferred_bad"]
    only_mf = analyse_neural(behaviour, {}, PARAMS)
    assert "rpe_inferred_good" not in only_mf and only_mf["mf_rpe_inferred_good"] == out["mf_rpe_inferred_good"]
    seed = analyse_seed(behaviour)
    assert seed["mf_rpe_inferred_bad"] == out["mf_rpe_inferred_bad"] and seed["mf_follows_old_value"]
    assert seed["reversals"] == out["rpe_first_good_n"] + out["rpe_first_bad_n"]
    experience_only = analyse_neural(behaviour, {"rpe": _critic_rpe(behaviour, False)}, PARAMS)
    assert not experience_only["inferred_sign_correct"] and experience_only["experienced_sign_correct"]


def test_figure_from_neural_json_and_from_analysis_json(tmp_path):
    behaviour = _recording()
    neural = {"rpe": _critic_rpe(behaviour, True), "untrained__rpe": np.zeros_like(behaviour["reward"])}
    neural |= {f"untrained__{k}": v for k, v in behaviour.items()}
    seeds = [{"seed": s, **analyse_neural(behaviour, neural, PARAMS)} for s in range(3)]
    run = tmp_path / "run"
    run.mkdir()
    (run / "config.json").write_text(json.dumps({"env_params": {}}))
    (run / "neural.json").write_text(json.dumps({"seeds": seeds, "aggregate": {}}))
    assert set(collect(run)) == {"agent", "model_free", "untrained"}
    [path] = plot_run(run)
    assert path.name == "inferred_value.png" and path.stat().st_size > 10_000
    (run / "neural.json").unlink()
    (run / "analysis.json").write_text(json.dumps({"metarl": {"seeds": [analyse_seed(behaviour)]}}))
    assert set(collect(run)) == {"model_free"}
    assert rpe_figure(tmp_path / "none.png", {}) is False
