"""core.stats against hand computations: aggregates over seeds, SEM, t confidence intervals,
paired differences."""

import math

import numpy as np
import pytest

from metarl_jax.core.stats import aggregate, mean_ci95, paired_difference, sem

T975 = {2: 4.302652729749462, 3: 3.1824463052837078}  # t quantile 0.975 by degrees of freedom


def test_aggregate_of_bools_is_the_fraction_true():
    assert aggregate([True, False, True, True]) == {"fraction": 0.75}
    assert aggregate([np.bool_(False), np.bool_(False)]) == {"fraction": 0.0}
    assert aggregate([True, None, False]) == {"fraction": 0.5}  # None seeds left out


def test_aggregate_of_nothing_is_none():
    assert aggregate([]) == {"mean": None, "sem": None}
    assert aggregate([None, None]) == {"mean": None, "sem": None}
    assert aggregate([float("nan"), float("inf")]) == {"mean": None, "sem": None}


def test_aggregate_mean_and_sem_by_hand():
    # mean 2.5; sample variance ((1.5)^2 + (0.5)^2 + (0.5)^2 + (1.5)^2) / 3 = 5/3; SEM sqrt(5/3) / 2
    got = aggregate([1, 2, 3.0, 4])
    assert got["mean"] == pytest.approx(2.5)
    assert got["sem"] == pytest.approx(math.sqrt(5 / 3) / 2)
    assert aggregate([2.0, float("nan"), 4.0]) == {"mean": 3.0, "sem": pytest.approx(1.0)}  # NaN dropped
    assert aggregate([7.0]) == {"mean": 7.0, "sem": None}  # no SEM from one seed


def test_sem_by_hand_and_of_one_value():
    assert sem([1.0, 3.0]) == pytest.approx(1.0)  # std (ddof 1) sqrt(2), / sqrt(2)
    assert sem([[1.0, 3.0], [float("nan"), 5.0]]) == pytest.approx(math.sqrt(4 / 3))  # flattened, NaN dropped
    assert sem([4.2]) == 0.0 and sem([]) == 0.0


def test_mean_ci95_by_hand():
    mean, half = mean_ci95([1.0, 2.0, 6.0])  # mean 3, sample std sqrt(7), n 3
    assert mean == pytest.approx(3.0)
    assert half == pytest.approx(T975[2] * math.sqrt(7) / math.sqrt(3))
    mean, half = mean_ci95(np.array([[0.0, 2.0, 4.0], [6.0, 8.0, 10.0]])[:, :2])  # 0, 2, 6, 8 flattened
    assert mean == pytest.approx(4.0)  # sample variance (16 + 4 + 4 + 16) / 3
    assert half == pytest.approx(T975[3] * math.sqrt(40 / 3) / 2)


def test_mean_ci95_of_fewer_than_two_values_has_nan_half_width():
    mean, half = mean_ci95([5.0])
    assert mean == 5.0 and math.isnan(half)
    mean, half = mean_ci95([])
    assert math.isnan(mean) and math.isnan(half)


def test_paired_difference_by_hand():
    a = np.array([[3.0, 5.0], [4.0, 8.0]])
    b = np.array([[1.0, 2.0], [3.0, 4.0]])  # differences 2, 3, 1, 4: mean 2.5, sample std sqrt(5/3)
    got = paired_difference(a, b)
    half = T975[3] * math.sqrt(5 / 3) / 2
    assert got["mean"] == pytest.approx(2.5)
    assert got["ci95"] == pytest.approx(half)
    assert got["low"] == pytest.approx(2.5 - half) and got["high"] == pytest.approx(2.5 + half)
    assert got["n"] == 4 and got["significant"] is True
    same = paired_difference(a, a + np.array([[1.0, -1.0], [0.5, -0.5]]))  # mean 0: not significant
    assert same["mean"] == pytest.approx(0.0) and same["significant"] is False


def test_paired_difference_refuses_unpaired_shapes():
    with pytest.raises(ValueError, match="same shape"):
        paired_difference(np.zeros(3), np.zeros(4))
