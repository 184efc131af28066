"""Read a robot log into time-stamped streams: rosbag2 bags (MCAP or sqlite3) via `rosbags`, or CSV.

A stream is one topic (or the CSV file): integer nanosecond timestamps and, per role, an (n, k) array.
Roles: state -> joint_pos, joint_vel, quaternion, gyro, foot_force; targets -> targets;
commands -> command. Values are as logged (log slot order, log units); `hardware.py` maps them.

CSV layout (one header row, comma separated, one row per sample, all streams share the row time):
  t                          time [s], strictly increasing
  q_0 .. q_{S-1}             joint positions per log slot
  dq_0 .. dq_{S-1}           joint velocities per log slot
  target_0 .. target_{S-1}   joint position targets sent in this row
  quat_w, quat_x, quat_y, quat_z    base orientation
  gyro_x, gyro_y, gyro_z     base angular velocity, body frame
  foot_force_0 .. foot_force_{F-1}  per foot slot
  cmd_vx, cmd_vy, cmd_wz     optional velocity command
"""

from __future__ import annotations

import csv
import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from locoaudit.errors import LocoauditError
from locoaudit.traces.mapping import LogMapping


@dataclass(frozen=True)
class Stream:
    role: str  # 'state', 'targets' or 'commands'
    topic: str
    msgtype: str
    time_ns: np.ndarray  # (n,) int64
    values: dict[str, np.ndarray]  # name -> (n, k) float64


