"""Terrain tile generators: ``fn(n, resolution, difficulty, rng) -> (n, n)`` heights in metres.

Conventions shared by every kind:

* ``tile[i, j]`` is the sample at local ``y = i * resolution`` and ``x = j * resolution`` (same layout as
  :class:`locoaudit.terrain.TerrainGrid`), so the tile centre sits at sample index ``(n - 1) / 2``.
* Distances are Chebyshev (square rings) measured in whole samples, so every geometry is exact on the grid.
* The *spawn platform* is exactly flat at the kind's spawn height (see each docstring) on the interpolated
  surface everywhere within ``PLATFORM_HALF`` metres (Chebyshev) of the centre, i.e. it holds every sample
  closer than ``PLATFORM_HALF + resolution``.
* The outer ring of the pyramid kinds is at height 0, so neighbouring tiles and the border meet without walls.
* ``*_up`` / ``*_down`` are named from the robot's point of view walking out of the spawn: ``stairs_up``
  climbs outward (centre is the lowest point), ``stairs_down`` descends outward (centre is the highest).
  Their spawn height is ``∓ run * tan(0.4*difficulty)`` for slopes and ``∓ (run // tread) * rise`` for
  stairs, where ``run`` is the edge-to-platform distance, ``floor((n-1)/2 - 0.5/resolution)`` samples
  (3.4 m on an 8 m tile at 0.1 m: up to ∓1.44 m of slope and ∓2.2 m, 11 steps, of stairs).
  Every other kind spawns at height 0.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

TileFn = Callable[[int, float, float, np.random.Generator], np.ndarray]

PLATFORM_HALF = 0.5  # m, half-width of the flat spawn platform guaranteed by every kind
ROUGH_CELL = 0.2  # m, spacing of the random_rough control points before bilinear upsampling
ROUGH_FADE = 0.5  # m, width of the ramp that blends random_rough into the spawn platform
MAX_SLOPE = 0.4  # rad at difficulty 1
STEP_WIDTH = 0.3  # m, stair tread
OBSTACLE_DENSITY = 20.0 / 64.0  # rectangles per square metre (legged_gym: 20 per 8 m tile)
OBSTACLE_SIZE = (1.0, 2.0)  # m, min / max rectangle side
STONE_PIT_DEPTH = 0.5  # m, depth of the pits between stepping stones
GAP_PLATFORM_HALF = 1.0  # m, half-width of the platform inside the gap ring
GAP_DEPTH = 1.0  # m
CURB_SPACING = 1.0  # m, distance between consecutive curbs
CURB_WIDTH = 0.2  # m


def _edge_dist(n: int) -> np.ndarray:
    """Integer Chebyshev distance (samples) of each sample from the tile's outer ring, 0 on the ring."""
    a = np.minimum(np.arange(n), np.arange(n)[::-1])
    return np.minimum(a[:, None], a[None, :])


