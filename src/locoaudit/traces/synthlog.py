"""Logs with known answers: episodes simulated with planted parameters, written as real robot logs.

`record` runs scripted joint targets open loop in one env with planted variant parameters, starting
from a standing pose, and samples the state at every physics substep (like LowState) and the targets
at every policy step (like LowCmd). Terminations are off while recording, as on a robot: a fall is
logged, not reset. `write_bag` writes rosbag2 bags (MCAP or sqlite3) of unitree_go/msg/LowState and
LowCmd in the SDK's joint order; `write_csv` writes the CSV layout of traces/logread.py.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

import numpy as np

from locoaudit.manifest import Manifest
from locoaudit.task.env import LocoEnv
from locoaudit.traces import logstate, variants

FOOT_FORCE_IN_CONTACT = 100  # logged foot force [N] while a foot touches the ground
SLOTS = 20  # motor slots of LowState / LowCmd


@dataclass(frozen=True)
class SimLog:
    """State at each substep (n rows) and targets at each policy step (T rows), model joint order."""

    time_ns: np.ndarray  # (n,)
    joint_pos: np.ndarray  # (n, J)
    joint_vel: np.ndarray  # (n, J)
    quat: np.ndarray  # (n, 4) w, x, y, z
    gyro: np.ndarray  # (n, 3) body frame
    foot_force: np.ndarray  # (n, F)
    target_time_ns: np.ndarray  # (T,)
    targets: np.ndarray  # (T, J)
    commands: np.ndarray | None = None  # (T, 3) velocity commands of a closed-loop log


def splits_targets(default: np.ndarray, steps: int, dt: float, splay: float = 0.7) -> np.ndarray:
    """(steps, 12) targets: stand 0.5 s, squat at 3 Hz for 1.5 s, then splay the legs sideways.

    The squat shows payload (sag) and actuator delay (phase lag); the splay slides the feet apart
    on a slippery floor until the belly drops (a failure whose time depends on friction) and
    barely moves them on a grippy one.
    """
    t = np.arange(steps) * dt
    out = np.broadcast_to(default, (steps, 12)).copy().reshape(steps, 4, 3)
    squat = np.where((t >= 0.5) & (t < 2.0), np.sin(2 * np.pi * 3.0 * (t - 0.5)), 0.0)
    out[:, :, 1] += 0.25 * squat[:, None]
    out[:, :, 2] -= 0.5 * squat[:, None]
    ramp = np.clip((t - 2.0) / 1.5, 0.0, 1.0)
    outward = np.array([-1.0, 1.0, -1.0, 1.0])  # FR, FL, RR, RL: right legs to -y, left legs to +y
    out[:, :, 0] += splay * ramp[:, None] * outward[None, :]
    out[:, :, 2] += 0.6 * ramp[:, None]  # straighten the knees: the feet push outward and down
    return out.reshape(steps, 12)


def _recording_manifest(m: Manifest, steps: int) -> Manifest:
    base = logstate.reproduce_manifest(m, steps)
    return dataclasses.replace(
        base, terminations=dataclasses.replace(m.terminations, terms=MappingProxyType({}))
    )


def standing_arrays(env: LocoEnv, targets: np.ndarray, action_scale: float) -> dict[str, np.ndarray]:
    """Log-like start arrays: upright, default pose, at rest."""
    default = np.asarray(env.default_joint_pos)
    return {
        "base_quat": np.array([[1.0, 0.0, 0.0, 0.0]]),
        "base_gyro": np.zeros((1, 3)),
        "joint_pos": default[None],
        "joint_vel": np.zeros((1, len(default))),
        "targets": targets[:1],
        "actions": (targets[:1] - default) / action_scale,
        "commands": np.zeros((1, 3)),
    }


def record(m: Manifest, planted: dict[str, float], targets: np.ndarray) -> SimLog:
    """Simulate the targets open loop with planted variant values (missing ones nominal)."""
    return _record(m, planted, len(targets), lambda t, env: targets[t], targets[0])


def record_closed_loop(m: Manifest, planted: dict[str, float], policy, commands: np.ndarray) -> SimLog:
    """The policy in the loop under commands (T, 3), with noise-free observations as `reproduce` feeds it."""
    scale, clip = m.robot.action_scale, m.robot.action_clip

    def next_target(t: int, env: LocoEnv) -> np.ndarray:
        env.state.last_action[0] = env.state.action[0]
        env.state.command[0] = commands[t]
        env.state.action[0] = np.clip(np.asarray(policy(env.observe())[0], dtype=np.float64), -clip, clip)
        return env.default_joint_pos + scale * env.state.action[0]

    log = _record(m, planted, len(commands), next_target, None)
    return dataclasses.replace(log, commands=np.asarray(commands, dtype=np.float64))


def _record(m: Manifest, planted: dict[str, float], steps: int, next_target, first) -> SimLog:
    """Step one env substep by substep, sampling the state after each; next_target(t, env) per step."""
    env = LocoEnv(_recording_manifest(m, steps), 1, seed=0, threads=1)
    values = {k: np.array([float(planted.get(k, 1.0 if k in NOMINAL_ONE else 0.0))]) for k in variants.PARAMS}
    start = first if first is not None else np.asarray(env.default_joint_pos)
    logstate.start(env, standing_arrays(env, start[None], m.robot.action_scale), values)
    b, built = env.backend, env.built
    dec, sub_ns = m.sim.decimation, round(m.sim.timestep * 1e9)
    rows: dict[str, list] = {k: [] for k in ("q", "dq", "quat", "gyro", "feet")}

    def sample() -> None:
        rows["q"].append(b.qpos[0, built.qpos_joints].copy())
        rows["dq"].append(b.qvel[0, built.dof_joints].copy())
        rows["quat"].append(b.qpos[0, 3:7].copy())
        rows["gyro"].append(b.qvel[0, 3:6].copy())
        rows["feet"].append((b.sensordata[0, built.sensor_feet] > 0) * FOOT_FORCE_IN_CONTACT)

    sample()
    targets, previous = [], None
    for t in range(steps):
        target = np.asarray(next_target(t, env), dtype=np.float64)
        previous = target if previous is None else previous
        control = np.zeros((1, dec, built.model.nu))
        for s in range(dec):
            control[0, s, built.actuators] = previous if s < env.state.delay[0] else target
        for s in range(dec):
            b.step(control[:, s : s + 1])
            sample()
        previous = target
        targets.append(target)
    n = len(rows["q"])
    return SimLog(
        time_ns=np.arange(n, dtype=np.int64) * sub_ns,
        joint_pos=np.array(rows["q"]),
        joint_vel=np.array(rows["dq"]),
        quat=np.array(rows["quat"]),
        gyro=np.array(rows["gyro"]),
        foot_force=np.array(rows["feet"], dtype=np.float64),
        target_time_ns=np.arange(steps, dtype=np.int64) * sub_ns * dec,
        targets=np.array(targets),
    )


NOMINAL_ONE = ("motor_strength", "kp", "kd", "damping")


def _default_msg(store, name: str):
    """A message of type `name` with every field zero (arrays of the declared length)."""
    from rosbags.typesys.base import Nodetype

    _, fields = store.fielddefs[name]
    kwargs = {}
    for fname, (kind, desc) in fields:
        if kind == Nodetype.BASE:
            kwargs[fname] = 0.0 if desc[0].startswith("float") else 0
        elif kind == Nodetype.NAME:
            kwargs[fname] = _default_msg(store, desc)
        else:
            (sub_kind, sub_desc), length = desc
            if sub_kind == Nodetype.BASE:
                kwargs[fname] = np.zeros(length, dtype=np.dtype(sub_desc[0]))
            else:
                kwargs[fname] = [_default_msg(store, sub_desc) for _ in range(length)]
    return store.types[name](**kwargs)


def write_bag(path: Path, log: SimLog, storage: str = "mcap", order: np.ndarray | None = None) -> None:
    """A rosbag2 bag of /lowstate (LowState), /lowcmd (LowCmd) and, with commands, /cmd_vel (Twist).

    Log slot i holds model joint order[i].
    """
    from rosbags.rosbag2 import StoragePlugin, Writer

    from locoaudit.traces.unitree_msgs import typestore

    store = typestore()
    order = np.arange(log.joint_pos.shape[1]) if order is None else order
    plugin = StoragePlugin.MCAP if storage == "mcap" else StoragePlugin.SQLITE3
    state_type, cmd_type = "unitree_go/msg/LowState", "unitree_go/msg/LowCmd"
    messages = [(t, "state", i) for i, t in enumerate(log.time_ns)]
    messages += [(t, "cmd", i) for i, t in enumerate(log.target_time_ns)]
    if log.commands is not None:
        messages += [(t, "twist", i) for i, t in enumerate(log.target_time_ns)]
    messages.sort(key=lambda x: (x[0], x[1] == "state"))
    with Writer(path, version=9, storage_plugin=plugin) as writer:
        state_conn = writer.add_connection("/lowstate", state_type, typestore=store)
        cmd_conn = writer.add_connection("/lowcmd", cmd_type, typestore=store)
        twist_conn = (
            writer.add_connection("/cmd_vel", TWIST, typestore=store) if log.commands is not None else None
        )
        for stamp, kind, i in messages:
            if kind == "state":
                msg, conn, name = _lowstate(store, log, i, order), state_conn, state_type
            elif kind == "cmd":
                msg, conn, name = _lowcmd(store, log, i, order), cmd_conn, cmd_type
            else:
                msg, conn, name = _twist(store, log.commands[i]), twist_conn, TWIST
            writer.write(conn, int(stamp), store.serialize_cdr(msg, name))


TWIST = "geometry_msgs/msg/Twist"


def _twist(store, command: np.ndarray):
    vector = store.types["geometry_msgs/msg/Vector3"]
    linear, angular = (
        vector(x=float(command[0]), y=float(command[1]), z=0.0),
        vector(x=0.0, y=0.0, z=float(command[2])),
    )
    return store.types[TWIST](linear=linear, angular=angular)


def _lowstate(store, log: SimLog, i: int, order: np.ndarray):
    msg = _default_msg(store, "unitree_go/msg/LowState")
    for slot, joint in enumerate(order):
        motor = msg.motor_state[slot]
        motor.q, motor.dq = float(log.joint_pos[i, joint]), float(log.joint_vel[i, joint])
    msg.imu_state.quaternion[:] = log.quat[i]
    msg.imu_state.gyroscope[:] = log.gyro[i]
    msg.foot_force[:] = log.foot_force[i]
    msg.tick = i
    return msg


def _lowcmd(store, log: SimLog, i: int, order: np.ndarray):
    msg = _default_msg(store, "unitree_go/msg/LowCmd")
    for slot, joint in enumerate(order):
        msg.motor_cmd[slot].q = float(log.targets[i, joint])
    return msg


def write_csv(path: Path, log: SimLog) -> None:
    """The documented CSV layout; targets are held between policy steps (one row per substep)."""
    j, f = log.joint_pos.shape[1], log.foot_force.shape[1]
    held = log.targets[np.searchsorted(log.target_time_ns, log.time_ns, side="right") - 1]
    header = (
        ["t"]
        + [f"q_{i}" for i in range(j)]
        + [f"dq_{i}" for i in range(j)]
        + [f"target_{i}" for i in range(j)]
    )
    header += ["quat_w", "quat_x", "quat_y", "quat_z", "gyro_x", "gyro_y", "gyro_z"]
    header += [f"foot_force_{i}" for i in range(f)]
    columns = [log.time_ns / 1e9, log.joint_pos, log.joint_vel, held, log.quat, log.gyro, log.foot_force]
    if log.commands is not None:
        header += ["cmd_vx", "cmd_vy", "cmd_wz"]
        columns.append(log.commands[np.searchsorted(log.target_time_ns, log.time_ns, side="right") - 1])
    table = np.column_stack(columns)
    np.savetxt(path, table, delimiter=",", header=",".join(header), comments="", fmt="%.17g")
