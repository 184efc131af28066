"""Evaluation panels: TOML files of cells (terrain x disturbance), validated and hashed like manifests.

A cell's disturbances use sentinels for "as trained" so every field has a plain TOML value:
friction = 0 keeps the nominal friction, actuator_delay = -1 the training minimum, push.velocity = 0
means no push, sensor.terms = [] no corruption.

What the promotion gate asks of an evaluation on this panel is declared here too, so it is hashed with
the panel: `min_episodes` per cell (fewer is "insufficient evidence") and a competence `floor`.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from locoaudit.errors import ManifestError
from locoaudit.manifest.load import read_toml, to_plain
from locoaudit.manifest.schema import spec
from locoaudit.manifest.validate import Context, build

TERRAIN_BORDER = 10.0  # flat border around a cell's grid [m] (see conditions.py)


@dataclass(frozen=True)
class TerrainCell:
    type: str = spec("plane", "'plane' or 'grid'", choices=("plane", "grid"))
    kinds: tuple[str, ...] = spec((), "terrain kinds (grid), one column each")
    seeds: tuple[int, ...] = spec(
        (), "terrain generator seeds (grid); episodes are spread over them", 0, 2**31 - 1
    )
    difficulty: float = spec(0.5, "difficulty of every tile", 0.0, 1.0)
    tile_size: float = spec(8.0, "tile edge [m]", 1.0, 100.0)
    resolution: float = spec(0.1, "heightfield sample spacing [m]", 0.01, 1.0)


@dataclass(frozen=True)
class PushCell:
    velocity: float = spec(0.0, "horizontal base-velocity change [m/s] (0 = no push)", 0.0, 20.0)
    time_s: float = spec(5.0, "time of the push after the episode start [s]", 0.0, 1e4)
    direction_deg: float = spec(
        -1.0, "push direction in the world frame; -1 = random per episode", -1.0, 360.0
    )


@dataclass(frozen=True)
class PayloadCell:
    mass: float = spec(0.0, "mass added to the base [kg]", -100.0, 100.0)
    offset: tuple[float, float, float] = spec(
        (0.0, 0.0, 0.0), "shift of the base centre of mass [m]", -1.0, 1.0
    )


@dataclass(frozen=True)
class SensorCell:
    terms: tuple[str, ...] = spec((), "actor observation terms to corrupt (e.g. base_ang_vel, joint_vel)")
    noise: float = spec(0.0, "extra uniform noise half-width", 0.0, 1000.0)
    bias: float = spec(0.0, "constant offset added", -1000.0, 1000.0)
    dropout: float = spec(0.0, "probability that an element reads 0 in a step", 0.0, 1.0)


@dataclass(frozen=True)
class Cell:
    name: str = spec("cell", "cell name, unique in the panel (starts trace file names)", path_part=True)
    terrain: TerrainCell = field(default_factory=TerrainCell)
    push: PushCell = field(default_factory=PushCell)
    payload: PayloadCell = field(default_factory=PayloadCell)
    friction: float = spec(0.0, "foot friction coefficient (0 = nominal)", 0.0, 10.0)
    motor_strength: float = spec(1.0, "scale of actuator gains", 0.0, 10.0)
    actuator_delay: int = spec(-1, "action delay in physics steps (-1 = training minimum)", -1, 100)
    sensor: SensorCell = field(default_factory=SensorCell)


DEFAULT_MIN_EPISODES = 32  # see README "Promotion gate": t and Wilson intervals cover ~0.9-0.95 from here


@dataclass(frozen=True)
class Floor:
    """The least a promoted run must achieve on the panel's floor cells (point estimates, each cell)."""

    cells: tuple[str, ...] = spec((), "cells the floor applies to (empty: no floor)")
    max_fall_rate: float = spec(1.0, "highest fall rate on each floor cell (1 = no limit)", 0.0, 1.0)
    max_lin_vel_error: float = spec(
        0.0, "highest velocity-tracking error [m/s] on each floor cell (0 = no limit)", 0.0, 10.0
    )

    def limits(self) -> dict[str, float]:
        """Metric name -> highest allowed value, for the limits this floor declares."""
        out = {"fall_rate": self.max_fall_rate} if self.max_fall_rate < 1.0 else {}
        return out | ({"lin_vel_error": self.max_lin_vel_error} if self.max_lin_vel_error > 0 else {})


