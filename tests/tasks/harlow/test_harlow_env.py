"""Harlow task: object pools, placement statistics, reward and fixation rules, a NumPy
reference of the episode logic, parity, determinism, dtypes, validation.

The NumPy reference below is written from the rules in the module docstring of
``metarl_jax.tasks.harlow.env`` (it never calls the env's step):

- an episode shows the same two objects (features ``f_rewarded``, ``f_other``)
  for ``trials`` trials; ``sides[t]`` is the rewarded object's side on trial t;
- the screen is concat(left, right) (+ a cue unit with fixation); after the
  last step it is blank;
- without fixation: one step per trial; action 0/1 picks left/right and pays
  correct_reward when it is ``sides[t]``, else incorrect_reward;
- with fixation: two steps per trial. Step 1 shows the cue; action 2 (fixate)
  pays fixation_reward and shows the objects, anything else pays 0 and shows a
  blank screen. Step 2: on the objects, 0/1 is a choice, 2 is none and pays
  incorrect_reward; on a blank screen every action pays 0 and is no choice.

Sampling (which objects, which sides) is random, so the reference replays the
problem the JAX reset drew (read from its state) and the two are compared
exactly; sampling itself is checked against analytic rates within 5-sigma
binomial bounds (keys fixed, so deterministic).
"""

from __future__ import annotations

import itertools
import math
from functools import cache

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from metarl_jax.core.errors import ConfigError
from metarl_jax.registry import make, registered_envs
from metarl_jax.tasks.harlow.env import Harlow, HarlowParams, ideal_observer_return, object_features, pool_features

try:  # jax >= 0.7
    from jax import enable_x64
except ImportError:  # pragma: no cover - older jax
    from jax.experimental import enable_x64

ENV, ENV_FIX = Harlow(), Harlow(fixation=True)
INFO_KEYS = {"trial_index", "correct_side", "chosen_side", "correct", "trial_end", "left_object", "right_object"}
NUM_EPISODES = 4000
SIGMAS = 5.0
STATS_KEYS = jax.random.split(jax.random.key(1949), NUM_EPISODES)


def _sigma(p: float, n: int) -> float:
    return math.sqrt(p * (1 - p) / n)


def _env(params: HarlowParams) -> Harlow:
    return ENV_FIX if params.fixation else ENV


# --------------------------------------------------------------------------- JAX rollouts


def _episode(key: jax.Array, params: HarlowParams) -> dict:
    """One episode with uniformly random actions -> step-level arrays (steps, ...) and the reset state.
    With fixation, actions are fixate with probability 1/2 (else left/right) so every branch occurs."""
    env = _env(params)
    k_reset, k_steps, k_act = jax.random.split(key, 3)
    obs0, state0 = env.reset(k_reset, params)
    n = env.num_steps(params)
    actions = jax.random.randint(k_act, (n,), 0, 2 * env.num_actions - 2, dtype=jnp.int32)
    actions = jnp.minimum(actions, env.num_actions - 1)  # fixation: P(2) = 1/2; else uniform over 0, 1

    def body(state, xs):
        k, a = xs
        obs, state, reward, terminated, truncated, info = env.step(k, state, a, params)
        return state, dict(obs=obs, reward=reward, terminated=terminated, truncated=truncated, action=a, info=info)

    _, steps = jax.lax.scan(body, state0, (jax.random.split(k_steps, n), actions))
    return dict(obs0=obs0, state0=state0, **steps)


def _episode_eager(key: jax.Array, params: HarlowParams) -> dict:
    """The same episode stepped op by op in Python (no jit, no scan)."""
    env = _env(params)
    k_reset, k_steps, k_act = jax.random.split(key, 3)
    obs0, state = env.reset(k_reset, params)
    state0 = state
    n = env.num_steps(params)
    actions = jax.random.randint(k_act, (n,), 0, 2 * env.num_actions - 2, dtype=jnp.int32)
    actions = jnp.minimum(actions, env.num_actions - 1)
    keys = jax.random.split(k_steps, n)
    records = []
    for i in range(n):
        obs, state, reward, terminated, truncated, info = env.step(keys[i], state, actions[i], params)
        records.append(
            dict(obs=obs, reward=reward, terminated=terminated, truncated=truncated, action=actions[i], info=info)
        )
    steps = jax.tree.map(lambda *xs: np.stack([np.asarray(x) for x in xs]), *records)
    return dict(obs0=obs0, state0=state0, **steps)


