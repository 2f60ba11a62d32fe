"""metarl_jax.neural_analysis on synthetic data with a planted code: decoding finds it (and
sits at chance without one), folds keep episodes whole, PCA finds its rank, unit coding finds
its units at the corrected threshold, condition means by hand."""

import numpy as np
import pytest
import scipy.stats

from metarl_jax.neural_analysis import (
    by_time_in_trial,
    decode,
    episode_folds,
    mean_by_condition,
    pca,
    select_steps,
    unit_coding,
)

E, T, D = 60, 6, 12  # episodes, steps, features


def balanced_labels(rng, shape):
    """Binary labels, exactly half ones, in random order."""
    n = int(np.prod(shape))
    return rng.permutation(np.repeat([0, 1], n // 2)).reshape(shape)


def test_decode_recovers_a_planted_discrete_code():
    rng = np.random.default_rng(0)
    labels = balanced_labels(rng, (E, T))
    direction = rng.normal(size=D)
    features = rng.normal(size=(E, T, D)) + 1.5 * (2 * labels[..., None] - 1) * direction
    out = decode(features, labels, discrete=True)
    assert out["n"] == E * T
    assert out["score"] > 0.9, out
    assert abs(out["chance"] - 0.5) < 0.1, out  # permuted episodes' labels: the code is gone
    assert out["score"] > out["chance"] + 5 * out["chance_sd"], out


def test_decode_recovers_a_planted_continuous_code():
    rng = np.random.default_rng(1)
    labels = rng.normal(size=(E, T))
    direction = rng.normal(size=D)
    features = labels[..., None] * direction + 0.3 * rng.normal(size=(E, T, D))
    out = decode(features, labels, discrete=False)
    assert out["score"] > 0.9, out
    assert out["chance"] < 0.1, out  # R² of permuted labels: none, or worse than the mean


def test_decode_per_episode_features():
    rng = np.random.default_rng(2)
    labels = balanced_labels(rng, (E,))
    features = rng.normal(size=(E, D)) + 2.0 * (2 * labels[:, None] - 1) * rng.normal(size=D)
    out = decode(features, labels, discrete=True)
    assert out["n"] == E and out["score"] > 0.9, out


def test_decode_shuffled_labels_sit_at_chance():
    rng = np.random.default_rng(3)
    labels = balanced_labels(rng, (E, T))
    features = rng.normal(size=(E, T, D))  # no relation to the labels
    out = decode(features, labels, discrete=True)
    assert abs(out["score"] - 0.5) < 0.1, out
    assert abs(out["chance"] - 0.5) < 0.05, out
    assert 0 < out["chance_sd"] < 0.1, out


def test_decode_never_trains_on_the_episode_it_tests():
    """Each episode has its own random feature vector and one label for all its steps: a
    linear decoder separates 60 points in 40 dimensions, so folds that split episodes would
    decode the label from the episode's identity (shuffled KFold: score 0.81, chance 0.93);
    whole-episode folds cannot (held-out accuracy at or below 0.5)."""
    rng = np.random.default_rng(4)
    labels = np.repeat(balanced_labels(rng, (E,))[:, None], T, axis=1)
    identity = rng.normal(size=(E, 1, 40))
    features = identity + 0.05 * rng.normal(size=(E, T, 40))
    out = decode(features, labels, discrete=True, permutations=2)
    assert out["score"] < 0.65 and out["chance"] < 0.65, out


def test_episode_folds_keep_episodes_whole():
    groups = np.repeat(np.arange(E), T)  # (E, T) samples flattened: the episode of each
    folds = episode_folds(groups, 5)
    assert len(folds) == 5
    tested = np.concatenate([test for _, test in folds])
    assert np.array_equal(np.sort(tested), np.arange(E * T))  # every sample tested exactly once
    for train, test in folds:
        assert not set(groups[train]) & set(groups[test])
        assert len(train) + len(test) == E * T
    assert len(episode_folds(np.repeat(np.arange(3), T), 5)) == 3  # no more folds than episodes


def test_pca_finds_the_planted_rank():
    rng = np.random.default_rng(5)
    latent = rng.normal(size=(E, T, 2))
    hidden = latent @ rng.normal(size=(2, 16)) + 0.05 * rng.normal(size=(E, T, 16))
    out = pca(hidden, 3)
    ratio = np.asarray(out["explained_variance_ratio"])
    assert ratio.shape == (3,) and np.all(np.diff(ratio) <= 0)
    assert ratio[:2].sum() > 0.9 and ratio[2] < 0.05, ratio
    assert out["trajectories"].shape == (E, T, 3)
    # the top two components span the latent: it is a linear function of them
    x = np.column_stack([np.ones(E * T), out["trajectories"][..., :2].reshape(-1, 2)])
    fit = np.linalg.lstsq(x, latent.reshape(-1, 2), rcond=None)[0]
    resid = latent.reshape(-1, 2) - x @ fit
    assert (resid**2).sum() / ((latent - latent.mean((0, 1))) ** 2).sum() < 0.01
    assert pca(hidden[..., :2], 5)["trajectories"].shape == (E, T, 2)  # k capped at H


def test_unit_coding_finds_planted_units():
    rng = np.random.default_rng(6)
    n, units = 400, 20
    regressors = {"a": rng.normal(size=n), "b": rng.normal(size=n)}
    activity = rng.normal(size=(n, units))
    activity[:, :5] += 1.0 * regressors["a"][:, None]  # units 0-4 code a
    activity[:, 5:8] -= 0.8 * regressors["b"][:, None]  # units 5-7 code b (negatively)
    out = unit_coding(activity, regressors, alpha=0.05)
    assert out["fraction"] == {"a": 5 / units, "b": 3 / units}
    assert np.array_equal(out["significant"]["a"], np.arange(units) < 5)
    assert np.array_equal(out["significant"]["b"], (np.arange(units) >= 5) & (np.arange(units) < 8))
    np.testing.assert_allclose(out["coef"]["a"][:5], 1.0, atol=0.15)
    np.testing.assert_allclose(out["coef"]["b"][5:8], -0.8, atol=0.15)


def test_unit_coding_threshold_is_corrected_over_units():
    """One regressor: each unit's p-value is scipy's linregress t-test; a unit codes the
    regressor when p < alpha / U, not merely p < alpha."""
    rng = np.random.default_rng(7)
    n, units, alpha = 100, 40, 0.05
    x = rng.normal(size=n)
    activity = rng.normal(size=(n, units)) + np.linspace(0.0, 0.45, units) * x[:, None]  # weak to strong
    out = unit_coding(activity, {"x": x}, alpha=alpha)
    p = np.array([scipy.stats.linregress(x, activity[:, u]).pvalue for u in range(units)])
    slope = np.array([scipy.stats.linregress(x, activity[:, u]).slope for u in range(units)])
    np.testing.assert_allclose(out["coef"]["x"], slope, rtol=1e-8)
    assert np.array_equal(out["significant"]["x"], p < alpha / units)
    between = (p < alpha) & (p >= alpha / units)
    assert between.any() and not out["significant"]["x"][between].any()  # the correction matters here
    assert out["fraction"]["x"] == pytest.approx((p < alpha / units).mean())


def test_mean_by_condition_by_hand():
    values = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 7.0]])
    conditions = {
        "first_row": np.array([[True, True, True], [False, False, False]]),
        "odd": values % 2 == 1,
        "one": values == 5.0,
        "none": np.zeros_like(values, bool),
    }
    out = mean_by_condition(values, conditions)
    assert out["first_row"] == {"mean": 2.0, "sem": pytest.approx(1.0 / np.sqrt(3)), "n": 3}
    # 1, 3, 5, 7: mean 4, sd sqrt(20/3), SEM sd/2
    assert out["odd"] == {"mean": 4.0, "sem": pytest.approx(np.sqrt(20 / 3) / 2), "n": 4}
    assert out["one"] == {"mean": 5.0, "sem": None, "n": 1}
    assert out["none"] == {"mean": None, "sem": None, "n": 0}


def test_by_time_in_trial_and_select_steps():
    values = np.array([[0.0, 10.0, 2.0, 12.0], [4.0, 14.0, 6.0, 16.0]])  # 2 trials of 2 steps
    assert by_time_in_trial(values, 2) == [3.0, 13.0]
    assert by_time_in_trial(values, 1) == [values.mean()]
    hidden = np.arange(2 * 4 * 3).reshape(2, 4, 3)
    picked = select_steps(hidden, [1, 3])
    assert picked.shape == (2, 2, 3)
    assert np.array_equal(picked[:, 0], hidden[:, 1]) and np.array_equal(picked[:, 1], hidden[:, 3])
