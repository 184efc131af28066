"""From a training manifest and a panel to evaluation conditions: held-out checks, batches, cell params.

Cells that share a terrain (and terrain seed) share one compiled model, so they run as one batch;
their disturbances (friction, payload, motor strength, delay) are per-env model parameters.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np

from locoaudit.evaluate.panel import TERRAIN_BORDER, Cell, Panel, TerrainCell
from locoaudit.manifest import Manifest


@dataclass(frozen=True)
class Batch:
    """One compiled model's worth of episodes: (cell index, episodes) slices in env order."""

    terrain: TerrainCell
    seed: int | None  # terrain seed (grid), None for a plane
    manifest: Manifest  # the evaluation manifest of this batch
    slices: tuple[tuple[int, int, int], ...]  # (cell index, first env, episodes)

    @property
    def num_envs(self) -> int:
        return sum(n for _, _, n in self.slices)


def training_kinds(m: Manifest) -> set[str]:
    """Terrain kinds the training loop saw ('flat' for a plane)."""
    if m.terrain.type == "plane":
        return {"flat"}
    return {k for k, share in m.terrain.kinds.items() if share > 0}


def overlaps(m: Manifest, cell: Cell) -> list[str]:
    """Why a cell is not held out from the training manifest (empty when it is).

    A grid cell is held out when none of its kinds or seeds were used in training. A plane cell is
    held out only through a disturbance outside the training randomization ranges.
    """
    t, r = cell.terrain, m.randomization
    if t.type == "grid":
        out = [f"terrain kind {k!r} is trained on" for k in t.kinds if k in training_kinds(m)]
        if m.terrain.type == "grid":
            out += [f"terrain seed {s} is the training seed" for s in t.seeds if s == m.terrain.seed]
        return out
    novel = [
        cell.push.velocity > r.push_velocity,
        cell.friction > 0 and not r.friction[0] <= cell.friction <= r.friction[1],
        not r.added_base_mass[0] <= cell.payload.mass <= r.added_base_mass[1],
        any(abs(o) > h for o, h in zip(cell.payload.offset, r.base_com_offset, strict=True)),
        not r.motor_strength[0] <= cell.motor_strength <= r.motor_strength[1],
        cell.actuator_delay >= 0 and not r.actuator_delay[0] <= cell.actuator_delay <= r.actuator_delay[1],
        bool(cell.sensor.terms)
        and (cell.sensor.bias != 0 or cell.sensor.dropout > 0 or cell.sensor.noise > 0),
    ]
    return [] if any(novel) else ["flat ground with no disturbance outside the training ranges"]


def nominal_manifest(m: Manifest, panel: Panel) -> Manifest:
    """Training manifest with randomization at nominal values, no pushes, episodes from their start."""
    r = m.randomization
    friction = (r.friction[0] + r.friction[1]) / 2
    randomization = dataclasses.replace(
        r,
        friction=(friction, friction),
        added_base_mass=(0.0, 0.0),
        base_com_offset=(0.0, 0.0, 0.0),
        motor_strength=(1.0, 1.0),
        joint_damping=(1.0, 1.0),
        actuator_delay=(r.actuator_delay[0], r.actuator_delay[0]),
        push_interval=0.0,
        push_velocity=0.0,
    )
    episode = dataclasses.replace(m.episode, length_s=panel.episode_s, randomize_start_phase=False)
    return dataclasses.replace(m, randomization=randomization, episode=episode)


def transfer_manifest(m: Manifest) -> Manifest:
    """Solver sensitivity, not a second simulator: the same MuJoCo physics with other solver settings.

    Elliptic friction cones with impratio 10 (training: pyramidal, 1), 20 solver and line-search
    iterations and the implicit integrator: a policy that exploits solver artefacts of the
    training settings shows it here.
    """
    sim = dataclasses.replace(
        m.sim, cone="elliptic", impratio=10.0, iterations=20, ls_iterations=20, integrator="implicit"
    )
    return dataclasses.replace(m, sim=sim)


def _with_terrain(m: Manifest, t: TerrainCell, seed: int | None) -> Manifest:
    if t.type == "plane":
        return dataclasses.replace(m, terrain=dataclasses.replace(m.terrain, type="plane"))
    terrain = dataclasses.replace(
        m.terrain,
        type="grid",
        seed=seed,
        kinds=MappingProxyType({k: 1.0 for k in t.kinds}),
        num_rows=1,
        num_cols=len(t.kinds),
        tile_size=t.tile_size,
        resolution=t.resolution,
        border=TERRAIN_BORDER,
        difficulty=(t.difficulty, t.difficulty),
        curriculum=False,
        max_init_level=0,
    )
    return dataclasses.replace(m, terrain=terrain)


def plan_batches(
    m: Manifest, panel: Panel, episodes: int | None = None, transfer: bool = False
) -> list[Batch]:
    """Group the panel's episodes into batches by terrain (and terrain seed)."""
    base = nominal_manifest(transfer_manifest(m) if transfer else m, panel)
    groups: dict[tuple, list[tuple[int, int]]] = {}
    for index, cell in enumerate(panel.cells):
        n = episodes or panel.episodes
        seeds = cell.terrain.seeds if cell.terrain.type == "grid" else (None,)
        shares = np.diff(np.linspace(0, n, len(seeds) + 1).round().astype(int))
        for seed, share in zip(seeds, shares, strict=True):
            if share:
                groups.setdefault((cell.terrain, seed), []).append((index, int(share)))
    batches = []
    for (terrain, seed), parts in groups.items():
        starts = np.concatenate([[0], np.cumsum([n for _, n in parts])[:-1]])
        slices = tuple((i, int(s), n) for (i, n), s in zip(parts, starts, strict=True))
        batches.append(Batch(terrain, seed, _with_terrain(base, terrain, seed), slices))
    return batches


def cell_params(env, cell: Cell, ids: np.ndarray) -> None:
    """Apply a cell's physical disturbances to envs `ids` of an evaluation env."""
    b, built = env.backend, env.built
    params = {
        name: b.param(name)[ids].copy()
        for name in ("geom_friction", "body_mass", "body_ipos", "actuator_gainprm", "actuator_biasprm")
    }
    if cell.friction > 0:
        params["geom_friction"][:, built.foot_geoms, 0] = cell.friction
        env.state.friction[ids] = cell.friction
    params["body_mass"][:, built.base_body] += cell.payload.mass
    params["body_ipos"][:, built.base_body] += np.asarray(cell.payload.offset)
    params["actuator_gainprm"][:, :, 0] *= cell.motor_strength
    params["actuator_biasprm"][:, :, 1:3] *= cell.motor_strength
    b.set_params(ids, params)
    if cell.actuator_delay >= 0:
        env.state.delay[ids] = min(cell.actuator_delay, env.manifest.sim.decimation)
