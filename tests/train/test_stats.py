"""Training-ledger statistics against hand-computed values."""

import math

import pytest
import torch

from locoaudit.train.stats import advantage_stats, explained_variance, ratio_stats


def test_advantage_stats_hand_computed():
    adv = torch.arange(1.0, 11.0).reshape(5, 2, 1)  # 1..10
    s = advantage_stats(adv)
    assert s["mean"] == pytest.approx(5.5)
    assert s["std"] == pytest.approx(math.sqrt(sum((x - 5.5) ** 2 for x in range(1, 11)) / 9))
    assert s["p5"] == pytest.approx(1.45)  # linear interpolation: 1 + 0.05 * 9
    assert s["p95"] == pytest.approx(9.55)


def test_explained_variance():
    returns = torch.tensor([1.0, 2.0, 3.0, 4.0])
    assert explained_variance(returns, returns) == pytest.approx(1.0)
    assert explained_variance(torch.zeros(4), returns) == pytest.approx(0.0)
    values = torch.tensor([1.0, 2.0, 3.0, 5.0])  # residual [0,0,0,-1]: var 0.25; var(returns) = 5/3
    assert explained_variance(values, returns) == pytest.approx(1 - 0.25 / (5 / 3))
    assert math.isnan(explained_variance(values, torch.ones(4)))


def test_ratio_stats():
    old = torch.zeros(4)
    new = torch.log(torch.tensor([1.0, 1.1, 1.3, 0.7]))
    s = ratio_stats(new, old, clip=0.2)
    assert s["clip_fraction"] == pytest.approx(0.5)
    expected = sum((r - 1) - math.log(r) for r in [1.0, 1.1, 1.3, 0.7]) / 4
    assert s["approx_kl"] == pytest.approx(expected)
