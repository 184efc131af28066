"""Compile the simulation model a manifest describes: robot + ground + collision model + sensors."""

from __future__ import annotations

from dataclasses import dataclass

import mujoco
import numpy as np

from locoaudit.manifest.schema import Manifest, RobotSection, SimSection
from locoaudit.robots.adapters import RobotAdapter, get_robot
from locoaudit.terrain import TerrainGrid, add_hfield_to_spec, generate_grid

GROUND = "ground"
CONE = {"pyramidal": mujoco.mjtCone.mjCONE_PYRAMIDAL, "elliptic": mujoco.mjtCone.mjCONE_ELLIPTIC}
INTEGRATOR = {
    "euler": mujoco.mjtIntegrator.mjINT_EULER,
    "implicitfast": mujoco.mjtIntegrator.mjINT_IMPLICITFAST,
    "implicit": mujoco.mjtIntegrator.mjINT_IMPLICIT,
    "rk4": mujoco.mjtIntegrator.mjINT_RK4,
}


@dataclass(frozen=True)
class BuiltModel:
    """A compiled model plus the indices the task reads from it."""

    model: mujoco.MjModel
    robot: RobotAdapter
    grid: TerrainGrid | None  # None for a plane
    qpos_joints: np.ndarray  # (J,) qpos addresses of the actuated joints
    dof_joints: np.ndarray  # (J,) dof addresses
    actuators: np.ndarray  # (J,) actuator ids in action order
    foot_geoms: np.ndarray  # (F,) geom ids
    base_body: int
    sensor_feet: slice  # sensordata slices of the contact sensors
    sensor_undesired: slice
    sensor_termination: slice


def build_spec(
    manifest: Manifest,
) -> tuple[mujoco.MjSpec, RobotAdapter, TerrainGrid | None, tuple[int, int, int]]:
    """The uncompiled model of a manifest (spec, robot, grid, contact sensor counts)."""
    robot = get_robot(manifest.robot.name)
    spec = robot.load_spec()
    _set_options(spec, manifest.sim)
    grid = _add_ground(spec, manifest)
    _set_collisions(spec, robot, manifest.robot)
    _set_foot_solimp(spec, robot, manifest.robot)
    _set_actuators(spec, robot, manifest.robot)
    counts = _add_contact_sensors(spec, robot, manifest.robot)
    return spec, robot, grid, counts


def build_model(manifest: Manifest) -> BuiltModel:
    """Compile the model for a manifest; the manifest is read, never changed."""
    spec, robot, grid, counts = build_spec(manifest)
    return _index(spec.compile(), robot, grid, counts)


def _set_options(spec: mujoco.MjSpec, sim: SimSection) -> None:
    spec.option.timestep = sim.timestep
    spec.option.iterations = sim.iterations
    spec.option.ls_iterations = sim.ls_iterations
    spec.option.cone = CONE[sim.cone]
    spec.option.impratio = sim.impratio
    spec.option.integrator = INTEGRATOR[sim.integrator]


def _add_ground(spec: mujoco.MjSpec, manifest: Manifest) -> TerrainGrid | None:
    t = manifest.terrain
    if t.type == "plane":
        spec.worldbody.add_geom(name=GROUND, type=mujoco.mjtGeom.mjGEOM_PLANE, size=[0, 0, 0.05])
        return None
    grid = generate_grid(
        dict(t.kinds), t.num_rows, t.num_cols, t.tile_size, t.resolution, t.border, t.seed, t.difficulty
    )
    add_hfield_to_spec(spec, grid, name=GROUND)
    return grid


def _contact_bodies(robot: RobotAdapter, cfg: RobotSection) -> set[str]:
    return set(cfg.undesired_contact_bodies) | set(cfg.termination_contact_bodies)