rollout = jax.jit(jax.vmap(_episode, in_axes=(0, None)))

CONFIGS = {
    "default": HarlowParams(),
    "balanced": HarlowParams(placement="balanced"),
    "fixation": HarlowParams(fixation=True, correct_reward=5.0, incorrect_reward=-5.0, fixation_reward=1.0),
    "one_hot": HarlowParams(encoding="one_hot", num_train_objects=50, trials_per_episode=4),
}


@cache
def jax_rollout(name: str, test_objects: bool = False) -> dict:
    params = CONFIGS[name].replace(test_objects=test_objects)
    return jax.tree.map(np.asarray, rollout(STATS_KEYS, params))


# --------------------------------------------------------------------------- NumPy reference


def numpy_episode(f_rewarded: np.ndarray, f_other: np.ndarray, sides: np.ndarray, actions: np.ndarray, p) -> dict:
    """Reference episode logic for one problem and one action sequence -> step-level arrays."""
    c, i, fr = float(p.correct_reward), float(p.incorrect_reward), float(p.fixation_reward)
    d = f_rewarded.shape[0]
    obs_dim = 2 * d + int(p.fixation)

    def screen(t: int) -> np.ndarray:
        left, right = (f_rewarded, f_other) if sides[t] == 0 else (f_other, f_rewarded)
        out = np.zeros(obs_dim, np.float32)
        out[:d], out[d : 2 * d] = left, right
        return out

    cue = np.zeros(obs_dim, np.float32)
    if p.fixation:
        cue[-1] = 1.0
    blank = np.zeros(obs_dim, np.float32)
    rows = []
    step = 0
    obs0 = cue if p.fixation else screen(0)
    for t in range(p.trials_per_episode):
        shown = True
        if p.fixation:
            a = int(actions[step])
            shown = a == 2
            last = False
            rows.append(dict(obs=screen(t) if shown else blank, reward=fr if shown else 0.0, trial_end=False,
                             chosen=-1, correct=False, t=t, shown=False, last=last))  # fmt: skip
            step += 1
        a = int(actions[step])
        chose = shown and a in (0, 1)
        correct = chose and a == sides[t]
        reward = (c if correct else i) if shown else 0.0
        last = t == p.trials_per_episode - 1
        nxt = blank if last else (cue if p.fixation else screen(t + 1))
        rows.append(dict(obs=nxt, reward=reward, trial_end=True, chosen=a if chose else -1, correct=correct,
                         t=t, shown=shown, last=last))  # fmt: skip
        step += 1
    n = len(rows)
    return dict(
        obs0=obs0,
        obs=np.stack([r["obs"] for r in rows]),
        reward=np.array([r["reward"] for r in rows], np.float32),
        terminated=np.arange(n) == n - 1,
        truncated=np.zeros(n, bool),
        trial_end=np.array([r["trial_end"] for r in rows]),
        chosen_side=np.array([r["chosen"] for r in rows], np.int32),
        correct=np.array([r["correct"] for r in rows]),
        trial_index=np.array([r["t"] for r in rows], np.int32),
        objects_shown=np.array([r["shown"] for r in rows]),
    )


