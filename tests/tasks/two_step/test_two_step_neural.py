"""Two-step neural analysis: the Bayes-optimal belief by hand, the reference agents' prediction
errors, analyse_neural on a synthetic recording, the neural figure, and a --record smoke run."""

import json

import jax.numpy as jnp
import numpy as np
import pytest

from metarl_jax.pipeline import main
from metarl_jax.tasks.two_step import TwoStepParams, two_step
from metarl_jax.tasks.two_step.analysis import CELLS
from metarl_jax.tasks.two_step.baselines import bayes_optimal
from metarl_jax.tasks.two_step.neural import (
    analyse_neural,
    bayes_belief,
    belief_beyond_last_outcome,
    last_outcome_groups,
    previous_trial_conditions,
    reference_prediction_errors,
)
from metarl_jax.tasks.two_step.plots import neural_figure

PARAMS = TwoStepParams()  # high 0.9, low 0.1, switch 0.025
RPE_KEYS = [
    f"{p}_{c}{s}" for p, s in (("rpe", ""), ("rpe", "_untrained"), ("mf_rpe", ""), ("mb_rpe", "")) for c in CELLS
]
BELIEF_KEYS = [f"{k}{s}" for k in ("belief_r2", "belief_r2_chance", "belief_history_r2", "belief_history_r2_chance")
               for s in ("", "_untrained")]  # fmt: skip


def test_belief_matches_hand_computation():
    # trial 0: S2, rewarded; trial 1: S3, unrewarded; trial 2: S2, unrewarded
    b = bayes_belief(np.array([[1, 2, 1]]), np.array([[1.0, 0.0, 0.0]]), PARAMS)
    post0 = 0.5 * 0.9 / (0.5 * 0.9 + 0.5 * 0.1)  # = 0.9: S2 paid, likelier if S2 is good
    b1 = post0 * 0.975 + (1 - post0) * 0.025  # = 0.88 after the hazard
    post1 = b1 * 0.9 / (b1 * 0.9 + (1 - b1) * 0.1)  # S3 did not pay: evidence that S2 is good
    b2 = post1 * 0.975 + (1 - post1) * 0.025
    np.testing.assert_allclose(b[0], [0.5, 0.88, b2], rtol=1e-12)
    np.testing.assert_allclose(b1, 0.88, rtol=1e-12)


def test_belief_equals_the_bayes_optimal_agents_state():
    rng = np.random.default_rng(0)
    params = TwoStepParams(reward_prob_high=0.8, reward_prob_low=0.3, switch_prob=0.1)
    s2, r = rng.integers(1, 3, (1, 30)), rng.integers(0, 2, (1, 30)).astype(float)
    agent, state, states = bayes_optimal(params), jnp.float32(0.5), []
    for k in range(30):
        states.append(float(state))
        info = {"second_stage_state": jnp.int32(s2[0, k]), "trial_end": jnp.bool_(True)}
        state = agent.observe(state, jnp.int32(0), jnp.float32(r[0, k]), info)
    np.testing.assert_allclose(bayes_belief(s2, r, params)[0], states, rtol=1e-5)


def test_belief_beyond_the_last_outcome():
    s2, r = np.array([[1, 2, 1, 1], [2, 1, 1, 2]]), np.array([[1.0, 0.0, 1.0, 0.0], [0.0, 0.0, 1.0, 1.0]])
    groups = last_outcome_groups(s2, r)
    assert groups.tolist() == [[0, 2, 3, 2], [0, 3, 1, 2]]  # 1 + 2·(state − 1) + rewarded, of trial k−1
    belief = np.array([[0.5, 0.9, 0.2, 0.7], [0.5, 0.3, 0.6, 0.1]])
    beyond = belief_beyond_last_outcome(belief, groups)
    g2 = (0.9 + 0.7 + 0.1) / 3  # group 2's mean; group 3's is 0.25, groups 0 and 1 are constant
    np.testing.assert_allclose(beyond, [[0, 0.9 - g2, -0.05, 0.7 - g2], [0, 0.05, 0, 0.1 - g2]], atol=1e-12)


def test_reference_prediction_errors_by_hand():
    mf, mb = reference_prediction_errors(np.array([[0, 0, 1]]), np.array([[1, 2, 2]]), np.array([[1.0, 0.0, 1.0]]))
    # MF: Q[0] 0.5 -> 0.75 -> 0.375; Q[1] stays 0.5 until trial 2
    np.testing.assert_allclose(mf[0], [0.5, -0.75, 0.5])
    # MB: V[S2] 0.5 -> 0.75; V[S3] 0.5 -> 0.25 -> (trial 2) 1 − 0.25
    np.testing.assert_allclose(mb[0], [0.5, -0.5, 0.75])


