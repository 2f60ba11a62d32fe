"""Harlow on a rendered screen: pixels where the state says, a NumPy reference of the trial
logic and the screen, timeouts, the fixed step budget, trials_completed, parity,
determinism, object pools (procedural and a PNG folder), validation.

The NumPy reference below is written from the module docstring of
``metarl_jax.tasks.harlow.pixels`` and ``.objects`` (it never calls the env's step or renderer):

- screen S x S: objects of side o = round(0.4 S), centred at x = 0.25 S and 0.75 S and
  y = 0.5 S; a red plus of side round(0.1 S) in the centre; a white gaze marker of
  round(0.1 S) x round(0.06 S) pixels centred under the gaze column at y = 0.85 S;
- gaze positions 0 .. G-1 at x = S (0.25 + 0.5 p / (G - 1)); left/right move one, stay stays;
- cue phase: a step ending on the centre fixates (+fixation_reward, objects appear);
  objects phase: a step ending on position 0 / G-1 chooses left / right;
- a trial lasting trial_timeout steps without a choice, and the trial in progress at the
  budget's last step, end as a timeout paying incorrect_reward; after the last trial the
  screen is blank and steps pay 0.

The problem (objects, sides, first gaze) is random: the reference replays the one the
JAX reset drew (read from its state) and the two are compared exactly.
"""

from __future__ import annotations

import math
from functools import cache

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from PIL import Image

from metarl_jax.core.errors import ConfigError
from metarl_jax.registry import make
from metarl_jax.tasks.harlow.analysis import analyse_pixels_seed
from metarl_jax.tasks.harlow.env import draw_problem
from metarl_jax.tasks.harlow.objects import object_images, pool_images
from metarl_jax.tasks.harlow.pixels import (
    PHASE_CUE,
    PHASE_DONE,
    PHASE_OBJECTS,
    HarlowPixels,
    HarlowPixelsParams,
    ideal_observer_return,
    render,
)

ENV = HarlowPixels()
LEFT, RIGHT, STAY = 0, 1, 2
SMALL = HarlowPixelsParams(num_train_objects=50, num_test_objects=50)
NUM_EPISODES = 64
KEYS = jax.random.split(jax.random.key(7), NUM_EPISODES)


# --------------------------------------------------------------------------- NumPy reference


def ref_geometry(s: int, g: int) -> dict:
    o = round(0.4 * s)
    k = round(0.1 * s)
    mw, mh = round(0.1 * s), round(0.06 * s)

    def start(centre: float, extent: int) -> int:
        return math.floor(centre - extent / 2 + 0.5)

    cols = [math.floor(s * (0.25 + 0.5 * p / (g - 1))) for p in range(g)]
    return dict(
        o=o,
        top=start(0.5 * s, o),
        left=(start(0.25 * s, o), start(0.75 * s, o)),
        cross=(start(0.5 * s, k), k),
        cols=cols,
        marker=(start(0.85 * s, mh), mh, mw),
    )


