"""Contract read-back: the second engine's built model and state against MuJoCo's, before any number.

Model read-back compares what each engine actually built (joint names in action order, DOF count,
default pose, kp/kd, link masses, joint limits, effort limits, foot friction). State read-back puts
both engines in the same tilted, moving state and compares what each computes from it (foot
positions by forward kinematics, the observation vector): a quaternion-convention or frame error
that survives a model comparison shows there. Each mismatch is one line; any line refuses.
"""

from __future__ import annotations

import numpy as np

from locoaudit.errors import LocoauditError

TOL = 1e-6  # model parameters
STATE_TOL = 1e-4  # kinematics and observations of the same state [m, rad, m/s]


def mujoco_model_facts(mj_env) -> dict[str, np.ndarray | list]:
    """What MuJoCo simulates in env 0: per actuated joint in action order, per body (with its
    per-env parameters, so that a randomised or disturbed env compares like for like)."""
    built, b = mj_env.built, mj_env.backend
    m, acts = built.model, built.actuators
    joints = m.actuator_trnid[acts, 0]
    return {
        "joint_names": [m.joint(j).name for j in joints],
        "dof_count": np.array([m.nv]),
        "kp": b.param("actuator_gainprm")[0, acts, 0],
        "kd": -b.param("actuator_biasprm")[0, acts, 2],
        "joint_limits": m.jnt_range[joints],
        "effort_limits": np.abs(m.actuator_forcerange[acts]),
        "link_masses": b.param("body_mass")[0, 1:],
        "foot_friction": b.param("geom_friction")[0, built.foot_geoms, 0],
        "joint_damping": b.param("dof_damping")[0, m.jnt_dofadr[joints]],
    }


def genesis_model_facts(backend, built) -> dict[str, np.ndarray | list]:
    """The same facts read from Genesis' built scene (env 0), in MuJoCo's action and body order."""
    robot, maps = backend.robot, backend.maps
    dofs = maps.act_dofs[built.actuators]
    by_dof = {d: j.name for j in robot.joints for d in j.dofs_idx_local}
    lower, upper = (x.numpy()[0] for x in robot.get_dofs_limit(dofs_idx_local=dofs))
    flo, fhi = (x.numpy()[0] for x in robot.get_dofs_force_range(dofs_idx_local=dofs))
    links = maps.body_links[1:]
    masses = np.where(links >= 0, robot.get_links_mass().numpy()[0][np.maximum(links, 0)], np.nan)
    feet = maps.geom_gs[built.foot_geoms]
    solver = backend.scene.sim.rigid_solver
    friction = solver.get_geoms_friction(feet).numpy() * backend.friction_ratio(feet)
    return {
        "joint_names": [by_dof.get(int(d), "?") for d in dofs],
        "dof_count": np.array([robot.n_dofs]),
        "kp": robot.get_dofs_kp(dofs_idx_local=dofs).numpy()[0],
        "kd": robot.get_dofs_kv(dofs_idx_local=dofs).numpy()[0],
        "joint_limits": np.stack([lower, upper], axis=1),
        "effort_limits": np.stack([-flo, fhi], axis=1),
        "link_masses": masses,
        "foot_friction": friction,
        "joint_damping": robot.get_dofs_damping(dofs_idx_local=dofs).numpy()[0],
    }


def compare_facts(ours: dict, theirs: dict, engine: str, names: list[str] | None = None) -> list[str]:
    """One line per differing entry: 'kp[FR_thigh_joint]: genesis 25, mujoco 20'."""
    lines = []
    for key, want in ours.items():
        got = theirs[key]
        if isinstance(want, list):
            lines += [
                f"{key}[{i}]: {engine} {g!r}, mujoco {w!r}"
                for i, (w, g) in enumerate(zip(want, got, strict=True))
                if w != g
            ]
            continue
        want, got = np.asarray(want, dtype=float), np.asarray(got, dtype=float)
        if want.shape != got.shape:
            lines.append(f"{key}: {engine} shape {got.shape}, mujoco {want.shape}")
            continue
        bad = ~np.isclose(got, want, rtol=TOL, atol=TOL)
        for idx in zip(*np.nonzero(bad), strict=True):
            label = names[idx[0]] if names and len(names) == len(want) else str(idx[0])
            where = label + "".join(f",{i}" for i in idx[1:])
            lines.append(f"{key}[{where}]: {engine} {got[idx]:.6g}, mujoco {want[idx]:.6g}")
    return lines


def refuse(lines: list[str], what: str) -> None:
    """Raise with one line per difference when there is any."""
    if lines:
        raise LocoauditError(
            f"{what}: {len(lines)} difference(s), transfer evaluation refused\n  " + "\n  ".join(lines)
        )


