"""Confidence intervals against hand-computed values."""

import numpy as np
import pytest

from locoaudit.evaluate.intervals import bootstrap_mean, mean, rate, wilson


def test_wilson_textbook_values():
    lo, hi = wilson(5, 10)
    assert lo == pytest.approx(0.2366, abs=1e-4) and hi == pytest.approx(0.7634, abs=1e-4)
    lo, hi = wilson(0, 10)
    assert lo == 0.0 and hi == pytest.approx(0.2775, abs=1e-4)
    lo, hi = wilson(10, 10)
    assert hi == 1.0 and lo == pytest.approx(0.7225, abs=1e-4)
    assert wilson(0, 0) is None


def test_bootstrap_of_two_points_is_the_whole_range():
    # resampled means of [0, 1] are 0 (p=1/4), 0.5 (1/2), 1 (1/4): the 2.5/97.5 percentiles are 0 and 1
    lo, hi = bootstrap_mean(np.array([0.0, 1.0]), np.random.default_rng(0))
    assert (lo, hi) == (0.0, 1.0)


def test_bootstrap_constant_and_empty_and_deterministic():
    assert bootstrap_mean(np.full(7, 2.5), np.random.default_rng(0)) == (2.5, 2.5)
    assert bootstrap_mean(np.zeros(0), np.random.default_rng(0)) is None
    data = np.random.default_rng(1).normal(size=50)
    a = bootstrap_mean(data, np.random.default_rng(3))
    assert a == bootstrap_mean(data, np.random.default_rng(3))
    assert a[0] < data.mean() < a[1]


def test_rate_and_mean_records():
    assert rate(3, 4)["value"] == 0.75 and rate(3, 4)["n"] == 4
    assert rate(0, 0) == {"value": None, "ci": None, "n": 0}
    m = mean(np.array([1.0, 3.0]), np.random.default_rng(0))
    assert m["value"] == 2.0 and m["n"] == 2