def log_sha256(path: Path) -> str:
    """sha256 of a log file, or of a bag directory (sorted relative names and file contents)."""
    digest = hashlib.sha256()
    files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    for file in files:
        if path.is_dir():
            digest.update(str(file.relative_to(path)).encode() + b"\0")
        with open(file, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()


def read_log(path: Path, m: LogMapping) -> dict[str, Stream]:
    """Streams by role ('commands' only when the mapping names a command source)."""
    if not path.exists():
        raise LocoauditError(f"{path}: log not found")
    return read_csv(path, m) if m.format == "csv" else read_bag(path, m)


# ------------------------------------------------------------------ rosbag2
def _wanted(m: LogMapping) -> list[tuple[str, str, str, dict[str, str]]]:
    s = m.state
    out = [
        (
            "state",
            s.topic,
            s.type,
            {k: getattr(s, k) for k in ("joint_pos", "joint_vel", "quaternion", "gyro", "foot_force")},
        ),
        ("targets", m.targets.topic, m.targets.type, {"targets": m.targets.field}),
    ]
    if m.commands.topic:
        fields = {f"command{i}": f for i, f in enumerate(m.commands.fields)}
        out.append(("commands", m.commands.topic, m.commands.type, fields))
    return out


def read_bag(path: Path, m: LogMapping) -> dict[str, Stream]:
    from rosbags.rosbag2 import Reader
    from rosbags.rosbag2.errors import ReaderError

    from locoaudit.traces.unitree_msgs import typestore

    store = typestore()
    try:
        with Reader(path) as reader:
            conns = {c.topic: c for c in reader.connections}
            streams = {}
            for role, topic, msgtype, fields in _wanted(m):
                conn = _connection(path, conns, topic, msgtype, store)
                streams[role] = _read_topic(path, reader, conn, store, role, fields)
            return streams
    except ReaderError as exc:
        raise LocoauditError(f"{path}: not a readable rosbag2 bag: {exc}") from None


def _connection(path: Path, conns: dict, topic: str, msgtype: str, store):
    if topic not in conns:
        raise LocoauditError(
            f"{path}: missing topic {topic} (the log has: {', '.join(sorted(conns)) or 'none'})"
        )
    conn = conns[topic]
    if conn.msgtype not in store.fielddefs:
        raise LocoauditError(f"{path}: topic {topic}: unknown message type {conn.msgtype}")
    if conn.msgtype != msgtype:
        raise LocoauditError(
            f"{path}: topic {topic}: message type {conn.msgtype}, the mapping expects {msgtype}"
        )
    return conn


def _read_topic(path: Path, reader, conn, store, role: str, fields: dict[str, str]) -> Stream:
    from rosbags.serde import SerdeError

    times, rows = [], {k: [] for k in fields}
    for _, stamp, raw in reader.messages(connections=[conn]):
        try:
            msg = store.deserialize_cdr(raw, conn.msgtype)
        except SerdeError as exc:
            raise LocoauditError(f"{path}: topic {conn.topic}: message {len(times)}: {exc}") from None
        times.append(stamp)
        for key, fpath in fields.items():
            rows[key].append(extract(msg, fpath, f"{path}: topic {conn.topic}"))
    if not times:
        raise LocoauditError(f"{path}: topic {conn.topic} has no messages")
    values = {k: _stack(v, f"{path}: topic {conn.topic}: field {fields[k]}") for k, v in rows.items()}
    if role == "commands":
        values = {"command": np.concatenate([values[f"command{i}"] for i in range(3)], axis=1)}
    return Stream(role, conn.topic, conn.msgtype, np.asarray(times, dtype=np.int64), values)


def extract(msg: object, fpath: str, where: str) -> np.ndarray:
    """Values of a dotted field path as a flat float array; a path through a message array maps over it."""
    obj = msg
    for part in fpath.split("."):
        items = obj if isinstance(obj, (list, tuple)) else None
        try:
            obj = [getattr(o, part) for o in items] if items is not None else getattr(obj, part)
        except AttributeError:
            raise LocoauditError(f"{where}: message has no field {fpath!r}") from None
    try:
        return np.asarray(obj, dtype=np.float64).ravel()
    except (TypeError, ValueError):
        raise LocoauditError(f"{where}: field {fpath!r} is not numeric") from None


def _stack(rows: list[np.ndarray], where: str) -> np.ndarray:
    sizes = {len(r) for r in rows}
    if len(sizes) != 1:
        raise LocoauditError(f"{where}: the number of values changes between messages ({sorted(sizes)})")
    return np.stack(rows)


# ---------------------------------------------------------------------- CSV
def read_csv(path: Path, m: LogMapping) -> dict[str, Stream]:
    header, data = _csv_table(path)
    col = {name: i for i, name in enumerate(header)}

    def group(prefix: str, names: list[str] | None = None) -> np.ndarray:
        if names is None:  # numbered columns prefix0, prefix1, ... without gaps
            found = sorted(s for h in header if (s := _slot(h, prefix)) is not None)
            if found != list(range(len(found))):
                raise LocoauditError(f"{path}: columns {prefix}0.. are not numbered without gaps")
            names = [f"{prefix}{i}" for i in found]
        missing = [n for n in names if n not in col]
        if not names or missing:
            raise LocoauditError(f"{path}: missing column {(missing or [prefix + '0'])[0]}")
        return data[:, [col[n] for n in names]]

    time_ns = np.round(group("t", ["t"])[:, 0] * 1e9).astype(np.int64)
    state = {
        "joint_pos": group("q_"),
        "joint_vel": group("dq_"),
        "quaternion": group("quat_", [f"quat_{a}" for a in "wxyz"]),
        "gyro": group("gyro_", [f"gyro_{a}" for a in "xyz"]),
        "foot_force": group("foot_force_"),
    }
    streams = {
        "state": Stream("state", "csv", "csv", time_ns, state),
        "targets": Stream("targets", "csv", "csv", time_ns, {"targets": group("target_")}),
    }
    if "cmd_vx" in col:
        command = group("cmd_", ["cmd_vx", "cmd_vy", "cmd_wz"])
        streams["commands"] = Stream("commands", "csv", "csv", time_ns, {"command": command})
    return streams


def _slot(name: str, prefix: str) -> int | None:
    rest = name[len(prefix) :] if name.startswith(prefix) else ""
    return int(rest) if rest.isdigit() else None


def _csv_table(path: Path) -> tuple[list[str], np.ndarray]:
    try:
        with open(path, newline="", encoding="utf-8") as f:
            rows = list(csv.reader(f))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise LocoauditError(f"{path}: unreadable CSV: {exc}") from None
    if len(rows) < 2:
        raise LocoauditError(f"{path}: a CSV log needs a header row and at least one data row")
    header = [h.strip() for h in rows[0]]
    out = np.empty((len(rows) - 1, len(header)))
    for number, row in enumerate(rows[1:], start=2):
        if len(row) != len(header):
            raise LocoauditError(f"{path}:{number}: {len(row)} values for {len(header)} columns")
        try:
            out[number - 2] = [float(v) for v in row]
        except ValueError as exc:
            raise LocoauditError(f"{path}:{number}: {exc}") from None
    return header, out
