"""Log mappings: how a robot log's topics, fields, joint order, signs, offsets and units map onto a model.

A mapping is a TOML file validated like a manifest (unknown keys and bad values name the key path)
and hashed (sha256 of its canonical JSON); the hash goes into the provenance of every imported trace.

Log slot i (the i-th value of a joint field, or the CSV column `q_i`) holds model joint
`joints[i]`, and  model value = sign[i] * log value * unit + offset[i]  (unit: 1 for rad, pi/180 for deg).
Foot slot k (foot force, CSV `foot_force_k`) holds model foot `feet[k]`.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass, field

from locoaudit.errors import ManifestError
from locoaudit.manifest.load import read_toml, to_plain
from locoaudit.manifest.schema import spec
from locoaudit.manifest.validate import Context, build

FORMATS = ("ros2", "csv")


@dataclass(frozen=True)
class StateSource:
    topic: str = spec("/lowstate", "ROS 2 topic of the robot state")
    type: str = spec("unitree_go/msg/LowState", "message type of the state topic")
    joint_pos: str = spec("motor_state.q", "field path of joint positions (one value per slot)")
    joint_vel: str = spec("motor_state.dq", "field path of joint velocities")
    quaternion: str = spec(
        "imu_state.quaternion", "field path of the base orientation quaternion (w, x, y, z)"
    )
    gyro: str = spec("imu_state.gyroscope", "field path of the base angular velocity, body frame [rad/s]")
    foot_force: str = spec("foot_force", "field path of per-foot contact forces")


@dataclass(frozen=True)
class TargetSource:
    topic: str = spec("/lowcmd", "ROS 2 topic of the joint targets the controller sent")
    type: str = spec("unitree_go/msg/LowCmd", "message type of the targets topic")
    field: str = spec("motor_cmd.q", "field path of the joint position targets (one value per slot)")


@dataclass(frozen=True)
class CommandSource:
    topic: str = spec("", "ROS 2 topic of velocity commands ('' = none: zero commands)")
    type: str = spec("geometry_msgs/msg/Twist", "message type of the command topic")
    fields: tuple[str, str, str] = spec(
        ("linear.x", "linear.y", "angular.z"), "field paths of (v_x, v_y, yaw rate)", ordered=False
    )


@dataclass(frozen=True)
class LogMapping:
    name: str = spec("mapping", "mapping name")
    description: str = spec("", "free text")
    format: str = spec(
        "ros2", "'ros2' (rosbag2 bag: MCAP or sqlite3) or 'csv' (see traces/csvlog.py)", choices=FORMATS
    )
    joints: tuple[str, ...] = spec((), "model joint held by each log slot, in log order")
    slots: tuple[int, ...] = spec((), "log slot of each entry of `joints` (default 0, 1, 2, ...)", 0, 1023)
    sign: tuple[float, ...] = spec((), "per entry of `joints`: +1 or -1 (default all +1)", -1.0, 1.0)
    offset: tuple[float, ...] = spec(
        (), "per entry of `joints`: added after sign and unit [rad]", -10.0, 10.0
    )
    angle_unit: str = spec("rad", "unit of logged joint angles and targets", choices=("rad", "deg"))
    velocity_unit: str = spec("rad/s", "unit of logged joint velocities and gyro", choices=("rad/s", "deg/s"))
    feet: tuple[str, ...] = spec(("FR", "FL", "RR", "RL"), "model foot held by each foot-force slot")
    contact_threshold: float = spec(20.0, "foot force above which a foot counts as in contact", 0.0, 1e6)
    max_gap_s: float = spec(
        0.05, "largest allowed gap between consecutive samples of a stream [s]", 1e-4, 10.0
    )
    state: StateSource = field(default_factory=StateSource)
    targets: TargetSource = field(default_factory=TargetSource)
    commands: CommandSource = field(default_factory=CommandSource)

    @property
    def angle_scale(self) -> float:
        return 1.0 if self.angle_unit == "rad" else math.pi / 180.0

    @property
    def velocity_scale(self) -> float:
        return 1.0 if self.velocity_unit == "rad/s" else math.pi / 180.0

    def slot_of(self) -> tuple[int, ...]:
        return self.slots or tuple(range(len(self.joints)))

    def signs(self) -> tuple[float, ...]:
        return self.sign or (1.0,) * len(self.joints)

    def offsets(self) -> tuple[float, ...]:
        return self.offset or (0.0,) * len(self.joints)


def load_mapping(path: str) -> LogMapping:
    """Load and validate a mapping TOML file."""
    table, source = read_toml(path, kind="mapping", package="locoaudit.mappings")
    mapping = build(LogMapping, table, "", Context(source, {}, {}))
    _check(mapping, source)
    return mapping


def _check(m: LogMapping, source: str) -> None:
    n = len(m.joints)
    if n == 0:
        raise ManifestError(source, "joints", "name the model joint of every log slot")
    if len(set(m.joints)) != n:
        raise ManifestError(source, "joints", "a model joint is named twice")
    for key in ("slots", "sign", "offset"):
        value = getattr(m, key)
        if value and len(value) != n:
            raise ManifestError(source, key, f"has {len(value)} values for {n} joints")
    if m.sign and any(s not in (-1.0, 1.0) for s in m.sign):
        raise ManifestError(source, "sign", "each sign must be +1 or -1")
    if len(set(m.slot_of())) != n:
        raise ManifestError(source, "slots", "a log slot is used twice")


def check_against_model(m: LogMapping, joints: tuple[str, ...], feet: tuple[str, ...], source: str) -> None:
    """The mapping must name each actuated joint and foot of the model exactly once."""
    if sorted(m.joints) != sorted(joints):
        missing = sorted(set(joints) - set(m.joints))
        extra = sorted(set(m.joints) - set(joints))
        what = f"missing {missing}" if missing else f"not in the model {extra}"
        raise ManifestError(
            source,
            "joints",
            f"joint count mismatch: {len(m.joints)} mapped, model has {len(joints)} ({what})",
        )
    if sorted(m.feet) != sorted(feet):
        raise ManifestError(source, "feet", f"{list(m.feet)} are not the model's feet {list(feet)}")


def mapping_json(m: LogMapping) -> str:
    """Canonical JSON of a mapping (key-sorted, no whitespace)."""
    return json.dumps(to_plain(m), sort_keys=True, separators=(",", ":"), allow_nan=False)


def mapping_hash(m: LogMapping) -> str:
    """sha256 of the mapping's canonical JSON."""
    return hashlib.sha256(mapping_json(m).encode()).hexdigest()
