"""Genesis on the CPU: a second, independent physics engine behind the Backend protocol.

Genesis (genesis-world) has its own rigid-body dynamics, collision detection and constraint
solver; it loads the same MJCF that MuJoCo compiles (robot only: the ground, plane or heightfield,
is rebuilt as a Genesis entity from the compiled MuJoCo model, see genesis_terrain.py).
State is exposed in MuJoCo's layout (qpos: base position, wxyz quaternion, joints; qvel: world
linear velocity, base-frame angular velocity, joints) so that the task code is unchanged; Genesis
uses the same conventions for a free joint (checked by the state read-back), in its own order.

Known differences handled here (measured, see DESIGN.md): Genesis ignores MJCF <option> (dt,
iterations, cone are passed explicitly), keyframes (reset sets qpos), and geom priority (a
contact's friction is the max of the pair, so the ground gets the lowest friction Genesis
allows and the robot's geoms carry the friction); its default constraint time constant is
0.01 s where MuJoCo's is 0.02 s (set to 0.02 s).
"""

from __future__ import annotations

import mujoco
import numpy as np

from locoaudit.errors import LocoauditError
from locoaudit.sim.genesis_maps import index_maps
from locoaudit.sim.genesis_terrain import ground_entity

GROUND_FRICTION = 0.01  # Genesis' lower bound; the pair uses max(robot, ground)
TIMECONST = 0.02  # MuJoCo's default solref time constant [s]


def genesis_version() -> str:
    """Installed genesis-world version; a clear error when it is missing."""
    from importlib import metadata

    try:
        return metadata.version("genesis-world")
    except metadata.PackageNotFoundError:
        raise LocoauditError(
            "the second simulator needs genesis-world (see README: pip install --no-deps genesis-world)"
        ) from None


_INITIALISED = False


def init_genesis() -> None:
    """gs.init once per process: CPU backend, double precision, errors only, fixed seed."""
    global _INITIALISED
    import genesis as gs

    if not _INITIALISED:
        gs.init(backend=gs.cpu, precision="64", logging_level="error", seed=0)
        _INITIALISED = True


def _quat_rotate(q: np.ndarray, v: np.ndarray, inverse: bool = False) -> np.ndarray:
    """Rotate vectors v (..., 3) by wxyz quaternions q (..., 4) (or by their inverse)."""
    w, xyz = q[..., :1], q[..., 1:]
    if inverse:
        xyz = -xyz
    t = 2.0 * np.cross(xyz, v)
    return v + w * t + np.cross(xyz, t)


