"""How the MuJoCo model and the Genesis entity correspond: the robot-only MJCF handed to Genesis, and
index maps (joints, dofs, actuated dofs, links, collision geoms) matched by name."""

from __future__ import annotations

import os
from dataclasses import dataclass

import mujoco
import numpy as np

from locoaudit.errors import LocoauditError


@dataclass(frozen=True)
class _Maps:
    """Index maps between the MuJoCo model (the task's layout) and the Genesis entity."""

    q_gs: np.ndarray  # Genesis qpos index for each MuJoCo qpos index
    v_gs: np.ndarray  # Genesis dof index for each MuJoCo dof index
    act_dofs: np.ndarray  # (nu,) Genesis local dof of each MuJoCo actuator's joint
    body_links: np.ndarray  # (nbody,) Genesis local link of each MuJoCo body (-1: none)
    geom_gs: np.ndarray  # (ngeom,) Genesis global collision geom of each MuJoCo geom (-1: none)


def contact_slots(model: mujoco.MjModel) -> list[tuple[int, str, int]]:
    """(sensordata index, 'geom' or 'body', MuJoCo id) of each contact sensor the task reads."""
    slots = []
    for i in range(model.nsensor):
        if model.sensor_type[i] == mujoco.mjtSensor.mjSENS_CONTACT:
            kind = "geom" if model.sensor_objtype[i] == mujoco.mjtObj.mjOBJ_GEOM else "body"
            slots.append((int(model.sensor_adr[i]), kind, int(model.sensor_objid[i])))
    return slots


def robot_mjcf(spec: mujoco.MjSpec, ground: str) -> str:
    """The robot alone as MJCF: the MuJoCo ground and the contact sensors that refer to it removed.

    Asset folders become absolute (a Menagerie robot's meshes live beside its XML file, and the
    XML string is parsed by Genesis from elsewhere)."""
    if spec.modelfiledir:
        for attr in ("meshdir", "texturedir"):
            folder = getattr(spec, attr)
            if folder and not os.path.isabs(folder):
                setattr(spec, attr, os.path.join(spec.modelfiledir, folder))
    for sensor in list(spec.sensors):
        spec.delete(sensor)
    spec.delete(spec.geom(ground))
    for hfield in list(spec.hfields):
        spec.delete(hfield)
    return spec.to_xml()


def _collides(model: mujoco.MjModel, geom: int) -> bool:
    return bool(model.geom_contype[geom] or model.geom_conaffinity[geom])


def _mujoco_joint(model: mujoco.MjModel, joint) -> int:
    """MuJoCo id of a Genesis joint: by name, or, for a free joint MuJoCo left unnamed (Genesis names
    it after its body, e.g. Menagerie's Go1 'trunk'), the free joint of the body of that name."""
    try:
        return model.joint(joint.name).id
    except KeyError:
        body = model.body(joint.link.name).id
        j = int(model.body_jntadr[body])
        if j < 0 or model.jnt_type[j] != mujoco.mjtJoint.mjJNT_FREE or model.jnt(j).name:
            raise LocoauditError(f"Genesis joint {joint.name!r} has no MuJoCo counterpart") from None
        return j


def index_maps(model: mujoco.MjModel, entity) -> _Maps:
    """Match joints, bodies and collision geoms by name; a missing name is a contract failure."""
    q_gs = np.full(model.nq, -1)
    v_gs = np.full(model.nv, -1)
    for joint in entity.joints:
        if joint.n_dofs == 0:
            continue
        j = _mujoco_joint(model, joint)
        qa, va = model.jnt_qposadr[j], model.jnt_dofadr[j]
        q_gs[qa : qa + len(joint.qs_idx_local)] = joint.qs_idx_local
        v_gs[va : va + len(joint.dofs_idx_local)] = joint.dofs_idx_local
    links = {link.name: link.idx_local for link in entity.links}
    body_links = np.array([links.get(model.body(b).name, -1) for b in range(model.nbody)])
    geom_gs = np.full(model.ngeom, -1)
    # The ground is a separate Genesis entity; Genesis keeps each body's collision geoms in MuJoCo's order.
    for body in range(1, model.nbody):
        ours = [g for g in range(model.ngeom) if model.geom_bodyid[g] == body and _collides(model, g)]
        link = body_links[body]
        theirs = [g.idx for g in entity.links[link].geoms] if link >= 0 else []
        if len(ours) != len(theirs):
            raise LocoauditError(
                f"body {model.body(body).name!r}: {len(theirs)} collision geoms in Genesis, "
                f"{len(ours)} in MuJoCo"
            )
        geom_gs[ours] = theirs
    act_dofs = np.array([v_gs[model.jnt_dofadr[model.actuator_trnid[a, 0]]] for a in range(model.nu)])
    return _Maps(q_gs, v_gs, act_dofs, body_links, geom_gs)
