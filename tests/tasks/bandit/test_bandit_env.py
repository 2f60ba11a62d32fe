"""Bernoulli bandit: arm and reward statistics vs analytic values, a NumPy reference of the
episode logic, jit/vmap parity, determinism, dtypes, validation and the registry.

The NumPy reference below is written from the rules in the module docstring of
``metarl_jax.tasks.bandit.env`` (it never calls the env). It replays an episode from the
same uniforms the env draws from its keys (``uniform(k_reset, (k,))`` or
``uniform(k_reset)`` at reset, ``uniform(k_step)`` per pull), so it must agree exactly:

- independent arms: p = the k reset uniforms;
- dependent arms: p₀ = u (uniform) or low/high by u < 0.5 (easy/medium/hard), p₁ = 1 − p₀;
- a pull of arm a pays 1 iff the step's uniform < p[a]; regret = max p − p[a];
- observation zeros (1,); one trial per step; terminated on the last step only.

Statistics are checked within 5-sigma bounds on fixed keys (deterministic tests).
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from metarl_jax.core.errors import ConfigError
from metarl_jax.registry import make, registered_envs
from metarl_jax.tasks.bandit.env import DIFFICULTY_VALUES, Bandit, BanditParams

try:  # jax >= 0.7
    from jax import enable_x64
except ImportError:  # pragma: no cover - older jax
    from jax.experimental import enable_x64

SIGMAS = 5.0
INFO_KEYS = {"arm_probs", "regret", "trial_index", "trial_end"}
NUM_EPISODES = 4000
TRIALS = 25
SETUPS = {  # name -> params overrides
    "independent_k2": dict(num_arms=2),
    "independent_k5": dict(num_arms=5),
    "dependent_uniform": dict(distribution="dependent"),
    "dependent_easy": dict(distribution="dependent", difficulty="easy"),
    "dependent_medium": dict(distribution="dependent", difficulty="medium"),
    "dependent_hard": dict(distribution="dependent", difficulty="hard"),
}


def _params(setup: str, trials: int = TRIALS) -> BanditParams:
    return BanditParams(trials_per_episode=trials, **SETUPS[setup])


def _env(params: BanditParams) -> Bandit:
    return Bandit(params.num_arms)


# --------------------------------------------------------------------------- JAX rollouts


def _episode(key: jax.Array, params: BanditParams) -> dict:
    """One episode with uniformly random actions -> step-level arrays (T, ...)."""
    env = _env(params)
    k_reset, k_steps, k_act = jax.random.split(key, 3)
    obs0, state0 = env.reset(k_reset, params)
    n = env.num_steps(params)
    actions = jax.random.randint(k_act, (n,), 0, params.num_arms, dtype=jnp.int32)

    def body(state, xs):
        k, a = xs
        obs, state, reward, terminated, truncated, info = env.step(k, state, a, params)
        return state, dict(obs=obs, reward=reward, terminated=terminated, truncated=truncated, action=a, info=info)

    _, steps = jax.lax.scan(body, state0, (jax.random.split(k_steps, n), actions))
    return dict(obs0=obs0, probs0=state0.arm_probs, **steps)


def _episode_eager(key: jax.Array, params: BanditParams) -> dict:
    """The same episode stepped op by op in Python (no jit, no scan)."""
    env = _env(params)
    k_reset, k_steps, k_act = jax.random.split(key, 3)
    obs0, state = env.reset(k_reset, params)
    probs0 = state.arm_probs
    n = env.num_steps(params)
    actions = jax.random.randint(k_act, (n,), 0, params.num_arms, dtype=jnp.int32)
    keys = jax.random.split(k_steps, n)
    records = []
    for i in range(n):
        obs, state, reward, terminated, truncated, info = env.step(keys[i], state, actions[i], params)
        records.append(
            dict(obs=obs, reward=reward, terminated=terminated, truncated=truncated, action=actions[i], info=info)
        )
    steps = jax.tree.map(lambda *xs: np.stack([np.asarray(x) for x in xs]), *records)
    return dict(obs0=obs0, probs0=probs0, **steps)


episode_jit = jax.jit(_episode, static_argnums=1)
rollout = jax.jit(jax.vmap(_episode, in_axes=(0, None)), static_argnums=1)
STATS_KEYS = jax.random.split(jax.random.key(20240612), NUM_EPISODES)

_CACHE: dict[str, dict] = {}
NUM_RESETS = 20_000
reset_probs = jax.jit(
    jax.vmap(lambda key, params: _env(params).reset(key, params)[1].arm_probs, in_axes=(0, None)), static_argnums=1
)


def jax_rollout(setup: str) -> dict:
    if setup not in _CACHE:
        _CACHE[setup] = jax.tree.map(np.asarray, rollout(STATS_KEYS, _params(setup)))
    return _CACHE[setup]


def jax_problems(setup: str) -> np.ndarray:
    """(NUM_RESETS, k) arm probabilities of fresh problems (resets only)."""
    return np.asarray(reset_probs(jax.random.split(jax.random.key(7), NUM_RESETS), _params(setup)))


# --------------------------------------------------------------------------- NumPy reference


def numpy_episode(key: jax.Array, params: BanditParams) -> dict:
    """Reference episode from the env's uniforms (drawn with jax.random, logic in NumPy)."""
    k_reset, k_steps, k_act = jax.random.split(key, 3)
    k, n = params.num_arms, params.trials_per_episode
    actions = np.asarray(jax.random.randint(k_act, (n,), 0, k, dtype=jnp.int32))
    if params.distribution == "independent":
        p = np.asarray(jax.random.uniform(k_reset, (k,), jnp.float32))
    else:
        u = np.float32(jax.random.uniform(k_reset, (), jnp.float32))
        values = DIFFICULTY_VALUES[params.difficulty]
        p0 = u if values is None else np.float32(values[0] if u < 0.5 else values[1])
        p = np.array([p0, np.float32(1.0) - p0], np.float32)
    step_u = np.asarray(jax.vmap(lambda kk: jax.random.uniform(kk, (), jnp.float32))(jax.random.split(k_steps, n)))
    reward = (step_u < p[actions]).astype(np.float32)
    return dict(
        obs0=np.zeros(1, np.float32),
        probs0=p,
        obs=np.zeros((n, 1), np.float32),
        reward=reward,
        terminated=np.arange(n) == n - 1,
        truncated=np.zeros(n, bool),
        action=actions,
        info=dict(
            arm_probs=np.broadcast_to(p, (n, k)),
            regret=(p.max() - p[actions]).astype(np.float32),
            trial_index=np.arange(n, dtype=np.int32),
            trial_end=np.ones(n, bool),
        ),
    )