@dataclass(frozen=True)
class Panel:
    name: str = spec("panel", "panel name (starts evaluation file names)", path_part=True)
    description: str = spec("", "free text")
    episodes: int = spec(64, "episodes per cell", 1, 100000)
    seed: int = spec(1000, "evaluation seed (initial states, commands, noise, push directions)", 0, 2**31 - 1)
    episode_s: float = spec(20.0, "episode length [s]", 0.1, 1e4)
    recovery_window_s: float = spec(
        2.0, "a push is recovered if the robot has not fallen this long after it", 0.0, 1e3
    )
    min_episodes: int = spec(
        DEFAULT_MIN_EPISODES, "fewest episodes per cell for the gate to judge it", 1, 100000
    )
    floor: Floor = field(default_factory=Floor)
    cells: tuple[Cell, ...] = spec((), "the cells")


def shortened(panel: Panel, episode_s: float) -> Panel:
    """The panel with episodes of episode_s; a push whose recovery window would not fit moves earlier.

    Such a push lands at episode_s - recovery_window_s (at the start if that is negative), so a short
    check (`demo --quick`) still pushes in every push cell and can judge recovery. The panel hash
    changes with both, so shortened results are never construct-matched with full-length ones.
    """
    latest = max(0.0, episode_s - panel.recovery_window_s)

    def fit(cell: Cell) -> Cell:
        if cell.push.velocity <= 0 or cell.push.time_s <= latest:
            return cell
        return dataclasses.replace(cell, push=dataclasses.replace(cell.push, time_s=latest))

    return dataclasses.replace(panel, episode_s=episode_s, cells=tuple(fit(c) for c in panel.cells))


def load_panel(name_or_path: str) -> Panel:
    """Load, validate and freeze a panel (shipped name or .toml path)."""
    from locoaudit.task.observations import NOISY_TERMS
    from locoaudit.terrain import KINDS

    table, source = read_toml(name_or_path, kind="panel", package="locoaudit.panels")
    panel = build(Panel, table, "", Context(source, {}, {}))
    if not panel.cells:
        raise ManifestError(source, "cells", "a panel needs at least one [[cells]] table")
    names = [c.name for c in panel.cells]
    for i, cell in enumerate(panel.cells):
        key = f"cells[{i}]"
        if cell.name in names[:i]:
            raise ManifestError(source, f"{key}.name", f"duplicate cell name {cell.name!r}")
        bad = [k for k in cell.terrain.kinds if k not in KINDS]
        if bad:
            raise ManifestError(source, f"{key}.terrain.kinds", f"unknown terrain kind {bad[0]!r}")
        if cell.terrain.type == "grid" and not (cell.terrain.kinds and cell.terrain.seeds):
            raise ManifestError(source, f"{key}.terrain", "a grid cell needs kinds and seeds")
        _check_cell_physics(panel, cell, source, key)
        observable = (*NOISY_TERMS, "command", "last_action")
        bad = [t for t in cell.sensor.terms if t not in observable]
        if bad:
            raise ManifestError(source, f"{key}.sensor.terms", f"unknown observation term {bad[0]!r}")
    check_floor(panel.floor, names, source)
    return panel


def _check_cell_physics(panel: Panel, cell: Cell, source: str, key: str) -> None:
    """A push inside the episode, and a terrain grid that can be generated."""
    from locoaudit.terrain.grid import grid_problem

    if cell.push.velocity > 0 and cell.push.time_s >= panel.episode_s:
        raise ManifestError(
            source,
            f"{key}.push.time_s",
            f"push at {cell.push.time_s:g} s never happens: episodes end at {panel.episode_s:g} s",
        )
    t = cell.terrain
    if t.type == "grid":
        problem = grid_problem(1, len(t.kinds), t.tile_size, t.resolution, TERRAIN_BORDER)
        if problem:
            raise ManifestError(source, f"{key}.terrain", problem)


def check_floor(floor: Floor, cell_names: list[str], source: str) -> None:
    """A floor names existing cells and declares at least one limit for them."""
    unknown = [c for c in floor.cells if c not in cell_names]
    if unknown:
        raise ManifestError(source, "floor.cells", f"no cell named {unknown[0]!r} in the panel")
    if floor.cells and not floor.limits():
        raise ManifestError(source, "floor", "floor cells given but no max_fall_rate or max_lin_vel_error")


def panel_hash(panel: Panel) -> str:
    """sha256 of the panel's canonical JSON."""
    return spec_hash(to_plain(panel))


def spec_hash(plain: Any) -> str:
    """sha256 of a plain (JSON) panel: sorted keys, no spaces, no NaN."""
    text = json.dumps(plain, sort_keys=True, separators=(",", ":"), allow_nan=False)
    return hashlib.sha256(text.encode()).hexdigest()