def compare_with_reference(out: dict, e: int, params: HarlowParams) -> None:
    """Episode e of a batched JAX rollout vs the NumPy reference replaying its problem and actions."""
    state0 = out["state0"]
    feats, sides, ids = state0.features[e], state0.correct_sides[e], state0.objects[e]
    ref = numpy_episode(feats[0], feats[1], sides, out["action"][e], params)
    info = {k: v[e] for k, v in out["info"].items()}
    np.testing.assert_array_equal(out["obs0"][e], ref["obs0"])
    np.testing.assert_allclose(out["obs"][e], ref["obs"], rtol=0, atol=0)
    np.testing.assert_array_equal(out["reward"][e], ref["reward"])
    np.testing.assert_array_equal(out["terminated"][e], ref["terminated"])
    np.testing.assert_array_equal(out["truncated"][e], ref["truncated"])
    for k in ("trial_end", "chosen_side", "correct", "trial_index"):
        np.testing.assert_array_equal(info[k], ref[k], err_msg=k)
    spt = 2 if params.fixation else 1
    np.testing.assert_array_equal(info["correct_side"], np.repeat(sides, spt))
    shown = ref["objects_shown"]
    side_of_step = np.repeat(sides, spt)
    left = np.where(side_of_step == 0, ids[0], ids[1])
    right = np.where(side_of_step == 0, ids[1], ids[0])
    np.testing.assert_array_equal(info["left_object"], np.where(shown, left, -1))
    np.testing.assert_array_equal(info["right_object"], np.where(shown, right, -1))


# one-hot identities cannot show test objects (validate rejects it): that pair is left out
REFERENCE_CASES = [(name, test) for name in CONFIGS for test in (False, True) if not (name == "one_hot" and test)]


@pytest.mark.parametrize(("name", "test_objects"), REFERENCE_CASES)
def test_matches_numpy_reference(name, test_objects):
    params = CONFIGS[name].replace(test_objects=test_objects)
    _env(params).validate(params)
    out = jax_rollout(name, test_objects)
    for e in range(200):
        compare_with_reference(out, e, params)
    # the random actions covered every branch
    info = out["info"]
    assert (info["chosen_side"] == 0).any() and (info["chosen_side"] == 1).any()
    assert info["correct"].any() and not info["correct"].all()
    if params.fixation:
        rewards = set(np.unique(out["reward"]).tolist())
        assert rewards == {0.0, 1.0, 5.0, -5.0}
        choice_steps = info["trial_end"]
        assert (info["chosen_side"][choice_steps] == -1).any()  # broken fixation or fixate on the objects


def test_reset_shows_the_problem_from_the_documented_pool():
    """Objects are distinct ids of the selected pool; obs0 is concat(left, right) of their features,
    which follow the documented rule normal(fold_in(fold_in(key(object_key), pool), id))."""
    for test in (False, True):
        out = jax_rollout("default", test)
        ids = out["state0"].objects
        assert ids.dtype == np.int32 and ids.shape == (NUM_EPISODES, 2)
        assert (ids[:, 0] != ids[:, 1]).all()
        assert ids.min() >= 0 and ids.max() < 1000
        pool = np.asarray(pool_features(HarlowParams(), test))
        np.testing.assert_array_equal(out["state0"].features, pool[ids])
        sides = out["state0"].correct_sides[:, 0]
        left = np.where(sides[:, None] == 0, pool[ids[:, 0]], pool[ids[:, 1]])
        right = np.where(sides[:, None] == 0, pool[ids[:, 1]], pool[ids[:, 0]])
        np.testing.assert_array_equal(out["obs0"], np.concatenate([left, right], axis=1))
    branch = jax.random.fold_in(jax.random.key(1949), 1)
    manual = jax.random.normal(jax.random.fold_in(branch, 7), (32,), jnp.float32)
    np.testing.assert_array_equal(np.asarray(object_features(HarlowParams(test_objects=True), 7)), manual)


def test_objects_are_uniform_over_the_pool():
    """Each id appears with probability 2/1000 per episode: 4000 episodes x 2 objects. The rewarded
    object is uniform too: its mean id is (n - 1)/2 within 5 sigma."""
    ids = jax_rollout("default")["state0"].objects
    counts = np.bincount(ids.reshape(-1), minlength=1000)
    expected = 2 * NUM_EPISODES / 1000
    chi2 = float(((counts - expected) ** 2 / expected).sum())
    assert chi2 < 999 + SIGMAS * math.sqrt(2 * 999), chi2  # chi-square, 999 dof
    sd = math.sqrt((1000**2 - 1) / 12 / NUM_EPISODES)
    assert abs(ids[:, 0].mean() - 499.5) < SIGMAS * sd
    assert abs(ids[:, 1].mean() - 499.5) < SIGMAS * sd