def _assert_same(a: dict, b: dict, rtol: float = 1e-6) -> None:
    """Exact equality for ints and bools, allclose for floats."""
    assert jax.tree.structure(a) == jax.tree.structure(b)
    for (path, x), y in zip(jax.tree_util.tree_leaves_with_path(a), jax.tree.leaves(b)):
        x, y, name = np.asarray(x), np.asarray(y), jax.tree_util.keystr(path)
        assert x.shape == y.shape, (name, x.shape, y.shape)
        if np.issubdtype(x.dtype, np.floating):
            np.testing.assert_allclose(x, y, rtol=rtol, atol=1e-6, err_msg=name)
        else:
            np.testing.assert_array_equal(x, y, err_msg=name)


@pytest.mark.parametrize("setup", list(SETUPS))
def test_episode_matches_numpy_reference(setup):
    """Stepped op by op (no compile per setup); jit and vmap parity are tested below."""
    params = _params(setup, trials=12)
    for seed in (0, 1):
        key = jax.random.key(seed)
        _assert_same(_episode_eager(key, params), numpy_episode(key, params))


# --------------------------------------------------------------------------- statistics


def _sigma(p: float, n: int) -> float:
    return math.sqrt(p * (1 - p) / n)


@pytest.mark.parametrize("setup", ["independent_k2", "independent_k5"])
def test_independent_arm_statistics(setup):
    """p ~ U[0, 1] per arm: mean 1/2, variance 1/12, uncorrelated, E[max] = k/(k+1)."""
    probs = jax_problems(setup)  # (E, k)
    e, k = probs.shape
    assert ((probs >= 0) & (probs < 1)).all()
    se_mean = math.sqrt(1 / 12 / e)
    np.testing.assert_array_less(np.abs(probs.mean(0) - 0.5), SIGMAS * se_mean)
    # E[U^2] = 1/3, var(U^2) = 1/5 - 1/9 = 4/45
    np.testing.assert_array_less(np.abs((probs**2).mean(0) - 1 / 3), SIGMAS * math.sqrt(4 / 45 / e))
    corr = np.corrcoef(probs.T)[np.triu_indices(k, 1)]
    np.testing.assert_array_less(np.abs(corr), SIGMAS / math.sqrt(e))
    best = probs.max(1)
    var_max = k / ((k + 1) ** 2 * (k + 2))
    assert abs(best.mean() - k / (k + 1)) < SIGMAS * math.sqrt(var_max / e)
    # uniform on [0, 1): each quarter holds 1/4 of the arms
    counts = np.histogram(probs, bins=4, range=(0, 1))[0]
    assert all(abs(c / probs.size - 0.25) < SIGMAS * _sigma(0.25, probs.size) for c in counts)


