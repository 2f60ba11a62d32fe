"""Harlow reference agents through metarl_jax.evaluation.evaluate_policy, 5 seeds x 2000
episodes on test objects, analysed per seed: the side-only control stays at chance on
trials 2-6 under random placement; the ideal observer is perfect after trial 1."""

from __future__ import annotations

import math
from functools import cache

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from metarl_jax.evaluation import evaluate_policy
from metarl_jax.registry import make
from metarl_jax.tasks.harlow.analysis import analyse_seed, trial_arrays
from metarl_jax.tasks.harlow.baselines import reference_agents

NUM_SEEDS, NUM_EPISODES = 5, 2000
SIGMAS = 5.0
TASKS = {
    "random": ("harlow", {}),
    "balanced": ("harlow", {"placement": "balanced"}),
    "fixation": ("harlow_fixation", {"correct_reward": 5.0, "incorrect_reward": -5.0, "fixation_reward": 1.0}),
}


def _bound(p: float, n: int) -> float:
    return SIGMAS * math.sqrt(p * (1 - p) / n)


@cache
def evaluated(task: str, agent: str) -> tuple[dict, list[dict]]:
    """-> (step arrays (S, E, steps), per-seed analyse_seed results) on test objects."""
    name, overrides = TASKS[task]
    env, params = make(name, **overrides)
    params = params.replace(test_objects=True)
    env.validate(params)
    seed_keys = jax.vmap(jax.random.key)(jnp.arange(NUM_SEEDS))
    steps = evaluate_policy(env, params, reference_agents(params)[agent], seed_keys, NUM_EPISODES)
    assert steps["reward"].shape == (NUM_SEEDS, NUM_EPISODES, env.num_steps(params))
    return steps, [analyse_seed({k: v[s] for k, v in steps.items()}, params) for s in range(NUM_SEEDS)]


def test_side_only_stays_at_chance_under_random_placement():
    _, per_seed = evaluated("random", "side_only")
    n = NUM_EPISODES * 5
    for r in per_seed:
        assert abs(r["accuracy_trials_2_6"] - 0.5) < _bound(0.5, n), r
        assert abs(r["accuracy_trial_1"] - 0.5) < _bound(0.5, NUM_EPISODES), r
        assert r["trials_completed"] == 6.0
    pooled = np.mean([r["accuracy_trials_2_6"] for r in per_seed])
    print(f"side-only trials 2-6 accuracy (random placement) = {pooled:.4f}")
    assert abs(pooled - 0.5) < _bound(0.5, NUM_SEEDS * n)
    assert abs(np.mean([r["return_fraction"] for r in per_seed])) < 0.05  # expected return 0 of 5


def test_side_only_is_win_stay_lose_shift_on_sides():
    steps, _ = evaluated("random", "side_only")
    tr = trial_arrays(steps)
    chosen, correct = tr["chosen_side"], tr["correct"]
    expected = np.where(correct[..., :-1], chosen[..., :-1], 1 - chosen[..., :-1])
    np.testing.assert_array_equal(chosen[..., 1:], expected)


def test_side_only_exploits_balanced_placement_statistics():
    """With 3 placements per side, consecutive sides agree with probability 2/5, and
    win-stay/lose-shift always picks the last rewarded side: 40% on trials 2-6."""
    _, per_seed = evaluated("balanced", "side_only")
    pooled = np.mean([r["accuracy_trials_2_6"] for r in per_seed])
    assert abs(pooled - 0.4) < _bound(0.4, NUM_SEEDS * NUM_EPISODES * 5), pooled


@pytest.mark.parametrize("task", ["random", "fixation"])
def test_ideal_observer_is_perfect_after_trial_1(task):
    steps, per_seed = evaluated(task, "ideal_observer")
    for r in per_seed:
        assert r["accuracy_trials_2_6"] == 1.0, r
        assert abs(r["accuracy_trial_1"] - 0.5) < _bound(0.5, NUM_EPISODES), r
        assert r["trials_completed"] == 6.0
        # return = trial-1 coin flip (±c) + the rest: SD of the mean return is c / sqrt(E)
        assert abs(r["return_fraction"] - 1.0) < SIGMAS / math.sqrt(NUM_EPISODES) * 5 / 25, r
    if task == "fixation":
        tr = trial_arrays(steps)
        assert (tr["reward"][..., 1:] == 6.0).all()  # fixation +1 and the rewarded object +5


def test_agents_meet_the_same_problems_and_the_observer_wins():
    """Evaluation is paired: both agents see the same objects and placements."""
    side, side_results = evaluated("random", "side_only")
    ideal, ideal_results = evaluated("random", "ideal_observer")
    np.testing.assert_array_equal(side["correct_side"], ideal["correct_side"])
    first = side["chosen_side"][..., 0] >= 0
    assert first.all()
    # the objects on screen are the same ids: shown pairs agree (as sets) at every step
    pairs_side = np.sort(np.stack([side["left_object"], side["right_object"]]), axis=0)
    pairs_ideal = np.sort(np.stack([ideal["left_object"], ideal["right_object"]]), axis=0)
    np.testing.assert_array_equal(pairs_side, pairs_ideal)
    assert min(r["reward_per_episode"] for r in ideal_results) > max(r["reward_per_episode"] for r in side_results) + 3


def test_reference_agents_names():
    _, params = make("harlow")
    assert set(reference_agents(params)) == {"side_only", "ideal_observer"}
    assert all(p.name == n for n, p in reference_agents(params).items())