# --------------------------------------------------------------------------- object pools


@cache
def pools() -> tuple[np.ndarray, np.ndarray]:
    p = HarlowParams()
    return np.asarray(pool_features(p, False)), np.asarray(pool_features(p, True))


def _min_distance(a: np.ndarray, b: np.ndarray, same: bool = False) -> float:
    d2 = (a * a).sum(1)[:, None] + (b * b).sum(1)[None, :] - 2 * a @ b.T
    if same:
        np.fill_diagonal(d2, np.inf)
    return float(np.sqrt(max(d2.min(), 0.0)))


def test_no_test_object_resembles_a_training_object():
    """Distances, not indices: 32-d standard normal vectors sit ~8 apart; the closest
    train/test pair must still be far from equal (> 2, i.e. > 1/4 of the typical distance)."""
    train, test = pools()
    assert train.shape == test.shape == (1000, 32)
    assert train.dtype == test.dtype == np.float32
    typical = math.sqrt(2 * 32)
    assert _min_distance(test, train) > 2.0
    assert _min_distance(train, train, same=True) > 2.0
    assert _min_distance(test, test, same=True) > 2.0
    # the pools are different draws, not a permutation or shift of one another
    assert not np.isclose(train[:, None, :5], test[None, :, :5]).all(-1).any()
    mean_distance = np.linalg.norm(train[:100] - test[:100], axis=1).mean()
    assert abs(mean_distance - typical) < 0.5


def test_features_are_standard_normal_and_keyed():
    train, test = pools()
    both = np.concatenate([train, test]).reshape(-1)  # 64000 values
    assert abs(both.mean()) < SIGMAS / math.sqrt(both.size)
    assert abs(both.var() - 1.0) < SIGMAS * math.sqrt(2 / both.size)
    other = np.asarray(pool_features(HarlowParams(object_key=7), False))
    assert _min_distance(other[:200], train[:200]) > 2.0  # another object_key, other objects
    again = np.asarray(pool_features(HarlowParams(), False))
    np.testing.assert_array_equal(again, train)  # fixed: every run sees the same pool


# --------------------------------------------------------------------------- placement


def test_random_placement_is_an_independent_coin_flip_per_trial():
    sides = jax_rollout("default")["state0"].correct_sides  # (E, 6)
    assert set(np.unique(sides).tolist()) == {0, 1}
    bound = SIGMAS * _sigma(0.5, NUM_EPISODES)
    for t in range(6):
        assert abs(sides[:, t].mean() - 0.5) < bound, t
    for t in range(5):  # no dependence between consecutive trials
        assert abs((sides[:, t] == sides[:, t + 1]).mean() - 0.5) < bound, t
    # the number of right placements per episode is Binomial(6, 1/2): check every count
    counts = np.bincount(sides.sum(1), minlength=7) / NUM_EPISODES
    for k in range(7):
        p = math.comb(6, k) / 64
        assert abs(counts[k] - p) < SIGMAS * _sigma(p, NUM_EPISODES), (k, counts[k], p)


def test_balanced_placement_is_three_per_side_shuffled():
    sides = jax_rollout("balanced")["state0"].correct_sides
    np.testing.assert_array_equal(sides.sum(1), 3)
    bound = SIGMAS * _sigma(0.5, NUM_EPISODES)
    for t in range(6):
        assert abs(sides[:, t].mean() - 0.5) < bound, t
    # all 20 arrangements, each with probability 1/20
    arrangements = {a: 0 for a in itertools.product((0, 1), repeat=6) if sum(a) == 3}
    for row in map(tuple, sides.tolist()):
        arrangements[row] += 1
    assert len(arrangements) == 20
    for a, n in arrangements.items():
        assert abs(n / NUM_EPISODES - 0.05) < SIGMAS * _sigma(0.05, NUM_EPISODES), (a, n)
    # consecutive trials agree with probability 2/5 (not 1/2): position carries information
    same = (sides[:, 1:] == sides[:, :-1]).mean()
    assert abs(same - 0.4) < SIGMAS * _sigma(0.4, 5 * NUM_EPISODES)