def model_readback(gs_env, mj_env, engine: str) -> list[str]:
    """Second engine's built model vs MuJoCo's, env 0 of two envs of the same manifest and seed."""
    names = list(mj_env.built.robot.joints)
    theirs = genesis_model_facts(gs_env.backend, gs_env.built)
    return compare_facts(mujoco_model_facts(mj_env), theirs, engine, names)


def _probe_states(env, rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """n tilted, turning, moving states above the ground with bent joints."""
    m = env.built.model
    qpos = np.tile(m.qpos0, (n, 1))
    qpos[:, 2] = 0.6
    qpos[:, 3:7] = quat_from_euler(rng.uniform(-0.6, 0.6, (n, 3)))
    qpos[:, env.built.qpos_joints] = env.default_joint_pos + rng.uniform(-0.3, 0.3, (n, env.num_actions))
    qvel = rng.normal(size=(n, m.nv))
    return qpos, qvel


def quat_from_euler(rpy: np.ndarray) -> np.ndarray:
    """wxyz quaternions (n, 4) of intrinsic z-y-x rotations given as (roll, pitch, yaw) (n, 3)."""
    half = rpy / 2.0
    cr, cp, cy = np.cos(half).T
    sr, sp, sy = np.sin(half).T
    return np.stack(
        [
            cr * cp * cy + sr * sp * sy,
            sr * cp * cy - cr * sp * sy,
            cr * sp * cy + sr * cp * sy,
            cr * cp * sy - sr * sp * cy,
        ],
        axis=1,
    )


def _link_velocities(model, qpos: np.ndarray, qvel: np.ndarray, bodies: np.ndarray) -> np.ndarray:
    """MuJoCo's world-frame linear velocities (n, B, 3) of body frame origins."""
    import mujoco

    data, out, v6 = mujoco.MjData(model), np.zeros((len(qpos), len(bodies), 3)), np.zeros(6)
    for i in range(len(qpos)):
        data.qpos[:], data.qvel[:] = qpos[i], qvel[i]
        mujoco.mj_forward(model, data)
        for k, b in enumerate(bodies):
            mujoco.mj_objectVelocity(model, data, mujoco.mjtObj.mjOBJ_XBODY, int(b), v6, 0)
            out[i, k] = v6[3:]
    return out


def state_readback(gs_env, mj_env, engine: str, n: int = 4) -> list[str]:
    """Same states in both engines: round trip, forward kinematics, link velocities, observations."""
    ids = np.arange(n)
    qpos, qvel = _probe_states(mj_env, np.random.default_rng(0), n)
    for env in (mj_env, gs_env):
        env.backend.reset(ids, qpos, qvel)
    back = gs_env.backend.read_state(ids)
    built, lines = mj_env.built, []
    lines += _differ("state.qpos", back[0], qpos, engine)
    lines += _differ("state.qvel", back[1], qvel, engine)
    feet = built.foot_geoms
    lines += _differ(
        "kinematics.foot_pos",
        gs_env.backend.geom_positions(ids, feet),
        mj_env.backend.geom_positions(ids, feet),
        engine,
    )
    bodies = built.model.geom_bodyid[feet]
    lines += _differ(
        "kinematics.foot_link_vel",
        gs_env.backend.link_velocities(ids, bodies),
        _link_velocities(built.model, qpos, qvel, bodies),
        engine,
    )
    ours, theirs = mj_env.obs_inputs(), gs_env.obs_inputs()
    for term in ("base_lin_vel", "base_ang_vel", "projected_gravity", "joint_pos", "joint_vel"):
        lines += _differ(f"observation.{term}", getattr(theirs, term)[ids], getattr(ours, term)[ids], engine)
    return lines


def _differ(key: str, got: np.ndarray, want: np.ndarray, engine: str) -> list[str]:
    err = np.abs(np.asarray(got, dtype=float) - np.asarray(want, dtype=float))
    err = np.where(np.isfinite(err), err, np.inf)
    if np.all(err <= STATE_TOL):
        return []
    worst = np.unravel_index(np.argmax(err), err.shape)
    return [f"{key}: max |{engine} - mujoco| = {err[worst]:.3g} at {tuple(int(i) for i in worst)}"]


ACTION_TOL = 1e-5


def policy_readback(deploy, reference, observations: np.ndarray) -> list[str]:
    """The deployment path (contract + ONNX) against the evaluated torch policy on recorded observations."""
    ours = reference({"actor": observations})
    theirs = deploy({"actor": observations})
    err = float(np.max(np.abs(theirs - ours))) if len(observations) else 0.0
    if err <= ACTION_TOL:
        return []
    n = len(observations)
    return [f"policy: max |onnx deployment path - torch policy| = {err:.3g} on {n} recorded observations"]