@pytest.mark.parametrize("setup", ["dependent_uniform", "dependent_easy", "dependent_medium", "dependent_hard"])
def test_dependent_arm_statistics(setup):
    probs = jax_problems(setup)
    e = probs.shape[0]
    np.testing.assert_allclose(probs[:, 0] + probs[:, 1], 1.0, atol=1e-6)
    values = DIFFICULTY_VALUES[_params(setup).difficulty]
    if values is None:
        assert abs(probs[:, 0].mean() - 0.5) < SIGMAS * math.sqrt(1 / 12 / e)
        assert abs((probs[:, 0] < 0.25).mean() - 0.25) < SIGMAS * _sigma(0.25, e)
    else:
        np.testing.assert_allclose(np.sort(np.unique(np.round(probs[:, 0], 6))), values, atol=1e-6)
        assert abs((np.isclose(probs[:, 0], values[0])).mean() - 0.5) < SIGMAS * _sigma(0.5, e)


@pytest.mark.parametrize("setup", ["independent_k5", "dependent_easy"])
def test_reward_statistics(setup):
    """Random pulls: P(reward | p of the pulled arm) = p, in bins of p; regret = max p − p[a]."""
    out = jax_rollout(setup)
    info = out["info"]
    rewards = out["reward"].reshape(-1)
    chosen = np.take_along_axis(info["arm_probs"], out["action"][..., None], -1)[..., 0].reshape(-1)
    np.testing.assert_allclose(info["regret"].reshape(-1), info["arm_probs"].max(-1).reshape(-1) - chosen, atol=1e-6)
    assert set(np.unique(rewards)) <= {0.0, 1.0}
    edges = np.unique(np.concatenate([[0.0], np.quantile(chosen, [0.25, 0.5, 0.75]), [1.0 + 1e-6]]))
    for lo, hi in zip(edges[:-1], edges[1:]):
        mask = (chosen >= lo) & (chosen < hi)
        if mask.sum() < 1000:
            continue
        p_bin = chosen[mask].mean()
        bound = SIGMAS * math.sqrt(max(p_bin * (1 - p_bin), 0.01) / mask.sum())
        assert abs(rewards[mask].mean() - p_bin) < bound, (lo, hi, rewards[mask].mean(), p_bin)
    # random actions earn the mean arm probability: 1/2 for every setup here
    assert abs(rewards.mean() - 0.5) < SIGMAS * math.sqrt(0.25 / rewards.size) * math.sqrt(TRIALS)


def test_extreme_probabilities_are_exact():
    """p = 0 never pays, p = 1 always pays (uniforms lie in [0, 1))."""
    env = Bandit(3)
    params = BanditParams(num_arms=3, trials_per_episode=1)
    state = env.reset(jax.random.key(0), params)[1].replace(arm_probs=jnp.array([0.0, 1.0, 0.5], jnp.float32))
    keys = jax.random.split(jax.random.key(1), 2000)
    step = jax.jit(jax.vmap(env.step, in_axes=(0, None, None, None)), static_argnums=3)
    assert not np.asarray(step(keys, state, jnp.int32(0), params)[2]).any()
    assert np.asarray(step(keys, state, jnp.int32(1), params)[2]).all()