def test_info_correct_side_matches_the_screen():
    """The rewarded object's features are on the side info['correct_side'] names."""
    out = jax_rollout("default")
    f_rewarded = out["state0"].features[:, 0]
    side = out["info"]["correct_side"][:, 0]
    left = out["obs0"][:, :32]
    np.testing.assert_array_equal((left == f_rewarded).all(1), side == 0)


# --------------------------------------------------------------------------- rewards, fixation


def _play(params: HarlowParams, actions: list[int], key: int = 0) -> tuple[dict, dict]:
    """Step a fixed action sequence eagerly -> (reset state, step arrays)."""
    env = _env(params)
    obs, state = env.reset(jax.random.key(key), params)
    state0 = state
    rows = []
    for a in actions:
        obs, state, reward, terminated, _, info = env.step(jax.random.key(0), state, jnp.int32(a), params)
        rows.append(dict(obs=obs, reward=reward, terminated=terminated, **info))
    return state0, jax.tree.map(lambda *xs: np.stack([np.asarray(x) for x in xs]), *rows)


def test_reward_rule_and_leaf_rewards(compile_counter):
    """Choosing the rewarded object's side pays correct_reward, the other side incorrect_reward;
    rewards are traced leaves, so other values reuse the compiled rollout."""
    compiles = []
    for c, i in ((1.0, -1.0), (5.0, -5.0), (0.5, 0.0)):
        compiles.append(compile_counter())
        params = HarlowParams(correct_reward=c, incorrect_reward=i)
        out = jax.tree.map(np.asarray, rollout(STATS_KEYS, params))
        side = out["info"]["correct_side"]
        expected = np.where(out["action"] == side, c, i).astype(np.float32)
        np.testing.assert_array_equal(out["reward"], expected)
        np.testing.assert_array_equal(out["info"]["correct"], out["action"] == side)
        np.testing.assert_array_equal(out["info"]["chosen_side"], out["action"])
        assert out["info"]["trial_end"].all()
        np.testing.assert_array_equal(out["info"]["trial_index"], np.broadcast_to(np.arange(6), (NUM_EPISODES, 6)))
    compiles.append(compile_counter())
    assert compiles[1] == compiles[2] == compiles[3], compiles  # only the first set compiled


def test_always_the_rewarded_object_pays_every_trial():
    state0, _ = _play(HarlowParams(), [0])
    sides = np.asarray(state0.correct_sides).tolist()
    _, out = _play(HarlowParams(), sides)
    assert out["correct"].all() and (out["reward"] == 1.0).all()
    _, out = _play(HarlowParams(), [1 - s for s in sides])
    assert not out["correct"].any() and (out["reward"] == -1.0).all()
    assert out["terminated"].tolist() == [False] * 5 + [True]
    assert (out["obs"][-1] == 0).all()  # blank screen after the last trial