def test_previous_trial_conditions():
    cond = previous_trial_conditions(np.array([[True, False, True]]), np.array([[1.0, 0.0, 1.0]]))
    assert cond["common_rewarded"].tolist() == [[False, True, False]]
    assert cond["rare_unrewarded"].tolist() == [[False, False, True]]
    assert not cond["rare_rewarded"].any() and not cond["common_unrewarded"].any()


def _fake_recording(variant: str, episodes: int = 30, trials: int = 15, units: int = 8, seed: int = 0):
    """Synthetic eval and neural arrays: the trained h carries the belief and its part beyond the
    last outcome linearly, the untrained h is noise."""
    rng = np.random.default_rng(seed)
    spt = 2 if variant == "two_stage" else 1
    steps = trials * spt

    def behaviour():
        s2 = rng.integers(1, 3, (episodes, trials))
        r = rng.integers(0, 2, (episodes, trials)).astype(np.float32)
        arrays = {
            "first_stage_action": rng.integers(0, 2, (episodes, trials)),
            "second_stage_state": s2,
            "common_transition": rng.random((episodes, trials)) < 0.8,
            "good_state": rng.integers(1, 3, (episodes, trials)),
        }
        step = {k: np.repeat(v, spt, axis=1) for k, v in arrays.items()}
        reward = np.zeros((episodes, steps), np.float32)
        reward[:, spt - 1 :: spt] = r
        trial_end = np.zeros((episodes, steps), bool)
        trial_end[:, spt - 1 :: spt] = True
        step |= {"reward": reward, "trial_end": trial_end, "action": rng.integers(0, 2, (episodes, steps))}
        belief = bayes_belief(s2, r, PARAMS)
        return step, belief, belief_beyond_last_outcome(belief, last_outcome_groups(s2, r))

    trained, belief, beyond = behaviour()
    untrained, _, _ = behaviour()
    hidden = rng.normal(size=(episodes, steps, units)).astype(np.float32) * 0.01
    hidden[:, spt - 1 :: spt, 0] += belief
    hidden[:, spt - 1 :: spt, 1] += beyond
    neural = {
        "hidden": hidden,
        "rpe": rng.normal(size=(episodes, steps)).astype(np.float32),
        "untrained__hidden": rng.normal(size=(episodes, steps, units)).astype(np.float32),
        "untrained__rpe": rng.normal(size=(episodes, steps)).astype(np.float32),
    } | {f"untrained__{k}": v for k, v in untrained.items()}
    return trained, neural


@pytest.mark.parametrize("variant", ["trial", "two_stage"])
def test_analyse_neural_on_a_fake_recording(variant):
    behaviour, neural = _fake_recording(variant)
    out = analyse_neural(behaviour, neural, PARAMS)
    assert set(BELIEF_KEYS + RPE_KEYS) <= set(out)
    assert all(isinstance(out[k], float) for k in BELIEF_KEYS + RPE_KEYS)
    assert out["belief_r2"] > 0.95  # the planted code is found at the trial ends
    assert out["belief_r2_untrained"] < 0.2 and out["belief_r2_chance"] < 0.2
    assert out["belief_history_r2"] > 0.95 and out["belief_history_r2_untrained"] < 0.2


def test_analyse_neural_without_hidden_keeps_the_prediction_errors():
    behaviour, neural = _fake_recording("trial")
    out = analyse_neural(behaviour, {k: v for k, v in neural.items() if not k.endswith("hidden")}, PARAMS)
    assert "belief_r2" not in out and set(RPE_KEYS) <= set(out)


def test_neural_figure_draws(tmp_path):
    behaviour, neural = _fake_recording("trial")
    seeds = [{"seed": s, **analyse_neural(behaviour, neural, PARAMS)} for s in range(3)]
    path = tmp_path / "neural.png"
    assert neural_figure(path, {"seeds": seeds, "aggregate": {}}) is True
    assert path.stat().st_size > 10_000
    assert neural_figure(tmp_path / "none.png", {"seeds": []}) is False


def test_record_all_smoke_writes_the_neural_results(tmp_path):
    run_dir = tmp_path / "run"
    assert main(two_step(), ["--smoke", "--quiet", "--record", "all", "--run-dir", str(run_dir)]) == 0
    neural = json.loads((run_dir / "neural.json").read_text())
    assert len(neural["seeds"]) == 2
    assert set(BELIEF_KEYS + RPE_KEYS) <= set(neural["seeds"][0])
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["neural"]["aggregate"]["belief_r2"]["mean"] is not None
    assert all("belief_r2_untrained" in s for s in summary["neural"]["seeds"])
    assert (run_dir / "figures" / "neural.png").exists()
