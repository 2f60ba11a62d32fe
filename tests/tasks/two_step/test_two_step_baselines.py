"""Reference two-step agents (model-free, model-based, Bayes-optimal) on the default task:
8 seeds x 300 episodes each through metarl_jax.evaluation.evaluate_policy, analysed per seed."""

from __future__ import annotations

from functools import cache

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from metarl_jax.evaluation import evaluate_policy
from metarl_jax.registry import make
from metarl_jax.tasks.two_step.analysis import analyse_seed, trial_arrays
from metarl_jax.tasks.two_step.baselines import reference_agents

NUM_SEEDS, NUM_EPISODES = 8, 300
BAYES_REWARD_PER_100_TRIALS = 70.6  # Bayes-optimal reward on the default task (Wang 2018 params)


@cache
def evaluated(name: str) -> tuple[dict, list[dict]]:
    """-> (trial arrays (S, E, trials), per-seed analyse_seed results)."""
    env, params = make("two_step")
    seed_keys = jax.vmap(jax.random.key)(jnp.arange(NUM_SEEDS))
    steps = evaluate_policy(env, params, reference_agents(params)[name], seed_keys, NUM_EPISODES)
    assert steps["reward"].shape == (NUM_SEEDS, NUM_EPISODES, env.num_steps(params))
    trials = trial_arrays(steps)
    per_seed = [analyse_seed({k: v[s] for k, v in trials.items()}) for s in range(NUM_SEEDS)]
    return trials, per_seed


def mean_over_seeds(name: str, metric: str) -> float:
    return float(np.mean([r[metric] for r in evaluated(name)[1]]))


def regression_mean(name: str, index: str) -> float:
    return float(np.mean([r["regression"][index] for r in evaluated(name)[1]]))


def test_model_free():
    rme = mean_over_seeds("model_free", "reward_main_effect")
    assert rme > 0.1
    mf, mb = regression_mean("model_free", "model_free_index"), regression_mean("model_free", "model_based_index")
    assert mf > 1.0 and mf > 5 * abs(mb), (mf, mb)
    stay_cr = mean_over_seeds("model_free", "stay_common_rewarded")
    stay_rr = mean_over_seeds("model_free", "stay_rare_rewarded")
    gap = abs(stay_cr - stay_rr)
    print(f"model-free |stay_CR - stay_RR| = {gap:.3f} (reward_main_effect {rme:.3f})")
    # A pure model-free agent ignores transitions, yet its stay_CR - stay_RR is ~0.095
    # (alpha 0.5, beta 5), not ~0. Known selection confound of the stay-probability
    # analysis (Akam et al. 2015): a rare transition is rewarded mostly when the agent
    # chose the action whose common state is currently bad, i.e. its worse-valued
    # action, which it is then less likely to repeat; rare-unrewarded trials conversely
    # follow the better action. The lagged regression above controls for this. So the
    # bound here is loose (0.15) on purpose.
    assert gap < 0.15


def test_model_based():
    assert mean_over_seeds("model_based", "model_based_index") > 0.1
    assert abs(mean_over_seeds("model_based", "reward_main_effect")) < 0.05
    mf, mb = regression_mean("model_based", "model_free_index"), regression_mean("model_based", "model_based_index")
    assert mb > 1.0 and mb > 5 * abs(mf), (mf, mb)
    assert all(r["model_based_signature"] for r in evaluated("model_based")[1])


def test_bayes_optimal():
    reward_per_100 = 100 * mean_over_seeds("bayes_optimal", "reward_per_trial")
    print(f"Bayes-optimal reward per 100 trials = {reward_per_100:.2f}")
    assert reward_per_100 == pytest.approx(BAYES_REWARD_PER_100_TRIALS, rel=0.01)
    assert mean_over_seeds("bayes_optimal", "reward_per_episode") == pytest.approx(reward_per_100, rel=1e-6)
    assert mean_over_seeds("bayes_optimal", "stay_common_rewarded") > 0.97
    assert mean_over_seeds("bayes_optimal", "stay_rare_unrewarded") > 0.97


def test_bayes_optimal_earns_most_on_the_same_episodes():
    trials = {name: evaluated(name)[0] for name in ("model_free", "model_based", "bayes_optimal")}
    # evaluation is paired: every agent meets the same good-state sequence and transition noise
    for name in ("model_free", "model_based"):
        np.testing.assert_array_equal(trials[name]["good_state"], trials["bayes_optimal"]["good_state"])
        np.testing.assert_array_equal(trials[name]["common_transition"], trials["bayes_optimal"]["common_transition"])
    reward = {name: mean_over_seeds(name, "reward_per_trial") for name in trials}
    assert reward["bayes_optimal"] > reward["model_based"] + 0.02
    assert reward["bayes_optimal"] > reward["model_free"] + 0.02
    # all of them beat random choice, (0.9 + 0.1) / 2
    assert min(reward.values()) > 0.55
