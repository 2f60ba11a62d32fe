"""Reference agents of the pixel Harlow task: the ideal observer reads the screen and solves
every problem from trial 2 on, in the fewest steps; the random agent mostly times out."""

import jax
import numpy as np
import pytest

from metarl_jax.analysis.harlow import analyse_pixels_seed
from metarl_jax.baselines.harlow_pixels import read_screen, reference_agents
from metarl_jax.envs import make
from metarl_jax.envs.harlow_pixels import ideal_observer_return
from metarl_jax.evaluation import evaluate_policy

EPISODES = 200


@pytest.mark.parametrize("overrides", [{}, {"screen_size": 48, "gaze_positions": 5, "steps_per_trial": 5}])
def test_ideal_observer_solves_held_out_problems(overrides):
    env, params = make("harlow_pixels", num_train_objects=30, num_test_objects=30, **overrides)
    params = params.replace(test_objects=True)
    keys = jax.vmap(jax.random.key)(np.arange(2, dtype=np.uint32))
    arrays = evaluate_policy(env, params, reference_agents(params)["ideal_observer"], keys, EPISODES)
    for i in range(2):
        res = analyse_pixels_seed({k: v[i] for k, v in arrays.items()}, params)
        assert res["accuracy_trials_2_6"] == 1.0 and res["trials_completed"] == 6.0 and res["timeouts"] == 0.0
        assert abs(res["accuracy_trial_1"] - 0.5) < 5 * 0.5 / np.sqrt(EPISODES)
        # fixation every trial, trial 1 a coin flip: the ideal return on average
        assert abs(res["return_fraction"] - 1.0) < 5 * 5 / np.sqrt(EPISODES) / ideal_observer_return(params)
    steps = params.gaze_positions - 1  # to the cross, then to an object (trial 1 may start nearer)
    for ends in (np.nonzero(e)[0] for e in arrays["trial_end"][0, :20]):
        assert len(ends) == 6 and ends[0] <= steps - 1 and (np.diff(ends) == steps).all()


def test_random_agent_is_the_floor():
    env, params = make("harlow_pixels", num_train_objects=30, num_test_objects=30)
    keys = jax.vmap(jax.random.key)(np.arange(1, dtype=np.uint32))
    arrays = evaluate_policy(env, params, reference_agents(params)["random"], keys, EPISODES)
    res = analyse_pixels_seed({k: v[0] for k, v in arrays.items()}, params)
    assert res["timeouts"] > 0.5 and res["trials_completed"] < 5.5
    assert res["accuracy_trials_2_6"] < 0.5 and res["return_fraction"] < 0.2


def test_read_screen_finds_gaze_cross_and_objects():
    env, params = make("harlow_pixels", num_train_objects=30, num_test_objects=30)
    obs, state = env.reset(jax.random.key(3), params)
    screen = read_screen(obs, params)
    assert int(screen.gaze) == int(state.gaze) and bool(screen.cue) and not bool(screen.objects)
    to_centre = 1 if int(state.gaze) == 0 else 0
    obs, state, *_ = env.step(jax.random.key(0), state, to_centre, params)
    screen = read_screen(obs, params)
    assert int(screen.gaze) == 1 and not bool(screen.cue) and bool(screen.objects)
    side = int(state.correct_sides[0])
    np.testing.assert_array_equal(screen.left if side == 0 else screen.right, state.images[0])
