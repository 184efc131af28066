"""Confidence intervals against hand-computed values."""

import numpy as np
import pytest

from locoaudit.evaluate.intervals import mean, rate, t975, t_mean, wilson


def test_wilson_textbook_values():
    lo, hi = wilson(5, 10)
    assert lo == pytest.approx(0.2366, abs=1e-4) and hi == pytest.approx(0.7634, abs=1e-4)
    lo, hi = wilson(0, 10)
    assert lo == 0.0 and hi == pytest.approx(0.2775, abs=1e-4)
    lo, hi = wilson(10, 10)
    assert hi == 1.0 and lo == pytest.approx(0.7225, abs=1e-4)
    assert wilson(0, 0) is None


def test_t_quantiles_match_the_table_and_the_series():
    assert t975(1) == pytest.approx(12.7062, abs=1e-4) and t975(10) == pytest.approx(2.2281, abs=1e-4)
    for df, ref in ((31, 2.039513), (40, 2.021075), (60, 2.000298), (120, 1.979930), (10**6, 1.959966)):
        assert t975(df) == pytest.approx(ref, abs=2e-6)
    with pytest.raises(ValueError):
        t975(0)


def test_t_interval_by_hand():
    # [1, 3]: mean 2, s = sqrt(2), half width t(1) * sqrt(2) / sqrt(2) = 12.7062
    lo, hi = t_mean(np.array([1.0, 3.0]))
    assert lo == pytest.approx(2 - 12.7062047) and hi == pytest.approx(2 + 12.7062047)
    # [1, 2, 3, 4]: mean 2.5, s = 1.2910, half width 3.18245 * 1.2910 / 2 = 2.0543
    lo, hi = t_mean(np.array([1.0, 2.0, 3.0, 4.0]))
    assert (lo, hi) == (pytest.approx(0.4457, abs=1e-4), pytest.approx(4.5543, abs=1e-4))
    assert t_mean(np.array([5.0])) is None and t_mean(np.zeros(0)) is None  # one episode is no interval
    assert t_mean(np.full(7, 2.5)) == (2.5, 2.5)


def test_rate_and_mean_records():
    assert rate(3, 4)["value"] == 0.75 and rate(3, 4)["n"] == 4
    assert rate(0, 0) == {"value": None, "ci": None, "n": 0}
    m = mean(np.array([1.0, 3.0]))
    assert m["value"] == 2.0 and m["n"] == 2 and m["ci"][0] < 2.0 < m["ci"][1]
    assert mean(np.array([0.8234])) == {"value": 0.8234, "ci": None, "n": 1}