def test_fixation_rules():
    params = HarlowParams(fixation=True, correct_reward=5.0, incorrect_reward=-5.0, fixation_reward=1.0)
    state0, _ = _play(params, [2])
    s0, s1 = (int(x) for x in np.asarray(state0.correct_sides)[:2])
    feats = np.asarray(state0.features)
    obs0, _ = ENV_FIX.reset(jax.random.key(0), params)
    np.testing.assert_array_equal(obs0, np.eye(65, dtype=np.float32)[64])  # the cue only
    # trial 0: fixate, then choose correctly; trial 1: break fixation, then "choose"
    _, out = _play(params, [2, s0, s1, s1, 2, 2])
    np.testing.assert_array_equal(out["reward"], [1.0, 5.0, 0.0, 0.0, 1.0, -5.0])
    np.testing.assert_array_equal(out["chosen_side"], [-1, s0, -1, -1, -1, -1])
    np.testing.assert_array_equal(out["correct"], [False, True, False, False, False, False])
    np.testing.assert_array_equal(out["trial_end"], [False, True] * 3)
    np.testing.assert_array_equal(out["trial_index"], [0, 0, 1, 1, 2, 2])
    # screens: objects after fixating (cue unit off), the cue after a trial, blank after a break
    left, right = (feats[0], feats[1]) if s0 == 0 else (feats[1], feats[0])
    np.testing.assert_array_equal(out["obs"][0], np.concatenate([left, right, [0.0]]))
    np.testing.assert_array_equal(out["obs"][1], np.eye(65, dtype=np.float32)[64])
    assert (out["obs"][2] == 0).all()
    # the objects are visible (ids in info) only on the step after a fixation
    assert (out["left_object"][[0, 2, 3, 4]] == -1).all() and out["left_object"][1] >= 0
    assert out["left_object"][5] >= 0  # trial 2: fixated, then fixate again = no choice, incorrect_reward
    # a perfect episode (fixate, then the rewarded object, every trial) earns 6·(fixation + correct)
    sides = np.asarray(state0.correct_sides).tolist()
    _, out = _play(params, [a for s in sides for a in (2, s)])
    assert out["reward"].sum() == 6 * 1.0 + 6 * 5.0
    assert ideal_observer_return(params) == pytest.approx(0.0 + 5 * 5.0 + 6 * 1.0)
    assert out["terminated"].tolist() == [False] * 11 + [True]


# --------------------------------------------------------------------------- parity, determinism


def _assert_same(a: dict, b: dict) -> None:
    """Exact equality for ints and bools, allclose for floats."""
    assert jax.tree.structure(a) == jax.tree.structure(b)
    for (path, x), y in zip(jax.tree_util.tree_leaves_with_path(a), jax.tree.leaves(b)):
        x, y, name = np.asarray(x), np.asarray(y), jax.tree_util.keystr(path)
        assert x.dtype == y.dtype and x.shape == y.shape, name
        if np.issubdtype(x.dtype, np.floating):
            np.testing.assert_allclose(x, y, rtol=1e-6, atol=1e-6, err_msg=name)
        else:
            np.testing.assert_array_equal(x, y, err_msg=name)


@pytest.mark.parametrize("name", ["default", "balanced", "fixation"])
def test_jitted_vmapped_rollout_matches_eager_steps(name):
    """Rows of the jit(vmap) rollout equal the same episodes stepped op by op in Python."""
    batched = jax_rollout(name)
    for i in (0, NUM_EPISODES - 1):
        eager = _episode_eager(STATS_KEYS[i], CONFIGS[name])
        _assert_same(jax.tree.map(lambda x, i=i: x[i], batched), eager)


def test_same_key_same_episode_different_keys_differ():
    params = HarlowParams()
    a = jax_rollout("default")
    b = jax.tree.map(np.asarray, rollout(STATS_KEYS, params))  # recomputed, not cached
    _assert_same(a, b)
    with pytest.raises(AssertionError):
        _assert_same(jax.tree.map(lambda x: x[0], a), jax.tree.map(lambda x: x[1], a))
    ids = a["state0"].objects
    assert len(np.unique(ids, axis=0)) > 0.99 * NUM_EPISODES  # distinct problems (pairs collide rarely)


def test_train_and_test_pools_share_one_compilation(compile_counter):
    """Switching to test objects is params.replace(test_objects=True): same shapes, a traced leaf."""
    params = HarlowParams()
    test_params = params.replace(test_objects=True)
    assert ENV.observation_shape(params) == ENV.observation_shape(test_params) == (64,)
    a = rollout(STATS_KEYS, params)  # the module's jitted rollout, compiled at most once here
    jax.block_until_ready(a)
    before = compile_counter()
    b = rollout(STATS_KEYS, test_params)
    jax.block_until_ready(b)
    assert compile_counter() == before
    # same keys, same ids and sides, different pool -> different features
    np.testing.assert_array_equal(a["state0"].objects, b["state0"].objects)
    assert not np.allclose(a["obs0"], b["obs0"])


# --------------------------------------------------------------------------- dtypes, encodings


