"""The heightfield handed to Genesis, and the terrain read-back that checks it (no Genesis scene here:
the end-to-end transfer test runs a curbs cell in Genesis through the same read-back)."""

import numpy as np
import pytest

from locoaudit.evaluate.conditions import nominal_manifest, plan_batches
from locoaudit.evaluate.panel import load_panel
from locoaudit.manifest import load_manifest
from locoaudit.robots.build import GROUND, build_model
from locoaudit.sim.genesis_terrain import mujoco_hfield, mujoco_surface, probe_points, terrain_readback


@pytest.fixture(scope="module")
def curbs():
    """The compiled MuJoCo model of heldout_terrain's curbs cell (our generator, seed 501)."""
    panel = load_panel("heldout_terrain")
    manifest = nominal_manifest(load_manifest("quadruped_flat"), panel)
    return build_model(plan_batches(manifest, panel, 2)[0].manifest).model


class FakeTerrain:
    """Answers get_terrain_height from the samples with a chosen diagonal, as a Genesis entity would."""

    def __init__(self, field, main_diagonal: bool, shift: float = 0.0):
        self.field, self.main, self.shift = field, main_diagonal, shift

    def get_terrain_height(self, xy):
        f = self.field
        u = (xy[:, 0] - f.origin[0]) / f.resolution
        v = (xy[:, 1] - f.origin[1]) / f.resolution
        c, r = np.floor(u).astype(int), np.floor(v).astype(int)
        tx, ty = u - c, v - r
        h = f.heights
        z00, z10, z01, z11 = h[r, c], h[r, c + 1], h[r + 1, c], h[r + 1, c + 1]
        if self.main:  # split (-x,-y)-(+x,+y)
            z = np.where(
                tx >= ty, z00 + tx * (z10 - z00) + ty * (z11 - z10), z00 + ty * (z01 - z00) + tx * (z11 - z01)
            )
        else:  # split (+x,-y)-(-x,+y)
            z = np.where(
                tx + ty <= 1,
                z00 + tx * (z10 - z00) + ty * (z01 - z00),
                z11 + (1 - tx) * (z01 - z11) + (1 - ty) * (z10 - z11),
            )
        return _Tensor(z[None] + self.shift)


class _Tensor:
    def __init__(self, a):
        self.a = a

    def numpy(self):
        return self.a


def test_the_samples_are_mujocos_compiled_heights(curbs):
    field = mujoco_hfield(curbs, GROUND)
    samples, _ = probe_points(field, np.random.default_rng(1), 64)
    assert np.ptp(field.heights) > 0.05  # curbs: a real relief, not a plane
    assert np.allclose(
        mujoco_surface(curbs, GROUND, samples),
        FakeTerrain(field, True).get_terrain_height(samples).numpy()[0],
        atol=1e-9,
    )
    heights, pos, quat = field.genesis_pose()
    i, j = 7, 11  # Genesis sample (i, j) after its quarter turn lands on MuJoCo row i, column ncol-1-j
    ncol = field.heights.shape[1]
    x, y = pos[0] - j * field.resolution, pos[1] + i * field.resolution
    assert heights[i, j] == field.heights[i, ncol - 1 - j]
    assert (x, y) == pytest.approx(
        (field.origin[0] + (ncol - 1 - j) * field.resolution, field.origin[1] + i * field.resolution)
    )
    assert quat == pytest.approx((np.sqrt(0.5), 0, 0, np.sqrt(0.5)))


def test_terrain_readback_passes_the_same_surface_and_catches_the_other_diagonal(curbs):
    field = mujoco_hfield(curbs, GROUND)
    assert terrain_readback(FakeTerrain(field, True), curbs, GROUND, "genesis") == []
    wrong = terrain_readback(FakeTerrain(field, False), curbs, GROUND, "genesis")
    assert len(wrong) == 1 and wrong[0].startswith(
        "terrain.height (between samples): max |genesis - mujoco| ="
    )
    shifted = terrain_readback(FakeTerrain(field, True, shift=0.01), curbs, GROUND, "genesis")
    assert [line.split(":")[0] for line in shifted] == [
        "terrain.height (samples)",
        "terrain.height (between samples)",
    ]


def test_a_plane_has_no_heightfield():
    manifest = load_manifest("quadruped_flat")
    assert mujoco_hfield(build_model(manifest).model, GROUND) is None