class GenesisBackend:
    """N copies of the robot in one Genesis scene on the CPU, seen through MuJoCo's state layout."""

    def __init__(
        self, model: mujoco.MjModel, robot_xml: str, sim, num_envs: int, contact_sensors, ground: str
    ):
        import genesis as gs

        init_genesis()
        self.model, self.num_envs = model, num_envs
        integrator = gs.integrator.Euler if sim.integrator == "euler" else gs.integrator.implicitfast
        cone = gs.friction_cone.elliptic if sim.cone == "elliptic" else gs.friction_cone.pyramidal
        self.scene = gs.Scene(
            sim_options=gs.options.SimOptions(dt=sim.timestep, substeps=1),
            rigid_options=gs.options.RigidOptions(
                dt=sim.timestep,
                iterations=sim.iterations,
                ls_iterations=sim.ls_iterations,
                friction_cone=cone,
                integrator=integrator,
                constraint_timeconst=TIMECONST,
                batch_links_info=True,
                batch_dofs_info=True,
            ),
            show_viewer=False,
        )
        self.ground = ground_entity(self.scene, model, ground, GROUND_FRICTION)
        self.robot = self.scene.add_entity(gs.morphs.MJCF(file=robot_xml))
        self.scene.build(n_envs=num_envs)
        self.maps = index_maps(model, self.robot)
        self._sensors = contact_sensors  # [(sensordata index, 'geom'|'body', MuJoCo id)]
        self.qpos = np.tile(model.qpos0, (num_envs, 1))
        self.qvel = np.zeros((num_envs, model.nv))
        self.qacc = np.zeros((num_envs, model.nv))
        self.actuator_force = np.zeros((num_envs, model.nu))
        self.sensordata = np.zeros((num_envs, model.nsensordata))
        self._params = {
            "geom_friction": np.tile(model.geom_friction, (num_envs, 1, 1)),
            "body_mass": np.tile(model.body_mass, (num_envs, 1)),
            "body_ipos": np.tile(model.body_ipos, (num_envs, 1, 1)),
            "actuator_gainprm": np.tile(model.actuator_gainprm, (num_envs, 1, 1)),
            "actuator_biasprm": np.tile(model.actuator_biasprm, (num_envs, 1, 1)),
            "dof_damping": np.tile(model.dof_damping, (num_envs, 1)),
        }
        self._nominal_friction = self._geoms_friction()
        self._written = np.concatenate([self.qpos, self.qvel], axis=1)
        self._push(np.arange(num_envs))

    # ------------------------------------------------------------ state I/O
    def _to_genesis(self, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """MuJoCo-layout rows -> Genesis qpos and dof velocities (same conventions, other order)."""
        m = self.maps
        q = np.empty((len(ids), self.robot.n_qs))
        q[:, m.q_gs] = self.qpos[ids]
        v = np.empty((len(ids), self.robot.n_dofs))
        v[:, m.v_gs] = self.qvel[ids]
        return q, v

    def _push(self, ids: np.ndarray) -> None:
        """Write the state rows `ids` into Genesis."""
        if len(ids) == 0:
            return
        q, v = self._to_genesis(ids)
        self.robot.set_qpos(q, envs_idx=ids, zero_velocity=False)
        self.robot.set_dofs_velocity(v, envs_idx=ids)
        self._written[ids] = np.concatenate([self.qpos[ids], self.qvel[ids]], axis=1)

    def _push_changed(self) -> None:
        """Rows the task wrote since the last read (resets, pushes) go to Genesis before stepping."""
        now = np.concatenate([self.qpos, self.qvel], axis=1)
        changed = np.flatnonzero(~(now == self._written).all(axis=1))
        self._push(changed)

    def _pull(self) -> None:
        m = self.maps
        q = self.robot.get_qpos().numpy()
        v = self.robot.get_dofs_velocity().numpy()
        self.qpos[:] = q[:, m.q_gs]
        self.qvel[:] = v[:, m.v_gs]
        self._written = np.concatenate([self.qpos, self.qvel], axis=1)

    # ------------------------------------------------------------- stepping
    def step(self, control: np.ndarray) -> np.ndarray:
        """Advance all envs by control.shape[1] substeps of Genesis PD position control."""
        self._push_changed()
        dofs = self.maps.act_dofs
        for k in range(control.shape[1]):
            self.robot.control_dofs_position(control[:, k], dofs_idx_local=dofs)
            self.scene.step()
        self._pull()
        force = self.robot.get_dofs_control_force(dofs_idx_local=dofs).numpy()
        self.actuator_force[:] = force
        self._read_contacts()
        return ~np.isfinite(self.qpos).all(axis=1) | ~np.isfinite(self.qvel).all(axis=1)

    def _read_contacts(self) -> None:
        c = self.robot.get_contacts(with_entity=self.ground, is_padded=True)
        valid = c["valid_mask"].numpy()
        geoms = np.where(valid, np.maximum(c["geom_a"].numpy(), c["geom_b"].numpy()), -1)
        links = np.where(valid, np.maximum(c["link_a"].numpy(), c["link_b"].numpy()), -1)
        m = self.maps
        for slot, kind, mj_id in self._sensors:
            if kind == "geom":
                self.sensordata[:, slot] = (geoms == m.geom_gs[mj_id]).any(axis=1)
            else:
                link = self.robot.link_start + m.body_links[mj_id]
                self.sensordata[:, slot] = (links == link).any(axis=1)

    # ------------------------------------------------------------ protocol
    def reset(self, ids: np.ndarray, qpos: np.ndarray, qvel: np.ndarray) -> None:
        if len(ids) == 0:
            return
        self.qpos[ids], self.qvel[ids] = qpos, qvel
        self._push(ids)

    def geom_positions(self, ids: np.ndarray, geoms: np.ndarray) -> np.ndarray:
        """World positions (n, G, 3) of geoms at the current qpos (Genesis forward kinematics)."""
        self._push_changed()
        return self._geom_xpos(geoms)[ids]

    def _geom_xpos(self, geoms: np.ndarray) -> np.ndarray:
        links = self.maps.body_links[self.model.geom_bodyid[geoms]]
        pos = self.robot.get_links_pos(links_idx_local=links).numpy()
        quat = self.robot.get_links_quat(links_idx_local=links).numpy()
        return pos + _quat_rotate(quat, np.broadcast_to(self.model.geom_pos[geoms], pos.shape))

    def feet_xy(self, geoms: np.ndarray) -> np.ndarray:
        return self._geom_xpos(geoms)[:, :, :2]

    def set_params(self, ids: np.ndarray, params: dict[str, np.ndarray]) -> None:
        """Per-env model fields in MuJoCo's layout, written to Genesis' per-env link and dof data."""
        for name, values in params.items():
            self._params[name][ids] = values
        m, p = self.maps, self._params
        links = np.flatnonzero(m.body_links >= 0)
        dofs = m.act_dofs
        if "body_mass" in params:
            self.robot.set_links_mass(p["body_mass"][ids][:, links], m.body_links[links], envs_idx=ids)
        if "body_ipos" in params:
            self.robot.set_links_COM(p["body_ipos"][ids][:, links], m.body_links[links], envs_idx=ids)
        if "actuator_gainprm" in params:
            self.robot.set_dofs_kp(p["actuator_gainprm"][ids][:, :, 0], dofs, envs_idx=ids)
        if "actuator_biasprm" in params:
            self.robot.set_dofs_kv(-p["actuator_biasprm"][ids][:, :, 2], dofs, envs_idx=ids)
        if "dof_damping" in params:
            mj_dofs = np.flatnonzero(m.v_gs >= 0)
            self.robot.set_dofs_damping(p["dof_damping"][ids][:, mj_dofs], m.v_gs[mj_dofs], envs_idx=ids)
        if "geom_friction" in params:
            geoms = np.flatnonzero(m.geom_gs >= 0)
            ratio = p["geom_friction"][ids][:, geoms, 0] / self._nominal_friction[geoms]
            self.scene.sim.rigid_solver.set_geoms_friction_ratio(ratio, m.geom_gs[geoms], envs_idx=ids)

    def _geoms_friction(self) -> np.ndarray:
        """(ngeom,) Genesis' own friction of each mapped MuJoCo geom (nan where unmapped)."""
        out = np.full(self.model.ngeom, np.nan)
        solver = self.scene.sim.rigid_solver
        mapped = np.flatnonzero(self.maps.geom_gs >= 0)
        out[mapped] = solver.get_geoms_friction(self.maps.geom_gs[mapped]).numpy()
        return out

    def param(self, name: str) -> np.ndarray:
        return self._params[name]

    def get_state(self, ids: np.ndarray) -> np.ndarray:
        """qpos and qvel rows in MuJoCo's layout (Genesis keeps no solver warm start across calls)."""
        return np.concatenate([self.qpos[ids], self.qvel[ids]], axis=1)

    def set_state(self, ids: np.ndarray, state: np.ndarray) -> None:
        nq = self.model.nq
        self.reset(ids, state[:, :nq], state[:, nq:])

    # ------------------------------------------------------------ read-back
    def read_state(self, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(qpos, qvel) rows of envs `ids` read from Genesis now, in MuJoCo's layout."""
        self._push_changed()
        self._pull()
        return self.qpos[ids].copy(), self.qvel[ids].copy()

    def link_velocities(self, ids: np.ndarray, bodies: np.ndarray) -> np.ndarray:
        """World linear velocities (n, B, 3) of the frame origins of MuJoCo bodies, computed by Genesis."""
        self._push_changed()
        links = self.maps.body_links[bodies]
        return self.robot.get_links_vel(links_idx_local=links).numpy()[ids]

    def friction_ratio(self, geoms_gs: np.ndarray) -> np.ndarray:
        """Genesis' per-env friction ratio of global geoms, env 0."""
        solver = self.scene.sim.rigid_solver
        return solver.get_geoms_friction_ratio(geoms_gs, envs_idx=[0]).numpy()[0]