ALLOWED_DTYPES = {np.dtype(np.int32), np.dtype(np.float32), np.dtype(bool)}


def _dtypes(tree) -> dict[str, np.dtype]:
    return {jax.tree_util.keystr(p): np.asarray(x).dtype for p, x in jax.tree_util.tree_leaves_with_path(tree)}


@pytest.mark.parametrize("x64", [False, True])
@pytest.mark.parametrize("name", ["default", "fixation"])
def test_dtypes(name, x64):
    """int32 / float32 / bool only, never float64 (even with jax_enable_x64 on)."""
    params = CONFIGS[name]
    env = _env(params)
    with enable_x64(x64):  # jitted: eager x64 would compile every op again
        obs, state = jax.jit(env.reset)(jax.random.key(0), params)
        step = jax.jit(env.step)
        out = step(jax.random.key(1), state, jnp.int32(1), params)
        out2 = step(jax.random.key(2), out[1], jnp.int32(0), params)
    obs1, _, reward, terminated, truncated, info = out
    assert obs.dtype == obs1.dtype == reward.dtype == np.float32
    assert obs.shape == obs1.shape == env.observation_shape(params)
    assert reward.shape == terminated.shape == truncated.shape == ()
    assert terminated.dtype == truncated.dtype == bool
    assert set(info) == INFO_KEYS
    expected = dict.fromkeys(("trial_index", "correct_side", "chosen_side", "left_object", "right_object"), np.int32)
    expected.update(correct=bool, trial_end=bool)
    assert {k: v.dtype for k, v in info.items()} == {k: np.dtype(v) for k, v in expected.items()}
    for tree in (state, out, out2):
        bad = {k: d for k, d in _dtypes(tree).items() if d not in ALLOWED_DTYPES}
        assert not bad, bad


def test_one_hot_encoding_shows_identities():
    params = CONFIGS["one_hot"]
    assert ENV.observation_shape(params) == (100,)
    out = jax_rollout("one_hot")
    ids, sides = out["state0"].objects, out["state0"].correct_sides[:, 0]
    eye = np.eye(50, dtype=np.float32)
    left = np.where(sides == 0, ids[:, 0], ids[:, 1])
    right = np.where(sides == 0, ids[:, 1], ids[:, 0])
    np.testing.assert_array_equal(out["obs0"], np.concatenate([eye[left], eye[right]], axis=1))
    assert ENV.num_steps(params) == 4 and out["reward"].shape == (NUM_EPISODES, 4)


# --------------------------------------------------------------------------- params, validation, registry


def test_defaults():
    p = ENV.default_params
    assert p == HarlowParams()
    assert (p.correct_reward, p.incorrect_reward, p.fixation_reward) == (1.0, -1.0, 0.0)
    assert (p.trials_per_episode, p.num_train_objects, p.num_test_objects, p.feature_dim) == (6, 1000, 1000, 32)
    assert (p.placement, p.encoding, p.fixation, p.test_objects, p.object_key) == (
        "random",
        "features",
        False,
        False,
        1949,
    )
    assert ENV.num_actions == 2 and ENV_FIX.num_actions == 3
    assert ENV.observation_shape(p) == (64,) and ENV.num_steps(p) == 6 and ENV.steps_per_trial(p) == 1
    fp = ENV_FIX.default_params
    assert ENV_FIX.observation_shape(fp) == (65,) and ENV_FIX.num_steps(fp) == 12 and ENV_FIX.steps_per_trial(fp) == 2
    assert ENV.name == "harlow" and ENV_FIX.name == "harlow_fixation"
    assert "Harlow (1949)" in ENV.PAPER and "Wang" in ENV.PAPER and "Fig. 6" in ENV.PAPER
    # rewards, object_key and the pool switch are leaves (vmappable / retraceable); shapes are static
    assert len(jax.tree.leaves(p)) == 5
    assert ideal_observer_return(p) == pytest.approx(5.0)


