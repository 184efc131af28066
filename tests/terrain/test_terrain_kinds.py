"""Geometry of each terrain tile kind."""

from __future__ import annotations

import numpy as np
import pytest

from locoaudit.terrain import KINDS

RES = 0.1
N = 80  # 8 m tile
C = (N - 1) / 2
MID = N // 2  # a sample row through the centre, away from the pyramid diagonals


def tile(kind: str, difficulty: float, n: int = N, res: float = RES, seed: int = 0) -> np.ndarray:
    """Generate one tile with a fixed seed."""
    return KINDS[kind](n, res, difficulty, np.random.default_rng(seed))


def outward(profile: np.ndarray) -> np.ndarray:
    """Right half of a centre-row profile, from the centre out to the tile edge."""
    return profile[int(np.ceil(C)) :]


def test_registry_has_required_kinds() -> None:
    """Every kind the rest of the code base names is registered."""
    assert set(KINDS) == {
        "flat",
        "random_rough",
        "pyramid_slope_up",
        "pyramid_slope_down",
        "stairs_up",
        "stairs_down",
        "discrete_obstacles",
        "stepping_stones",
        "gaps",
        "curbs",
    }


@pytest.mark.parametrize("kind", sorted(KINDS))
@pytest.mark.parametrize(("n", "res"), [(80, 0.1), (81, 0.1), (41, 0.05), (20, 0.1)])
def test_every_kind_has_flat_spawn_platform(kind: str, n: int, res: float) -> None:
    """Samples closer than 0.5 m + res (all that 0.5 m of surface interpolates) share one height."""
    c = (n - 1) / 2
    a = np.abs(np.arange(n) - c) * res
    platform = np.maximum(a[:, None], a[None, :]) < 0.5 + res - 1e-9
    for difficulty in (0.0, 0.37, 1.0):
        t = tile(kind, difficulty, n, res)
        assert t.shape == (n, n) and t.dtype == np.float64 and np.isfinite(t).all()
        assert np.ptp(t[platform]) == 0.0
        np.testing.assert_array_equal(t, tile(kind, difficulty, n, res))


def test_flat_is_zero() -> None:
    """Flat is exactly zero."""
    assert not tile("flat", 1.0).any()


@pytest.mark.parametrize("difficulty", [0.0, 0.5, 1.0])
def test_random_rough_amplitude_and_smoothness(difficulty: float) -> None:
    """Peak-to-peak amplitude is 0.02 + 0.08*difficulty and neighbour steps are bounded by the smoothing."""
    amplitude = 0.02 + 0.08 * difficulty
    t = tile("random_rough", difficulty)
    assert np.abs(t).max() <= amplitude / 2
    assert np.ptp(t) > 0.5 * amplitude
    step = max(np.abs(np.diff(t, axis=0)).max(), np.abs(np.diff(t, axis=1)).max())
    assert step <= amplitude * RES / 0.19
    assert not np.array_equal(t, tile("random_rough", difficulty, seed=1))


@pytest.mark.parametrize(("kind", "sign"), [("pyramid_slope_up", 1.0), ("pyramid_slope_down", -1.0)])
@pytest.mark.parametrize("difficulty", [0.25, 1.0])
def test_pyramid_slope_angle_and_direction(kind: str, sign: float, difficulty: float) -> None:
    """Faces slope at exactly 0.4*difficulty rad, rising outward for up, falling for down, 0 at the edge."""
    t = tile(kind, difficulty)
    out = outward(t[MID])
    diffs = np.diff(out)
    sloped = diffs != 0
    assert sloped.sum() > 20
    np.testing.assert_allclose(np.arctan(sign * diffs[sloped] / RES), 0.4 * difficulty, atol=1e-12)
    ring = np.concatenate([t[0], t[-1], t[:, 0], t[:, -1]])
    assert not ring.any()
    assert out[0] == (t.min() if sign > 0 else t.max())


@pytest.mark.parametrize(("kind", "sign"), [("stairs_up", 1.0), ("stairs_down", -1.0)])
@pytest.mark.parametrize("difficulty", [0.0, 0.3, 1.0])
def test_stairs_rise_tread_and_direction(kind: str, sign: float, difficulty: float) -> None:
    """Steps rise exactly 0.05 + 0.15*difficulty walking outward (up) or fall by it (down); 0.3 m treads."""
    rise = 0.05 + 0.15 * difficulty
    t = tile(kind, difficulty)
    out = outward(t[MID])
    diffs = np.diff(out)
    steps = np.flatnonzero(diffs)
    np.testing.assert_allclose(sign * diffs[steps], rise, rtol=0, atol=1e-12)
    assert set(np.diff(steps)) == {3}  # 0.3 m treads at 0.1 m resolution
    assert out[-1] == 0.0
    np.testing.assert_allclose(out[0], -sign * len(steps) * rise, atol=1e-12)


@pytest.mark.parametrize("difficulty", [0.0, 0.6, 1.0])
def test_gaps_ring_depth_and_width(difficulty: float) -> None:
    """A 1 m deep ring (0.1 + 0.5*difficulty) m wide just outside a platform reaching 1 m; 0 elsewhere."""
    width = round((0.1 + 0.5 * difficulty) / RES)
    t = tile("gaps", difficulty)
    d = np.abs(np.arange(N) - C) * RES
    start = np.argmax(d < 1.0 + RES)  # first platform sample from the left: the one just past 1 m
    expected = np.zeros(N)
    expected[start - width : start] = expected[N - start : N - start + width] = -1.0
    np.testing.assert_array_equal(t[MID], expected)
    assert set(np.unique(t)) == {-1.0, 0.0}


def test_stepping_stones_have_pits_that_grow_with_difficulty() -> None:
    """Stones at 0 over -0.5 m pits; harder tiles have smaller stones and so more pit area."""
    easy, hard = tile("stepping_stones", 0.0), tile("stepping_stones", 1.0)
    for t in (easy, hard):
        assert set(np.unique(t)) == {-0.5, 0.0}
    assert (hard < 0).mean() > (easy < 0).mean() + 0.3
    assert not np.array_equal(hard, tile("stepping_stones", 1.0, seed=1))


@pytest.mark.parametrize("difficulty", [0.0, 1.0])
def test_curbs_height_and_spacing(difficulty: float) -> None:
    """Curbs run along y, stand 0.05 + 0.1*difficulty m, are 0.2 m wide and repeat every 1 m along x."""
    height = 0.05 + 0.1 * difficulty
    t = tile("curbs", difficulty)
    assert (t == t[0]).all()
    assert set(np.unique(t)) == {0.0, height}
    starts = np.flatnonzero(np.diff(outward(t[0])) > 0) + 1
    assert set(np.diff(starts)) == {10}
    assert (outward(t[0])[starts[0] : starts[0] + 2] == height).all() and outward(t[0])[starts[0] + 2] == 0


@pytest.mark.parametrize("difficulty", [0.0, 1.0])
def test_discrete_obstacles_bounded_with_both_signs(difficulty: float) -> None:
    """Obstacles are at most 0.05 + 0.15*difficulty m high or deep, and both signs occur."""
    max_height = 0.05 + 0.15 * difficulty
    t = tile("discrete_obstacles", difficulty)
    assert np.abs(t).max() <= max_height
    assert t.max() >= max_height / 2 and t.min() <= -max_height / 2
