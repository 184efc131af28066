"""The terrain heightfield: a grid of generated tiles inside a flat border, centred at the world origin.

Layout conventions:

* ``heights[i, j]`` is the height at world ``x = origin[0] + j * resolution``,
  ``y = origin[1] + i * resolution`` (array rows run along world y, array columns along world x: the same
  layout as a MuJoCo hfield).
* Tile *rows* are difficulty levels laid out along world x; tile *columns* are terrain kinds along world y.
  Tile ``(row, col)`` owns ``heights[b + col*n : b + (col+1)*n, b + row*n : b + (row+1)*n]`` where
  ``n = tile_size / resolution`` and ``b = border / resolution`` samples; each sample owns the
  ``resolution``-wide cell centred on it, so a tile spans exactly ``tile_size`` metres.
* The whole grid, border included, is centred at the world origin.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import torch

from locoaudit.arrays import Array, astype, xp
from locoaudit.terrain.kinds import KINDS


@dataclass(frozen=True, eq=False)
class TerrainGrid:
    """Heights of a rows x cols grid of terrain tiles plus border, with vectorised world-space queries."""

    heights: np.ndarray
    resolution: float
    origin: tuple[float, float]
    tile_size: float
    num_rows: int
    num_cols: int
    col_kinds: tuple[str, ...]
    border: float

    def __post_init__(self) -> None:
        """Validate the layout and freeze the height array."""
        expected = (
            2 * self.border_samples + self.num_cols * self.tile_samples,
            2 * self.border_samples + self.num_rows * self.tile_samples,
        )
        if self.heights.shape != expected:
            raise ValueError(f"heights shape {self.heights.shape} != expected {expected}")
        if len(self.col_kinds) != self.num_cols:
            raise ValueError(f"col_kinds has {len(self.col_kinds)} entries for {self.num_cols} columns")
        self.heights.flags.writeable = False

    @property
    def tile_samples(self) -> int:
        """Samples per tile side."""
        return round(self.tile_size / self.resolution)

    @property
    def border_samples(self) -> int:
        """Samples in the border on each side."""
        return round(self.border / self.resolution)

    def extent(self) -> tuple[float, float]:
        """World size (x, y) in metres spanned by the first to the last sample."""
        rows, cols = self.heights.shape
        return ((cols - 1) * self.resolution, (rows - 1) * self.resolution)

    def height_at(self, x: Array, y: Array) -> Array:
        """Bilinearly interpolated height at world (x, y), broadcast together; points outside are clamped.

        Tensors are looked up in a copy of the heights on their device (made once per device and dtype).
        """
        rows, cols = self.heights.shape
        if not isinstance(x, torch.Tensor):
            x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
        ns = xp(x)
        fx = ns.clip((x - self.origin[0]) / self.resolution, 0, cols - 1)
        fy = ns.clip((y - self.origin[1]) / self.resolution, 0, rows - 1)
        j0 = ns.clip(astype(fx, fx, "int"), None, cols - 2)
        i0 = ns.clip(astype(fy, fy, "int"), None, rows - 2)
        tx, ty = fx - j0, fy - i0
        flat = self._flat_heights(x)
        k = i0 * cols + j0
        bottom = flat[k] + tx * (flat[k + 1] - flat[k])
        top = flat[k + cols] + tx * (flat[k + cols + 1] - flat[k + cols])
        return bottom + ty * (top - bottom)

    def _flat_heights(self, ref: Array) -> Array:
        """The heights, raveled: the array itself for numpy, a cached copy on ref's device for tensors."""
        if not isinstance(ref, torch.Tensor):
            return self.heights.ravel()
        key = (ref.device, ref.dtype)
        cache = self.__dict__.setdefault("_device_heights", {})
        if key not in cache:
            cache[key] = torch.tensor(self.heights.ravel(), dtype=ref.dtype, device=ref.device)  # a copy
        return cache[key]

    def tile_origin(self, row: Array, col: Array) -> Array:
        """World xyz (..., 3) of the centre of tile (row, col), z on the terrain surface.

        Host indices are range-checked; device ones (from the curriculum, in range by construction) are not,
        since checking would wait for the device.
        """
        if not isinstance(row, torch.Tensor):
            row, col = np.asarray(row), np.asarray(col)
            if np.any((row < 0) | (row >= self.num_rows)) or np.any((col < 0) | (col >= self.num_cols)):
                raise IndexError(f"tile index out of range for a {self.num_rows} x {self.num_cols} grid")
        n, b = self.tile_samples, self.border_samples
        x = self.origin[0] + (b + row * n + (n - 1) / 2) * self.resolution
        y = self.origin[1] + (b + col * n + (n - 1) / 2) * self.resolution
        ns = xp(x)
        x, y = ns.broadcast_tensors(x, y) if ns is torch else np.broadcast_arrays(x, y)
        return ns.stack([x, y, self.height_at(x, y)], axis=-1)

    def tile_of(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(row, col) int indices of the tile containing world (x, y), clipped to the grid."""
        n, b = self.tile_samples, self.border_samples
        x, y = np.broadcast_arrays(np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64))
        fx = (x - self.origin[0]) / self.resolution - b + 0.5
        fy = (y - self.origin[1]) / self.resolution - b + 0.5
        row = np.clip(np.floor(fx / n), 0, self.num_rows - 1).astype(np.int64)
        col = np.clip(np.floor(fy / n), 0, self.num_cols - 1).astype(np.int64)
        return row, col


def _samples(length: float, resolution: float, what: str) -> int:
    """Number of samples spanning ``length``; it must be a whole multiple of ``resolution``."""
    count = round(length / resolution)
    if abs(count * resolution - length) > 1e-9 * max(1.0, abs(length)):
        raise ValueError(f"{what}={length} is not a multiple of resolution={resolution}")
    return count


MAX_HFIELD_SAMPLES = 20_000_000  # 160 MB of float64 heights; go1_rough's grid has ~1.6M


def grid_problem(
    num_rows: int, num_cols: int, tile_size: float, resolution: float, border: float
) -> str | None:
    """Why a grid of these dimensions cannot be generated (size not a multiple, too many samples), or None."""
    for what, length in (("tile_size", tile_size), ("border", border)):
        count = round(length / resolution)
        if abs(count * resolution - length) > 1e-9 * max(1.0, abs(length)):
            return f"{what} {length:g} is not a multiple of resolution {resolution:g}"
    n, b = round(tile_size / resolution), round(border / resolution)
    if n < 2:
        return f"a tile needs at least 2 samples per side, got {n}"
    samples = (2 * b + num_cols * n) * (2 * b + num_rows * n)
    if samples > MAX_HFIELD_SAMPLES:
        return (
            f"heightfield of {samples:.3g} samples ({samples * 8 / 1e9:.3g} GB) is over the limit of "
            f"{MAX_HFIELD_SAMPLES:.3g}: use fewer rows / columns, smaller tiles or a coarser resolution"
        )
    return None


def _column_counts(proportions: np.ndarray, num_cols: int) -> np.ndarray:
    """Columns per kind by largest remainder, at least one per positive kind when ``num_cols`` allows."""
    quota = proportions / proportions.sum() * num_cols
    positive = proportions > 0
    counts = np.floor(quota).astype(np.int64)
    if num_cols >= positive.sum():
        counts = np.where(positive, np.maximum(counts, 1), 0)
    while counts.sum() > num_cols:
        counts[np.argmax(np.where(counts > 1, counts - quota, -np.inf))] -= 1
    while counts.sum() < num_cols:
        counts[np.argmax(np.where(positive, quota - counts, -np.inf))] += 1
    return counts


def assign_columns(kinds: Mapping[str, float], num_cols: int) -> tuple[str, ...]:
    """Kind of each column: contiguous blocks in mapping order sized by normalised proportions."""
    unknown = [name for name in kinds if name not in KINDS]
    if unknown:
        raise ValueError(f"unknown terrain kind {unknown[0]!r}; known: {', '.join(KINDS)}")
    proportions = np.array(list(kinds.values()), dtype=np.float64)
    if proportions.size == 0 or np.any(proportions < 0) or proportions.sum() <= 0:
        raise ValueError(f"terrain proportions must be non-negative with a positive sum, got {dict(kinds)}")
    counts = _column_counts(proportions, num_cols)
    return tuple(name for name, count in zip(kinds, counts, strict=True) for _ in range(count))


def generate_grid(
    kinds: Mapping[str, float],
    num_rows: int,
    num_cols: int,
    tile_size: float,
    resolution: float,
    border: float,
    seed: int,
    difficulty_range: tuple[float, float] = (0.0, 1.0),
) -> TerrainGrid:
    """Generate a terrain grid: row r has difficulty lo + (hi-lo)*r/max(rows-1, 1), columns hold kinds."""
    if num_rows < 1 or num_cols < 1:
        raise ValueError(f"need at least one row and column, got {num_rows} x {num_cols}")
    lo, hi = difficulty_range
    if not 0.0 <= lo <= hi <= 1.0:
        raise ValueError(f"difficulty_range must satisfy 0 <= lo <= hi <= 1, got {difficulty_range}")
    n = _samples(tile_size, resolution, "tile_size")
    b = _samples(border, resolution, "border")
    if n < 2:
        raise ValueError(f"a tile needs at least 2 samples per side, got {n}")
    col_kinds = assign_columns(kinds, num_cols)
    heights = np.zeros((2 * b + num_cols * n, 2 * b + num_rows * n))
    for row in range(num_rows):
        difficulty = lo + (hi - lo) * row / max(num_rows - 1, 1)
        for col, kind in enumerate(col_kinds):
            rng = np.random.default_rng([seed, row, col])
            tile = KINDS[kind](n, resolution, difficulty, rng)
            heights[b + col * n : b + (col + 1) * n, b + row * n : b + (row + 1) * n] = tile
    rows, cols = heights.shape
    origin = (-(cols - 1) * resolution / 2, -(rows - 1) * resolution / 2)
    return TerrainGrid(heights, resolution, origin, tile_size, num_rows, num_cols, col_kinds, border)
