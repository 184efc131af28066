"""The MuJoCo ground, heightfield or plane, as a Genesis entity: the same height samples and scale.

A MuJoCo hfield stores ``nrow x ncol`` samples (rows along world y, columns along x) normalised to
[0, 1] in float32; the surface is ``data * size[2]`` above the geom frame. We read those compiled
samples back (so both engines see the same float32-quantised heights, not the generator's float64
ones) and give them to ``gs.morphs.Terrain(height_field=..., vertical_scale=1)``.

Triangulation, measured on both engines: MuJoCo splits each cell along the diagonal from its
(-x, -y) corner to its (+x, +y) corner; Genesis (rows along its local x) splits along (+x, -y) to
(-x, +y). A quarter turn about z maps one diagonal onto the other, so the Genesis terrain is yawed
+90 degrees with its samples flipped to match: local (u, v) lands at world (x_max - v, y_min + u),
i.e. Genesis sample (i, j) is MuJoCo sample (row i, column ncol - 1 - j). Between samples the two
surfaces are then the same piecewise-planar surface (checked by :func:`terrain_readback`).
"""

from __future__ import annotations

from dataclasses import dataclass

import mujoco
import numpy as np

QUARTER_TURN = (np.sqrt(0.5), 0.0, 0.0, np.sqrt(0.5))  # wxyz, +90 degrees about z
HEIGHT_TOL = 1e-6  # m; both engines hold the same float32 samples


@dataclass(frozen=True)
class HField:
    """A MuJoCo hfield ground in world terms: heights[r, c] at (x0 + c*res, y0 + r*res)."""

    heights: np.ndarray  # (nrow, ncol) world z of each sample
    origin: tuple[float, float]  # world (x, y) of sample (0, 0)
    resolution: float

    def genesis_pose(self) -> tuple[np.ndarray, tuple[float, float, float], tuple[float, ...]]:
        """(height_field for Genesis, pos, quat): the same surface after Genesis' quarter turn."""
        ncol = self.heights.shape[1]
        pos = (self.origin[0] + (ncol - 1) * self.resolution, self.origin[1], 0.0)
        return np.ascontiguousarray(self.heights[:, ::-1]), pos, QUARTER_TURN


def mujoco_hfield(model: mujoco.MjModel, ground: str) -> HField | None:
    """The compiled heightfield of geom `ground`, or None when the ground is a plane."""
    g = model.geom(ground)
    if model.geom_type[g.id] != mujoco.mjtGeom.mjGEOM_HFIELD:
        return None
    if np.any(model.geom_quat[g.id] != (1.0, 0.0, 0.0, 0.0)):
        raise ValueError(f"ground {ground!r}: a rotated hfield geom is not mapped to Genesis")
    h = model.geom_dataid[g.id]
    nrow, ncol = int(model.hfield_nrow[h]), int(model.hfield_ncol[h])
    size = model.hfield_size[h]
    adr = model.hfield_adr[h]
    data = model.hfield_data[adr : adr + nrow * ncol].reshape(nrow, ncol).astype(np.float64)
    pos = model.geom_pos[g.id]
    res_x, res_y = 2 * size[0] / (ncol - 1), 2 * size[1] / (nrow - 1)
    if not np.isclose(res_x, res_y, rtol=1e-9):
        raise ValueError(
            f"ground {ground!r}: sample spacing {res_x} (x) != {res_y} (y); Genesis needs square cells"
        )
    return HField(data * size[2] + pos[2], (pos[0] - size[0], pos[1] - size[1]), float(res_x))


def ground_entity(scene, model: mujoco.MjModel, ground: str, friction: float):
    """Add the MuJoCo model's ground (plane or heightfield) to a Genesis scene; returns the entity."""
    import genesis as gs

    material = gs.materials.Rigid(friction=friction)
    field = mujoco_hfield(model, ground)
    if field is None:
        return scene.add_entity(gs.morphs.Plane(), material=material)
    heights, pos, quat = field.genesis_pose()
    morph = gs.morphs.Terrain(
        height_field=heights, horizontal_scale=field.resolution, vertical_scale=1.0, pos=pos, quat=quat
    )
    return scene.add_entity(morph, material=material)


def probe_points(field: HField, rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """(sample points (n, 2), cell-interior points (n, 2)) in world x, y, away from the outer edge.

    Half the interior points fall in cells whose four corners are not coplanar (curb edges, stones):
    only there does the choice of diagonal change the surface."""
    h, res = field.heights, field.resolution
    nrow, ncol = h.shape
    r, c = rng.integers(1, nrow - 1, n), rng.integers(1, ncol - 1, n)
    bent_r, bent_c = np.nonzero(np.abs(h[:-1, :-1] + h[1:, 1:] - h[:-1, 1:] - h[1:, :-1]) > 1e-6)
    if len(bent_r):
        pick = rng.integers(0, len(bent_r), n // 2)
        cells_r = np.concatenate([r[: n - n // 2], bent_r[pick]])
        cells_c = np.concatenate([c[: n - n // 2], bent_c[pick]])
    else:
        cells_r, cells_c = r, c
    ox, oy = field.origin
    samples = np.stack([ox + c * res, oy + r * res], axis=1)
    corners = np.stack([ox + cells_c * res, oy + cells_r * res], axis=1)
    return samples, corners + rng.uniform(0.05, 0.95, (n, 2)) * res


def mujoco_surface(model: mujoco.MjModel, ground: str, xy: np.ndarray) -> np.ndarray:
    """MuJoCo's surface height under each (x, y): a downward ray against the ground geom only."""
    data = mujoco.MjData(model)
    mujoco.mj_forward(model, data)
    gid = model.geom(ground).id
    top = float(model.geom_aabb[gid, 2] + model.geom_pos[gid, 2]) + 10.0
    geomgroup = np.zeros(6, np.uint8)
    geomgroup[model.geom_group[gid]] = 1
    out, hit = np.empty(len(xy)), np.zeros(1, np.int32)
    for k, (x, y) in enumerate(xy):
        dist = mujoco.mj_ray(
            model, data, np.array([x, y, top]), np.array([0.0, 0.0, -1.0]), geomgroup, 1, -1, hit
        )
        out[k] = top - dist if hit[0] == gid else np.nan
    return out


def terrain_readback(entity, model: mujoco.MjModel, ground: str, engine: str, n: int = 256) -> list[str]:
    """Genesis' terrain height against MuJoCo's hfield at samples and between them; one line per kind."""
    field = mujoco_hfield(model, ground)
    if field is None:
        return []
    samples, inside = probe_points(field, np.random.default_rng(0), n)
    lines = []
    for what, xy in (("samples", samples), ("between samples", inside)):
        theirs = np.asarray(entity.get_terrain_height(xy).numpy(), dtype=float).reshape(-1, len(xy))[0]
        ours = mujoco_surface(model, ground, xy)
        err = np.abs(theirs - ours)
        err = np.where(np.isfinite(err), err, np.inf)
        if np.any(err > HEIGHT_TOL):
            k = int(np.argmax(err))
            lines.append(
                f"terrain.height ({what}): max |{engine} - mujoco| = {err[k]:.3g} m at "
                f"x={xy[k, 0]:.3f} y={xy[k, 1]:.3f} ({engine} {theirs[k]:.6g}, mujoco {ours[k]:.6g})"
            )
    return lines