# --------------------------------------------------------------------------- structure


def test_structure_and_hand_built_regret():
    """A hand-built trajectory: arms (0.2, 0.7, 0.5), pulls 1, 0, 2, 1 -> regret 0, .5, .2, 0."""
    env = Bandit(3)
    params = BanditParams(num_arms=3, trials_per_episode=4)
    obs, state = env.reset(jax.random.key(0), params)
    np.testing.assert_array_equal(obs, np.zeros(1, np.float32))
    state = state.replace(arm_probs=jnp.array([0.2, 0.7, 0.5], jnp.float32))
    regrets, terminated, trial_index = [], [], []
    for i, a in enumerate([1, 0, 2, 1]):
        obs, state, reward, term, trunc, info = env.step(jax.random.key(10 + i), state, jnp.int32(a), params)
        assert set(info) == INFO_KEYS
        np.testing.assert_array_equal(obs, np.zeros(1, np.float32))
        assert bool(info["trial_end"]) and not bool(trunc)
        np.testing.assert_array_equal(info["arm_probs"], np.array([0.2, 0.7, 0.5], np.float32))
        regrets.append(float(info["regret"]))
        terminated.append(bool(term))
        trial_index.append(int(info["trial_index"]))
    np.testing.assert_allclose(regrets, [0.0, 0.5, 0.2, 0.0], atol=1e-6)
    assert sum(regrets) == pytest.approx(0.7, abs=1e-6)
    assert terminated == [False, False, False, True]
    assert trial_index == [0, 1, 2, 3]
    assert int(state.trial) == 4


@pytest.mark.parametrize("setup", ["independent_k5", "dependent_easy"])
def test_rollout_structure(setup):
    params = _params(setup)
    out = jax_rollout(setup)
    e, n, k = NUM_EPISODES, params.trials_per_episode, params.num_arms
    assert out["obs"].shape == (e, n, 1) and not out["obs"].any()
    assert out["info"]["arm_probs"].shape == (e, n, k)
    # the problem stays fixed for the whole episode
    np.testing.assert_array_equal(out["info"]["arm_probs"], np.broadcast_to(out["probs0"][:, None], (e, n, k)))
    np.testing.assert_array_equal(out["terminated"], np.broadcast_to(np.arange(n) == n - 1, (e, n)))
    np.testing.assert_array_equal(out["info"]["trial_index"], np.broadcast_to(np.arange(n), (e, n)))
    assert out["info"]["trial_end"].all() and not out["truncated"].any()


def test_single_trial_episode():
    params = BanditParams(trials_per_episode=1)
    out = _episode_eager(jax.random.key(3), params)
    assert out["terminated"].tolist() == [True]


# --------------------------------------------------------------------------- parity, determinism, dtypes


@pytest.mark.parametrize("setup", ["independent_k5", "dependent_easy"])
def test_jit_vmap_rollout_matches_eager_episodes(setup):
    """Rows of the jitted, vmapped rollout equal episodes stepped op by op with the same keys."""
    batched = jax_rollout(setup)
    params = _params(setup)
    for i in (0, NUM_EPISODES - 1):
        _assert_same(jax.tree.map(lambda x, i=i: x[i], batched), _episode_eager(STATS_KEYS[i], params))


def test_jit_episode_matches_vmapped_row():
    batched = jax_rollout("independent_k5")
    single = jax.tree.map(np.asarray, episode_jit(STATS_KEYS[1], _params("independent_k5")))
    _assert_same(jax.tree.map(lambda x: x[1], batched), single)


def test_same_key_same_trajectory_different_keys_differ():
    params = _params("independent_k5")
    a = jax.tree.map(np.asarray, episode_jit(jax.random.key(3), params))
    b = jax.tree.map(np.asarray, episode_jit(jax.random.key(3), params))
    c = jax.tree.map(np.asarray, episode_jit(jax.random.key(4), params))
    _assert_same(a, b)
    with pytest.raises(AssertionError):
        _assert_same(a, c)
    assert len(np.unique(jax_rollout("independent_k5")["probs0"], axis=0)) == NUM_EPISODES


ALLOWED_DTYPES = {np.dtype(np.int32), np.dtype(np.float32), np.dtype(bool)}


