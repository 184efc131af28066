"""The built-in quadruped, the Menagerie Go1 adapter and the manifest's collision model."""

import dataclasses
import os

import mujoco
import numpy as np
import pytest

from locoaudit.errors import LocoauditError
from locoaudit.manifest import load_manifest
from locoaudit.robots import ROBOTS, build_model, get_robot


def test_builtin_quadruped_is_go1_class():
    model = mujoco.MjSpec.from_string(ROBOTS["quadruped"].load_spec().to_xml()).compile()
    assert model.nu == 12 and model.nq == 19
    assert 12.0 < model.body_mass.sum() < 13.5
    knee = model.joint("FR_calf_joint")
    np.testing.assert_allclose(model.jnt_range[knee.id], [-2.818, -0.888])
    np.testing.assert_allclose(model.actuator("FR_calf").forcerange, [-35.55, 35.55])


def test_menagerie_go1_loads_through_mujoco_menagerie():
    assert os.environ.get("MENAGERIE_ROOT"), "conftest points MENAGERIE_ROOT at ../shared/menagerie"
    built = build_model(load_manifest("go1_flat"))
    assert built.model.nu == 12
    assert built.robot.source.startswith("mujoco_menagerie")
    assert [built.model.joint(int(j)).name for j in built.model.actuator_trnid[built.actuators, 0]] == list(
        ROBOTS["unitree_go1"].joints
    )


@pytest.mark.parametrize("name", ["quadruped_flat", "go1_flat"])
def test_feet_only_collision_model(name):
    manifest = load_manifest(name)
    built = build_model(manifest)
    m = built.model
    colliding = {
        m.geom(i).name or f"#{i}" for i in range(m.ngeom) if m.geom_contype[i] or m.geom_conaffinity[i]
    }
    feet = set(built.robot.feet)
    assert feet <= colliding
    allowed_bodies = set(manifest.robot.undesired_contact_bodies) | set(
        manifest.robot.termination_contact_bodies
    )
    for i in range(m.ngeom):
        if (m.geom_contype[i] or m.geom_conaffinity[i]) and m.geom(i).name not in feet | {"ground"}:
            assert m.body(m.geom_bodyid[i]).name in allowed_bodies


def test_all_collision_model_keeps_robot_geometry():
    manifest = load_manifest("quadruped_flat")
    manifest = dataclasses.replace(manifest, robot=dataclasses.replace(manifest.robot, collision="all"))
    m = build_model(manifest).model
    assert m.geom_contype[m.geom("FR_calf_geom").id] == 1


def test_pd_gains_come_from_the_manifest():
    manifest = load_manifest("quadruped_flat")
    m = build_model(manifest).model
    np.testing.assert_allclose(m.actuator_gainprm[:, 0], manifest.robot.kp)
    np.testing.assert_allclose(m.actuator_biasprm[:, 1:3], [[-manifest.robot.kp, -manifest.robot.kd]] * 12)


@pytest.mark.parametrize("collision", ["feet_only", "all"])
def test_foot_solimp_from_the_manifest_else_as_the_robot_ships(collision):
    go1 = load_manifest("go1_flat")
    shipped = dataclasses.replace(go1.robot, foot_solimp=(), collision=collision)
    feet = list(ROBOTS["unitree_go1"].feet)
    m = build_model(dataclasses.replace(go1, robot=shipped)).model
    np.testing.assert_allclose(m.geom_solimp[[m.geom(f).id for f in feet]], [[0.015, 1, 0.031, 0.5, 2]] * 4)
    stiff = dataclasses.replace(shipped, foot_solimp=(0.8, 0.9, 0.002))
    m = build_model(dataclasses.replace(go1, robot=stiff)).model
    np.testing.assert_allclose(m.geom_solimp[[m.geom(f).id for f in feet]], [[0.8, 0.9, 0.002, 0.5, 2]] * 4)
    others = np.array([m.geom(i).name not in feet for i in range(m.ngeom)])
    assert not np.any(np.all(m.geom_solimp[others, :3] == (0.8, 0.9, 0.002), axis=1)), "only the feet change"


def test_unknown_robot_is_a_clear_error():
    with pytest.raises(LocoauditError, match=r"unknown robot 'spot'.*known: quadruped, unitree_go1"):
        get_robot("spot")


def test_grid_terrain_model_has_a_heightfield():
    built = build_model(load_manifest("go1_rough"))
    assert built.grid is not None and built.model.nhfield == 1


def test_offline_menagerie_default_is_set_only_when_unset_and_present(tmp_path, monkeypatch):
    from locoaudit.robots.adapters import use_offline_menagerie

    checkout = tmp_path / "repo"
    checkout.mkdir()
    monkeypatch.delenv("MENAGERIE_ROOT", raising=False)
    assert use_offline_menagerie(checkout) is None  # no ../shared/menagerie: download as usual
    (tmp_path / "shared" / "menagerie").mkdir(parents=True)
    assert use_offline_menagerie(checkout) == str(tmp_path / "shared" / "menagerie")
    monkeypatch.setenv("MENAGERIE_ROOT", "/elsewhere")
    assert use_offline_menagerie(checkout) == "/elsewhere"