def ref_screen(s: int, g: int, phase: int, gaze: int, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    geo = ref_geometry(s, g)
    screen = np.zeros((s, s, 3), np.float32)
    if phase == PHASE_DONE:
        return screen
    if phase == PHASE_OBJECTS:
        o, top = geo["o"], geo["top"]
        for img, x in zip((left, right), geo["left"]):
            screen[top : top + o, x : x + o] = img
    if phase == PHASE_CUE:
        a, k = geo["cross"]
        mid = a + k // 2
        screen[mid, a : a + k] = (1, 0, 0)
        screen[a : a + k, mid] = (1, 0, 0)
    y, h, w = geo["marker"]
    x = geo["cols"][gaze] - w // 2
    screen[y : y + h, x : x + w] = 1.0
    return screen


def numpy_episode(p: HarlowPixelsParams, state0, actions: np.ndarray) -> dict:
    """Replay the problem of ``state0`` under ``actions`` by the documented rules."""
    s, g, trials = p.screen_size, p.gaze_positions, p.trials_per_episode
    n = trials * p.steps_per_trial
    sides = np.asarray(state0.correct_sides)
    images = np.asarray(state0.images)
    ids = np.asarray(state0.objects)
    gaze, phase, trial, lasted, completed = int(state0.gaze), PHASE_CUE, 0, 0, 0
    out = {k: [] for k in ("obs", "reward", "terminated", "trial_index", "correct_side", "chosen_side")}
    out.update({k: [] for k in ("correct", "trial_end", "left_object", "right_object", "gaze", "fixated")})
    out.update({k: [] for k in ("timeout", "trials_completed")})
    for t, a in enumerate(actions):
        side = sides[min(trial, trials - 1)]
        left_id, right_id = (ids[0], ids[1]) if side == 0 else (ids[1], ids[0])
        shown = phase == PHASE_OBJECTS
        gaze = min(max(gaze + {LEFT: -1, RIGHT: 1, STAY: 0}[int(a)], 0), g - 1)
        fixated = phase == PHASE_CUE and gaze == g // 2
        chose = shown and gaze in (0, g - 1)
        chosen = 0 if gaze == 0 else 1
        correct = chose and chosen == side
        lasted += 1
        timeout = phase != PHASE_DONE and not chose and (lasted >= p.trial_timeout or t == n - 1)
        reward = p.fixation_reward * fixated + (p.correct_reward if correct else p.incorrect_reward) * chose
        reward += p.incorrect_reward * timeout
        out["trial_index"].append(trial)
        out["correct_side"].append(side)
        out["left_object"].append(left_id if shown else -1)
        out["right_object"].append(right_id if shown else -1)
        completed += chose
        if chose or timeout:
            trial, lasted = trial + 1, 0
            phase = PHASE_DONE if trial >= trials else PHASE_CUE
        elif fixated:
            phase = PHASE_OBJECTS
        side_now = sides[min(trial, trials - 1)]
        left, right = (images[0], images[1]) if side_now == 0 else (images[1], images[0])
        obs = ref_screen(s, g, phase, gaze, left, right) if t < n - 1 else np.zeros((s, s, 3), np.float32)
        for key, value in (
            ("obs", obs),
            ("reward", reward),
            ("terminated", t == n - 1),
            ("chosen_side", chosen if chose else -1),
            ("correct", correct),
            ("trial_end", chose or timeout),
            ("gaze", gaze),
            ("fixated", fixated),
            ("timeout", timeout),
            ("trials_completed", completed),
        ):
            out[key].append(value)
    return {k: np.asarray(v) for k, v in out.items()}


# --------------------------------------------------------------------------- JAX rollouts


def _episode(key: jax.Array, params: HarlowPixelsParams, actions: jax.Array | None = None) -> dict:
    """One episode -> the reset (obs0, state0) and step-level arrays (steps, ...).
    Random actions: right with probability 1/2, so trials often complete; else left or stay."""
    k_reset, k_steps, k_act = jax.random.split(key, 3)
    obs0, state0 = ENV.reset(k_reset, params)
    n = ENV.num_steps(params)
    if actions is None:
        u = jax.random.randint(k_act, (n,), 0, 4, dtype=jnp.int32)
        actions = jnp.where(u == 3, RIGHT, u).astype(jnp.int32)

    def body(state, xs):
        k, a = xs
        obs, state, reward, terminated, truncated, info = ENV.step(k, state, a, params)
        return state, dict(obs=obs, reward=reward, terminated=terminated, truncated=truncated, action=a, **info)

    _, steps = jax.lax.scan(body, state0, (jax.random.split(k_steps, n), actions))
    return dict(obs0=obs0, state0=state0, **steps)


rollout = jax.jit(jax.vmap(_episode, in_axes=(0, None)))
rollout_actions = jax.jit(jax.vmap(_episode, in_axes=(0, None, 0)))


@cache
def random_rollout(test_objects: bool = False) -> dict:
    return jax.tree.map(np.asarray, rollout(KEYS, SMALL.replace(test_objects=test_objects)))


def _state(ep: dict, i: int):
    return jax.tree.map(lambda x: x[i], ep["state0"])


# --------------------------------------------------------------------------- the screen


def test_reset_screen_shows_cross_and_gaze_only():
    ep = random_rollout()
    geo = ref_geometry(32, 3)
    assert (geo["o"], geo["top"], geo["left"], geo["cols"]) == (13, 10, (2, 18), [8, 16, 24])
    for i in range(8):
        obs, gaze = ep["obs0"][i], int(ep["state0"].gaze[i])
        assert gaze in (0, 2)  # off the centre
        red = (obs[..., 0] == 1) & (obs[..., 1] == 0) & (obs[..., 2] == 0)
        ys, xs = np.nonzero(red)
        assert sorted(zip(ys.tolist(), xs.tolist())) == [(15, 16), (16, 15), (16, 16), (16, 17), (17, 16)]
        white = (obs == 1).all(-1)
        ys, xs = np.nonzero(white)
        assert set(ys.tolist()) == {26, 27} and set(xs.tolist()) == {geo["cols"][gaze] + d for d in (-1, 0, 1)}
        assert np.count_nonzero(obs.sum(-1)) == 5 + 6  # nothing else: no object on the cue screen


def test_objects_appear_on_fixation_where_the_state_says():
    # left then right: from either side position the gaze passes through the centre
    actions = jnp.tile(jnp.array([LEFT, RIGHT, RIGHT, LEFT], jnp.int32), (8, 5))[:, :18]
    ep = jax.tree.map(np.asarray, rollout_actions(KEYS[:8], SMALL, actions))
    for i in range(8):
        k = int(np.argmax(ep["fixated"][i]))
        assert ep["fixated"][i, k] and ep["gaze"][i, k] == 1
        obs, side = ep["obs"][i, k], ep["correct_side"][i, k]
        images = ep["state0"].images[i]
        left, right = (images[0], images[1]) if side == 0 else (images[1], images[0])
        np.testing.assert_array_equal(obs[10:23, 2:15], left)
        np.testing.assert_array_equal(obs[10:23, 18:31], right)
        np.testing.assert_array_equal(obs[26:28, 15:18], 1.0)  # gaze on the centre
        assert not ((obs[..., 0] == 1) & (obs[..., 1] == 0) & (obs[..., 2] == 0)).any()  # the cross has gone
        outside = obs.copy()
        outside[10:23, 2:15] = outside[10:23, 18:31] = outside[26:28, 15:18] = 0
        assert not outside.any()


@pytest.mark.parametrize("size,gazes", [(32, 3), (48, 5), (20, 3)])
def test_render_matches_the_documented_layout(size, gazes):
    p = SMALL.replace(screen_size=size, gaze_positions=gazes)
    imgs = np.asarray(object_images(p, jnp.array([3, 4])))
    assert imgs.shape == (2, round(0.4 * size), round(0.4 * size), 3)
    draw = jax.jit(lambda phase, gaze: render(p, phase, gaze, imgs[0], imgs[1]))
    for phase in (PHASE_CUE, PHASE_OBJECTS, PHASE_DONE):
        for gaze in range(gazes):
            got = np.asarray(draw(jnp.int32(phase), jnp.int32(gaze)))
            np.testing.assert_array_equal(got, ref_screen(size, gazes, phase, gaze, imgs[0], imgs[1]))
    geo = ref_geometry(size, gazes)
    assert abs(geo["left"][0] + geo["o"] / 2 - 0.25 * size) <= 0.5  # centred at x = 0.25 S
    assert abs(geo["left"][1] + geo["o"] / 2 - 0.75 * size) <= 0.5


def test_objects_are_keyed_in_range_and_pools_disjoint():
    train, test = np.asarray(pool_images(SMALL, False)), np.asarray(pool_images(SMALL, True))
    assert train.shape == test.shape == (50, 13, 13, 3) and train.dtype == np.float32
    for pool in (train, test):
        assert pool.min() >= 0.1 and pool.max() <= 0.9  # never black, pure red or pure white
        flat = pool.reshape(50, -1)
        assert len({row.tobytes() for row in flat}) == 50  # distinct objects
    dist = np.abs(train.reshape(50, 1, -1) - test.reshape(1, 50, -1)).max(-1)
    assert dist.min() > 0.01  # no test object is a training object
    np.testing.assert_array_equal(pool_images(SMALL, False)[:5], train[:5])  # keyed, reproducible
    other = np.asarray(pool_images(SMALL.replace(object_key=7), False))
    assert not np.array_equal(other, train)


def test_png_folder(tmp_path):
    rng = np.random.default_rng(0)
    colours = rng.integers(0, 256, (5, 3))
    for n, c in enumerate(colours):
        Image.fromarray(np.broadcast_to(c.astype(np.uint8), (20, 20, 3)).copy()).save(tmp_path / f"img{n:02d}.png")
    env, p = make("harlow_pixels", image_dir=str(tmp_path), num_train_objects=3, num_test_objects=2)
    np.testing.assert_allclose(pool_images(p, False)[:, 0, 0], colours[:3] / 255, atol=1e-6)
    np.testing.assert_allclose(pool_images(p, True)[:, 0, 0], colours[3:] / 255, atol=1e-6)
    _, state = jax.jit(env.reset)(jax.random.key(0), p.replace(test_objects=True))
    assert set(np.asarray(state.objects).tolist()) == {0, 1}
    np.testing.assert_allclose(state.images[:, 0, 0], colours[3 + np.asarray(state.objects)] / 255, atol=1e-6)
    with pytest.raises(ConfigError) as excinfo:
        make("harlow_pixels", image_dir=str(tmp_path), num_train_objects=3, num_test_objects=3)
    assert excinfo.value.field == "image_dir" and "holds 5" in str(excinfo.value)


# --------------------------------------------------------------------------- dynamics


@pytest.mark.parametrize("test_objects", [False, True])
def test_matches_numpy_reference(test_objects):
    ep = random_rollout(test_objects)
    p = SMALL.replace(test_objects=test_objects)
    for i in range(NUM_EPISODES):
        state0 = _state(ep, i)
        ref = numpy_episode(p, state0, ep["action"][i])
        np.testing.assert_array_equal(ep["obs0"][i], ref_screen(32, 3, PHASE_CUE, int(state0.gaze), 0, 0))
        for key, value in ref.items():
            got = ep[key][i]
            if key in ("obs", "reward"):
                np.testing.assert_allclose(got, value, atol=1e-6, err_msg=key)
            else:
                np.testing.assert_array_equal(got, value, err_msg=f"{key}, episode {i}")
    # random actions reach every branch
    assert ep["fixated"].any() and ep["timeout"].any() and ep["correct"].any()
    assert (ep["chosen_side"] >= 0).any() and ((ep["chosen_side"] >= 0) & ~ep["correct"]).any()
    pool = 50
    shown = ep["left_object"][ep["left_object"] >= 0]
    assert shown.max() < pool


def test_reset_draws_the_shared_problem():
    ep = random_rollout()
    for i in range(4):
        objects, sides = draw_problem(jax.random.split(jax.random.split(KEYS[i], 3)[0])[0], SMALL)
        np.testing.assert_array_equal(ep["state0"].objects[i], objects)
        np.testing.assert_array_equal(ep["state0"].correct_sides[i], sides)
        np.testing.assert_array_equal(ep["state0"].images[i], object_images(SMALL, objects))


def test_stalling_times_out_every_trial():
    """Always 'stay' from an off-centre start: never fixates; each trial ends after
    trial_timeout = 4 steps with incorrect_reward; the budget's last step cuts the fifth."""
    ep = jax.tree.map(np.asarray, rollout_actions(KEYS[:8], SMALL, jnp.full((8, 18), STAY, jnp.int32)))
    ends = np.arange(18)[ep["trial_end"][0]]
    np.testing.assert_array_equal(ends, [3, 7, 11, 15, 17])
    assert (ep["timeout"] == ep["trial_end"]).all() and not ep["fixated"].any()
    np.testing.assert_array_equal(ep["reward"][0][ends], -5.0)
    assert ep["reward"].sum(-1).tolist() == [-25.0] * 8
    np.testing.assert_array_equal(ep["trial_index"][0], np.repeat([0, 1, 2, 3, 4], [4, 4, 4, 4, 2]))
    assert (ep["trials_completed"] == 0).all()
    res = analyse_pixels_seed(ep, SMALL)
    assert res["trials_completed"] == 0 and res["timeouts"] == 5 and res["accuracy_trials_2_6"] == 0.0


def test_timeout_with_objects_on_screen_pays_fixation_then_incorrect():
    """Fixate, then stay on the centre: the objects stay up until the 4-step timeout."""
    gaze0 = np.asarray(random_rollout()["state0"].gaze[:8])
    first = np.where(gaze0 == 0, RIGHT, LEFT)
    actions = np.full((8, 18), STAY, np.int32)
    actions[:, 0] = first
    ep = jax.tree.map(np.asarray, rollout_actions(KEYS[:8], SMALL, jnp.asarray(actions)))
    np.testing.assert_array_equal(ep["reward"][:, :4], np.tile([1.0, 0, 0, -5.0], (8, 1)))
    assert ep["timeout"][:, 3].all() and (ep["chosen_side"][:, :4] == -1).all()
    assert (ep["left_object"][:, 1:4] >= 0).all()  # on screen during the wait
    # the gaze stays on the centre, so the next trial's stay fixates at once
    assert ep["fixated"][:, 4].all()


def test_ideal_play_completes_six_trials_then_blank():
    """To the centre, then the rewarded side: 2 steps per trial, 6 trials in 12 steps, then
    a blank screen paying 0 with trial_index 6 until the fixed budget of 18 steps ends."""
    ep0 = random_rollout()
    n = 8
    actions = np.full((n, 18), STAY, np.int32)
    for i in range(n):
        gaze, sides = int(ep0["state0"].gaze[i]), ep0["state0"].correct_sides[i]
        actions[i, 0] = RIGHT if gaze == 0 else LEFT
        for t in range(6):
            if t:
                actions[i, 2 * t] = RIGHT if sides[t - 1] == 0 else LEFT  # back from the last choice
            actions[i, 2 * t + 1] = sides[t]  # 0 = left, 1 = right
    ep = jax.tree.map(np.asarray, rollout_actions(KEYS[:n], SMALL, jnp.asarray(actions)))
    assert ep["correct"].sum() == 6 * n and not ep["timeout"].any()
    np.testing.assert_array_equal(ep["trial_end"][0], (np.arange(18) % 2 == 1) & (np.arange(18) < 12))
    np.testing.assert_array_equal(ep["reward"][0], [1.0, 5.0] * 6 + [0.0] * 6)
    np.testing.assert_array_equal(ep["trial_index"][0, 12:], 6)
    assert (ep["obs"][:, 11:] == 0).all()  # blank once the last trial is over
    np.testing.assert_array_equal(ep["trials_completed"][:, -1], 6)
    np.testing.assert_array_equal(ep["terminated"], np.broadcast_to(np.arange(18) == 17, (n, 18)))
    res = analyse_pixels_seed(ep, SMALL)
    assert res["accuracy_trials_2_6"] == res["accuracy_trial_1"] == 1.0 and res["trials_completed"] == 6
    assert res["reward_per_episode"] == 36.0 and ideal_observer_return(SMALL) == 31.0


def test_fixed_episode_length_under_any_actions():
    ep = random_rollout()
    n = ENV.num_steps(SMALL)
    assert n == 18 and ep["reward"].shape == (NUM_EPISODES, n)
    np.testing.assert_array_equal(ep["terminated"], np.broadcast_to(np.arange(n) == n - 1, (NUM_EPISODES, n)))
    assert not ep["truncated"].any()
    assert (ep["obs"][:, -1] == 0).all()
    # the last step ends whatever trial is in progress; trials are 1 .. trial_timeout steps
    assert (ep["trial_end"][:, -1] | (ep["trial_index"][:, -1] == 6)).all()
    assert (ep["trial_index"][:, -1] <= 6).all()
    lengths = [np.diff(np.r_[-1, np.nonzero(e)[0]]) for e in ep["trial_end"]]
    assert max(x.max() for x in lengths) == 4 and min(x.min() for x in lengths) >= 1


def test_jit_vmap_matches_eager_and_is_deterministic():
    ep = random_rollout()
    k_reset, k_steps, _ = jax.random.split(KEYS[3], 3)
    obs, state = ENV.reset(k_reset, SMALL)
    np.testing.assert_array_equal(obs, ep["obs0"][3])
    keys = jax.random.split(k_steps, 18)
    for t in range(18):
        obs, state, reward, terminated, _, info = ENV.step(keys[t], state, jnp.int32(ep["action"][3, t]), SMALL)
        np.testing.assert_allclose(obs, ep["obs"][3, t], atol=1e-6)
        assert float(reward) == pytest.approx(float(ep["reward"][3, t]))
        for k, v in info.items():
            assert np.array_equal(np.asarray(v), ep[k][3, t]), (k, t)
    again = jax.tree.map(np.asarray, rollout(KEYS, SMALL))
    for key in ("obs", "reward", "gaze", "trial_end"):
        np.testing.assert_array_equal(again[key], ep[key])
    assert not np.array_equal(ep["state0"].objects[0], ep["state0"].objects[1])


def test_train_and_test_pools_share_one_compilation(compile_counter):
    fresh = jax.jit(jax.vmap(_episode, in_axes=(0, None)))
    train = fresh(KEYS[:4], SMALL)
    before = compile_counter()
    test = fresh(KEYS[:4], SMALL.replace(test_objects=True))
    assert compile_counter() == before
    assert not np.array_equal(test["state0"].images, train["state0"].images)


# --------------------------------------------------------------------------- validation


@pytest.mark.parametrize(
    "field,value",
    [
        ("screen_size", 8),
        ("screen_size", 1000),
        ("screen_size", 32.0),
        ("gaze_positions", 4),
        ("gaze_positions", 1),
        ("gaze_positions", 9),  # markers would overlap on 32 pixels
        ("steps_per_trial", 1),
        ("trial_timeout", 1),
        ("image_dir", "/no/such/folder"),
        ("correct_reward", -6.0),
        ("placement", "fixed"),
        ("num_test_objects", 1),
    ],
)
def test_validate_names_the_bad_field(field, value):
    with pytest.raises(ConfigError) as excinfo:
        make("harlow_pixels", **{field: value})
    assert excinfo.value.field == field


def test_validate_accepts_valid_params():
    for overrides in ({}, {"screen_size": 64, "gaze_positions": 5, "steps_per_trial": 4}, {"placement": "balanced"}):
        env, params = make("harlow_pixels", **overrides)
        env.validate(params)
        assert env.observation_shape(params) == (params.screen_size, params.screen_size, 3)
