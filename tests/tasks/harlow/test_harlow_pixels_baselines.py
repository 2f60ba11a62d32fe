"""Reference agents of the pixel Harlow task: the ideal observer reads the screen and solves
every problem from trial 2 on in the fewest steps, here with 5 gaze positions (2-step
saccades) on a 48-pixel screen. The default screen, and the random agent as the floor, are
checked in tests/test_harlow_experiment.py's --pixels smoke run."""

import jax
import numpy as np

from metarl_jax.evaluation import evaluate_policy
from metarl_jax.registry import make
from metarl_jax.tasks.harlow.analysis import analyse_pixels_seed
from metarl_jax.tasks.harlow.pixels import ideal_observer_return
from metarl_jax.tasks.harlow.pixels_baselines import read_screen, reference_agents

EPISODES = 200


def test_ideal_observer_solves_held_out_problems_with_multi_step_saccades():
    env, params = make(
        "harlow_pixels", num_train_objects=30, num_test_objects=30, screen_size=48, gaze_positions=5, steps_per_trial=5
    )
    params = params.replace(test_objects=True)
    keys = jax.vmap(jax.random.key)(np.arange(2, dtype=np.uint32))
    arrays = evaluate_policy(env, params, reference_agents(params)["ideal_observer"], keys, EPISODES)
    for i in range(2):
        res = analyse_pixels_seed({k: v[i] for k, v in arrays.items()}, params)
        assert res["accuracy_trials_2_6"] == 1.0 and res["trials_completed"] == 6.0 and res["timeouts"] == 0.0
        assert abs(res["accuracy_trial_1"] - 0.5) < 5 * 0.5 / np.sqrt(EPISODES)
        # fixation every trial, trial 1 a coin flip: the ideal return on average
        assert abs(res["return_fraction"] - 1.0) < 5 * 5 / np.sqrt(EPISODES) / ideal_observer_return(params)
    # 4 steps per trial (2 to the cross, 2 on to an object); trial 1 may start nearer the cross
    for ends in (np.nonzero(e)[0] for e in arrays["trial_end"][0, :20]):
        assert len(ends) == 6 and ends[0] <= 3 and (np.diff(ends) == 4).all()
    assert (arrays["chosen_side"][0] >= 0).sum() == 6 * EPISODES


def test_read_screen_finds_gaze_cross_and_objects():
    env, params = make("harlow_pixels", num_train_objects=30, num_test_objects=30)
    read = jax.jit(lambda obs: read_screen(obs, params))
    obs, state = jax.jit(env.reset)(jax.random.key(3), params)
    screen = read(obs)
    assert int(screen.gaze) == int(state.gaze) and bool(screen.cue) and not bool(screen.objects)
    to_centre = 1 if int(state.gaze) == 0 else 0
    obs, state, *_ = jax.jit(env.step)(jax.random.key(0), state, to_centre, params)
    screen = read(obs)
    assert int(screen.gaze) == 1 and not bool(screen.cue) and bool(screen.objects)
    side = int(state.correct_sides[0])
    np.testing.assert_array_equal(screen.left if side == 0 else screen.right, state.images[0])