def _set_collisions(spec: mujoco.MjSpec, robot: RobotAdapter, cfg: RobotSection) -> None:
    """Ground collides with everything that may touch it; 'feet_only' drops all other robot contacts."""
    ground = spec.geom(GROUND)
    ground.contype, ground.conaffinity = 0, 1
    if cfg.collision == "all":
        return  # the robot's own collision geometry, as shipped
    keep_bodies = _contact_bodies(robot, cfg)
    for body in spec.bodies:
        for g in body.geoms:
            if g.name == GROUND:
                continue
            collides = g.name in robot.feet or (body.name in keep_bodies and g.contype | g.conaffinity)
            g.contype, g.conaffinity = (1, 0) if collides else (0, 0)
            if g.name in robot.feet:
                g.condim = 3


def _set_foot_solimp(spec: mujoco.MjSpec, robot: RobotAdapter, cfg: RobotSection) -> None:
    """The manifest's foot contact impedance, if it gives one (dmin, dmax, width; midpoint and power kept)."""
    if not cfg.foot_solimp:
        return
    for name in robot.feet:
        geom = spec.geom(name)
        geom.solimp = [*cfg.foot_solimp, *geom.solimp[3:]]


def _set_actuators(spec: mujoco.MjSpec, robot: RobotAdapter, cfg: RobotSection) -> None:
    """PD position servos: force = kp (target - q) - kd qdot, clamped to the robot's force range.

    Passive joint damping, friction and armature come from the manifest too: Menagerie's Go1 ships
    damping 2 N m s/rad (tuned for kp 100), which at legged_gym-style gains (kp 20) leaves the
    legs too sluggish to step.
    """
    for name in robot.joints:
        joint = spec.joint(name)
        joint.damping = [cfg.joint_damping, 0.0, 0.0]  # MuJoCo 4: linear term of the damping polynomial
        joint.frictionloss, joint.armature = cfg.joint_frictionloss, cfg.joint_armature
    for act in spec.actuators:
        act.gainprm[0] = cfg.kp
        act.biasprm[0], act.biasprm[1], act.biasprm[2] = 0.0, -cfg.kp, -cfg.kd
        act.ctrllimited = 0  # targets beyond the joint range are allowed; the joint limits still hold


def _add_contact_sensors(spec: mujoco.MjSpec, robot: RobotAdapter, cfg: RobotSection) -> tuple[int, int, int]:
    """One 'found' contact sensor per foot, undesired body and termination body, against the ground."""
    groups = (
        [(n, mujoco.mjtObj.mjOBJ_GEOM) for n in robot.feet],
        [(n, mujoco.mjtObj.mjOBJ_BODY) for n in cfg.undesired_contact_bodies],
        [(n, mujoco.mjtObj.mjOBJ_BODY) for n in cfg.termination_contact_bodies],
    )
    for group in groups:
        for name, objtype in group:
            spec.add_sensor(
                name=f"contact_{name}",
                type=mujoco.mjtSensor.mjSENS_CONTACT,
                objtype=objtype,
                objname=name,
                reftype=mujoco.mjtObj.mjOBJ_GEOM,
                refname=GROUND,
                intprm=[1, 0, 1],  # data = found, no reduction, one slot
            )
    return tuple(len(g) for g in groups)


def _index(model: mujoco.MjModel, robot: RobotAdapter, grid, counts: tuple[int, int, int]) -> BuiltModel:
    joints = [model.joint(n) for n in robot.joints]
    actuators = [int(np.flatnonzero(model.actuator_trnid[:, 0] == j.id)[0]) for j in joints]
    contact_sensors = [i for i in range(model.nsensor) if model.sensor(i).name.startswith("contact_")]
    start = int(model.sensor_adr[contact_sensors[0]]) if contact_sensors else 0
    nf, nu, nt = counts
    return BuiltModel(
        model=model,
        robot=robot,
        grid=grid,
        qpos_joints=np.array([model.jnt_qposadr[j.id] for j in joints]),
        dof_joints=np.array([model.jnt_dofadr[j.id] for j in joints]),
        actuators=np.array(actuators),
        foot_geoms=np.array([model.geom(n).id for n in robot.feet]),
        base_body=model.body(robot.base_body).id,
        sensor_feet=slice(start, start + nf),
        sensor_undesired=slice(start + nf, start + nf + nu),
        sensor_termination=slice(start + nf + nu, start + nf + nu + nt),
    )