def _platform_edge(n: int, resolution: float, half: float) -> int:
    """Edge distance of the platform's outer ring: the first samples at or past ``half`` m from the centre."""
    centre = (n - 1) / 2
    e_p = int(np.floor(centre - half / resolution + 1e-9))
    return int(np.clip(e_p, 0, (n - 1) // 2))


def _platform_mask(n: int, resolution: float, half: float = PLATFORM_HALF) -> np.ndarray:
    """Boolean (n, n) mask of the platform samples, which cover ``half`` metres around the centre."""
    return _edge_dist(n) >= _platform_edge(n, resolution, half)


def _resize_bilinear(coarse: np.ndarray, n: int) -> np.ndarray:
    """Bilinearly resample a square (m, m) array onto (n, n) samples spanning the same extent."""
    m = coarse.shape[0]
    pos = np.linspace(0.0, m - 1, n)
    i0 = np.minimum(np.floor(pos).astype(np.int64), m - 2)
    t = pos - i0
    rows = coarse[i0] * (1 - t)[:, None] + coarse[i0 + 1] * t[:, None]
    return rows[:, i0] * (1 - t)[None, :] + rows[:, i0 + 1] * t[None, :]


def flat(n: int, resolution: float, difficulty: float, rng: np.random.Generator) -> np.ndarray:
    """Flat plane at height 0 regardless of difficulty; spawn height 0."""
    return np.zeros((n, n))


def random_rough(n: int, resolution: float, difficulty: float, rng: np.random.Generator) -> np.ndarray:
    """Uniform noise, peak-to-peak 0.02 + 0.08*difficulty m, on bilinear 0.2 m control points; spawn 0."""
    amplitude = 0.02 + 0.08 * difficulty
    m = max(2, int(np.ceil((n - 1) * resolution / ROUGH_CELL - 1e-9)) + 1)
    noise = _resize_bilinear(rng.uniform(-amplitude / 2, amplitude / 2, size=(m, m)), n)
    outside = _platform_edge(n, resolution, PLATFORM_HALF) - _edge_dist(n)
    return noise * np.clip(outside * resolution / ROUGH_FADE, 0.0, 1.0)


def _pyramid_slope(n: int, resolution: float, difficulty: float, sign: float) -> np.ndarray:
    """Square pyramid sloped 0.4*difficulty rad, 0 on the outer ring, apex (the platform) of sign ``sign``."""
    rise_per_sample = np.tan(MAX_SLOPE * difficulty) * resolution
    return sign * rise_per_sample * np.minimum(_edge_dist(n), _platform_edge(n, resolution, PLATFORM_HALF))


def pyramid_slope_up(n: int, resolution: float, difficulty: float, rng: np.random.Generator) -> np.ndarray:
    """Inverted pyramid rising outward at 0.4*difficulty rad to 0 at the edge; spawn at -tan(slope)*run."""
    return _pyramid_slope(n, resolution, difficulty, -1.0)


def pyramid_slope_down(n: int, resolution: float, difficulty: float, rng: np.random.Generator) -> np.ndarray:
    """Pyramid falling outward at 0.4*difficulty rad to 0 at the edge; spawn at +tan(slope)*run (apex)."""
    return _pyramid_slope(n, resolution, difficulty, 1.0)


def _pyramid_stairs(n: int, resolution: float, difficulty: float, sign: float) -> np.ndarray:
    """Square-ring stairs of 0.3 m treads and 0.05 + 0.15*difficulty m rise, 0 on the outer tread."""
    tread = max(1, round(STEP_WIDTH / resolution))
    step = np.minimum(_edge_dist(n), _platform_edge(n, resolution, PLATFORM_HALF)) // tread
    return sign * (0.05 + 0.15 * difficulty) * step


def stairs_up(n: int, resolution: float, difficulty: float, rng: np.random.Generator) -> np.ndarray:
    """Pyramid stairs climbing outward, 0.3 m treads, rise 0.05 + 0.15*difficulty m; spawn at -steps*rise."""
    return _pyramid_stairs(n, resolution, difficulty, -1.0)


def stairs_down(n: int, resolution: float, difficulty: float, rng: np.random.Generator) -> np.ndarray:
    """Pyramid stairs falling outward, 0.3 m treads, rise 0.05 + 0.15*difficulty m; spawn at +steps*rise."""
    return _pyramid_stairs(n, resolution, difficulty, 1.0)


def discrete_obstacles(n: int, resolution: float, difficulty: float, rng: np.random.Generator) -> np.ndarray:
    """Random 1-2 m rectangles of height ±[0.5, 1]*(0.05 + 0.15*difficulty) m on a 0 floor; spawn 0."""
    max_height = 0.05 + 0.15 * difficulty
    count = max(1, round(OBSTACLE_DENSITY * (n * resolution) ** 2))
    lo = min(n, max(1, round(OBSTACLE_SIZE[0] / resolution)))
    hi = min(n, max(lo, round(OBSTACLE_SIZE[1] / resolution)))
    sizes = rng.integers(lo, hi + 1, size=(count, 2))
    starts = rng.integers(0, n - sizes + 1)
    heights = rng.uniform(0.5, 1.0, count) * max_height * rng.choice([-1.0, 1.0], count)
    tile = np.zeros((n, n))
    for (y0, x0), (sy, sx), h in zip(starts, sizes, heights, strict=True):
        tile[y0 : y0 + sy, x0 : x0 + sx] = h
    tile[_platform_mask(n, resolution)] = 0.0
    return tile


def stepping_stones(n: int, resolution: float, difficulty: float, rng: np.random.Generator) -> np.ndarray:
    """Stones 1.5 - 1.25*difficulty m wide, 0.05 + 0.25*difficulty m apart, at 0 over -0.5 m pits; spawn 0."""
    side = max(1, round((1.5 - 1.25 * difficulty) / resolution))
    pitch = side + max(1, round((0.05 + 0.25 * difficulty) / resolution))
    idx = np.arange(n)
    rows = idx + rng.integers(0, pitch)
    in_row = rows % pitch < side
    shift = rng.integers(0, pitch, size=rows.max() // pitch + 1)
    in_stone = (idx[None, :] + shift[rows // pitch][:, None]) % pitch < side
    tile = np.where(in_row[:, None] & in_stone, 0.0, -STONE_PIT_DEPTH)
    tile[_platform_mask(n, resolution)] = 0.0
    return tile


def gaps(n: int, resolution: float, difficulty: float, rng: np.random.Generator) -> np.ndarray:
    """A 2 m platform at 0 ringed by a 1 m deep gap 0.1 + 0.5*difficulty m wide, floor 0 beyond; spawn 0."""
    width = max(1, round((0.1 + 0.5 * difficulty) / resolution))
    inner = _platform_edge(n, resolution, GAP_PLATFORM_HALF)
    edge = _edge_dist(n)
    return np.where((edge < inner) & (edge >= inner - width), -GAP_DEPTH, 0.0)


def curbs(n: int, resolution: float, difficulty: float, rng: np.random.Generator) -> np.ndarray:
    """Curbs 0.2 m wide and 0.05 + 0.1*difficulty m high along y, every 1 m in x from the centre; spawn 0."""
    spacing = max(1, round(CURB_SPACING / resolution))
    width = min(spacing, max(1, round(CURB_WIDTH / resolution)))
    edge_x = np.minimum(np.arange(n), np.arange(n)[::-1])
    from_centre = (n - 1) // 2 - edge_x
    is_curb = (from_centre >= spacing) & (from_centre % spacing < width)
    return np.broadcast_to(np.where(is_curb, 0.05 + 0.1 * difficulty, 0.0), (n, n)).copy()


KINDS: dict[str, TileFn] = {
    "flat": flat,
    "random_rough": random_rough,
    "pyramid_slope_up": pyramid_slope_up,
    "pyramid_slope_down": pyramid_slope_down,
    "stairs_up": stairs_up,
    "stairs_down": stairs_down,
    "discrete_obstacles": discrete_obstacles,
    "stepping_stones": stepping_stones,
    "gaps": gaps,
    "curbs": curbs,
}