BAD_FIELDS = [
    ("correct_reward", float("nan")),
    ("correct_reward", "1"),
    ("incorrect_reward", float("inf")),
    ("correct_reward", -1.0),  # not above incorrect_reward
    ("fixation_reward", float("nan")),
    ("object_key", -1),
    ("object_key", 2**31),
    ("object_key", 1.5),
    ("object_key", True),
    ("test_objects", 1),
    ("test_objects", "yes"),
    ("trials_per_episode", 0),
    ("trials_per_episode", 6.0),
    ("num_train_objects", 1),
    ("num_test_objects", 0),
    ("num_test_objects", 1000.0),
    ("feature_dim", 0),
    ("placement", "alternating"),
    ("encoding", "pixels"),
    ("fixation", True),  # the 2-action env cannot fixate
]


@pytest.mark.parametrize(("field", "value"), BAD_FIELDS)
def test_validate_names_the_bad_field(field, value):
    params = HarlowParams().replace(**{field: value})
    with pytest.raises(ConfigError) as excinfo:
        ENV.validate(params)
    err = excinfo.value
    assert isinstance(err, ValueError)
    assert err.field == field and err.value is value
    assert field in str(err) and repr(value) in str(err) and err.allowed in str(err)


def test_validate_rejects_one_hot_with_test_objects():
    ENV.validate(HarlowParams(encoding="one_hot"))  # fine without test objects
    with pytest.raises(ConfigError) as excinfo:
        ENV.validate(HarlowParams(encoding="one_hot", test_objects=True))
    assert excinfo.value.field == "encoding" and "test_objects" in str(excinfo.value)
    with pytest.raises(ConfigError) as excinfo:  # also as an array leaf
        ENV.validate(HarlowParams(encoding="one_hot", test_objects=jnp.array([False, True])))
    assert excinfo.value.field == "encoding"


def test_validate_rejects_odd_balanced_episodes_and_mismatched_fixation():
    with pytest.raises(ConfigError) as excinfo:
        ENV.validate(HarlowParams(placement="balanced", trials_per_episode=5))
    assert excinfo.value.field == "trials_per_episode" and "balanced" in excinfo.value.allowed
    ENV.validate(HarlowParams(placement="random", trials_per_episode=5))
    with pytest.raises(ConfigError) as excinfo:
        ENV_FIX.validate(HarlowParams(fixation=False))
    assert excinfo.value.field == "fixation" and "harlow" in excinfo.value.allowed


@pytest.mark.parametrize(
    "overrides",
    [
        {},
        dict(test_objects=True),
        dict(correct_reward=5.0, incorrect_reward=-5.0),
        dict(object_key=0, num_train_objects=2, num_test_objects=2, feature_dim=1, trials_per_episode=1),
        dict(placement="balanced", trials_per_episode=2),
        dict(encoding="one_hot"),
        dict(correct_reward=jnp.array([1.0, 5.0]), incorrect_reward=jnp.array([-1.0, -5.0])),
        dict(object_key=np.int32(3), test_objects=np.bool_(True)),
    ],
)
def test_validate_accepts_valid_params(overrides):
    assert ENV.validate(HarlowParams(**overrides)) is None
    assert ENV_FIX.validate(HarlowParams(fixation=True, **overrides)) is None


def test_registry():
    assert {"harlow", "harlow_fixation"} <= set(registered_envs())
    env, params = make("harlow")
    assert isinstance(env, Harlow) and env.num_actions == 2 and params == HarlowParams()
    env, params = make("harlow_fixation", fixation_reward=1.0)
    assert env.num_actions == 3 and params.fixation and params.fixation_reward == 1.0
    env, params = make("harlow", placement="balanced", correct_reward=5.0, incorrect_reward=-5.0)
    assert (params.placement, params.correct_reward) == ("balanced", 5.0)
    env, params = make("harlow", fixation=True)  # the action set follows the params (for_params)
    assert env.num_actions == 3 and env.name == "harlow_fixation" and params.fixation
    with pytest.raises(ConfigError) as excinfo:
        Harlow().validate(params)  # a 2-action env refuses fixation params
    assert excinfo.value.field == "fixation"
    with pytest.raises(ConfigError):
        make("harlow", encoding="one_hot", test_objects=True)