@pytest.mark.parametrize("x64", [False, True])
@pytest.mark.parametrize("setup", ["independent_k5", "dependent_hard"])
def test_dtypes(setup, x64):
    """int32 / float32 / bool only, never float64 (even with jax_enable_x64 on)."""
    params = _params(setup)
    env = _env(params)
    with enable_x64(x64):
        obs, state = env.reset(jax.random.key(0), params)
        out = env.step(jax.random.key(1), state, jnp.int32(1), params)
    obs1, state1, reward, terminated, truncated, info = out
    assert obs.dtype == obs1.dtype == reward.dtype == np.float32
    assert reward.shape == terminated.shape == truncated.shape == ()
    assert terminated.dtype == truncated.dtype == bool
    expected = dict(arm_probs=np.float32, regret=np.float32, trial_index=np.int32, trial_end=np.bool_)
    assert {k: v.dtype for k, v in info.items()} == {k: np.dtype(v) for k, v in expected.items()}
    assert info["arm_probs"].shape == (params.num_arms,)
    for tree in (state, out):
        bad = [x.dtype for x in jax.tree.leaves(tree) if np.asarray(x).dtype not in ALLOWED_DTYPES]
        assert not bad, bad


# --------------------------------------------------------------------------- params, validation, registry


def test_defaults_follow_wang_2016():
    env = Bandit()
    p = env.default_params
    assert p == BanditParams()
    assert (p.num_arms, p.trials_per_episode, p.distribution, p.difficulty) == (2, 100, "independent", "uniform")
    assert env.num_actions == 2 and env.observation_shape(p) == (1,)
    assert env.num_steps(p) == 100 and env.steps_per_trial(p) == 1
    assert env.name == "bandit" and "Wang" in env.PAPER and "Duan" in env.PAPER
    assert jax.tree.leaves(p) == []  # every field is static (shape-determining or a branch)


BAD_FIELDS = [
    ("num_arms", 1),
    ("num_arms", 0),
    ("num_arms", 2.0),
    ("num_arms", True),
    ("trials_per_episode", 0),
    ("trials_per_episode", -3),
    ("trials_per_episode", 10.0),
    ("distribution", "correlated"),
    ("distribution", ""),
    ("difficulty", "impossible"),
]


@pytest.mark.parametrize(("field", "value"), BAD_FIELDS)
def test_validate_names_the_bad_field(field, value):
    params = BanditParams().replace(**{field: value})
    with pytest.raises(ConfigError) as excinfo:
        Bandit().validate(params)
    err = excinfo.value
    assert err.field == field and err.value is value
    assert field in str(err) and repr(value) in str(err) and err.allowed in str(err)


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        (dict(num_arms=3, distribution="dependent"), "num_arms"),  # dependent arms come in pairs
        (dict(difficulty="easy"), "difficulty"),  # difficulty needs dependent arms
        (dict(num_arms=5), "num_arms"),  # a 2-armed env cannot serve 5-armed params
    ],
)
def test_validate_rejects_inconsistent_fields(overrides, field):
    with pytest.raises(ConfigError) as excinfo:
        Bandit(2).validate(BanditParams(**{"num_arms": 2, **overrides}))
    assert excinfo.value.field == field


@pytest.mark.parametrize("setup", list(SETUPS))
def test_validate_accepts_valid_params(setup):
    params = _params(setup)
    assert _env(params).validate(params) is None


def test_registry():
    assert "bandit" in registered_envs()
    env, params = make("bandit")
    assert isinstance(env, Bandit) and params == BanditParams() and env.num_actions == 2
    env, params = make("bandit", num_arms=50, trials_per_episode=500)
    assert env.num_actions == 50 and params.num_arms == 50 and env.num_steps(params) == 500
    env.validate(params)
    env, params = make("bandit", distribution="dependent", difficulty="hard")
    assert (params.distribution, params.difficulty) == ("dependent", "hard")
    with pytest.raises(ConfigError) as excinfo:
        make("bandit", num_arms=3, distribution="dependent")
    assert excinfo.value.field == "num_arms"
    assert Bandit(2).for_params(BanditParams(num_arms=7)).num_actions == 7
