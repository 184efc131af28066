"""`locoaudit import`: a robot log -> a hardware trace (`locoaudit-trace/1`, source = "hardware").

The log's streams are checked (timestamps strictly increasing and without gaps, finite values,
enough joint slots, values possible in the stated units), mapped onto the model (joint order,
signs, offsets, units) and resampled to the manifest's policy rate on the grid t_k = t0 + k dt:
states by linear interpolation (quaternions normalised), joint targets and commands held from
their last message (zero-order hold, as a controller applies them). Everything is checked before
the trace is written, atomically, so a bad log leaves no file.

Arrays of a hardware trace (T policy steps, J joints in model order, F feet):
  time (T+1,) s from t0; joint_pos, joint_vel (T+1, J) rad, rad/s; base_quat (T+1, 4) w, x, y, z;
  base_gyro (T+1, 3) rad/s body frame; foot_contact (T+1, F) bool; row k is the state at t_k,
  before step k.  targets (T, J) rad held during step k; commands (T, 3); actions (T, J) float32
  = (targets - default pose) / action_scale, the actions that command those targets.
Header: source, steps, dt, reason (the manifest's termination that the log first meets, judged as
traces/logfailure.py says, else 'time_out'), failure_step (the step after which the log first
fails; -1 without a failure), eval_manifest (+ hash), run_id, provenance
(log name and sha256, storage, topics with types and message counts, time span, mapping + hash).
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np

from locoaudit.errors import LocoauditError
from locoaudit.manifest import Manifest, canonical_json, manifest_hash, to_plain
from locoaudit.robots.build import build_model
from locoaudit.traces.format import write_trace
from locoaudit.traces.logfailure import failure
from locoaudit.traces.logread import Stream, log_sha256, read_log
from locoaudit.traces.mapping import LogMapping, check_against_model, load_mapping, mapping_hash

JOINT_RANGE_MARGIN = 0.5  # rad a logged joint angle may lie outside the model's joint range
TARGET_RANGE_MARGIN = 1.5  # rad for joint targets (PD targets may overshoot the range)
MAX_JOINT_SPEED = 100.0  # rad/s
MAX_GYRO = 50.0  # rad/s


def import_log(
    log: Path, mapping_path: str, manifest: Manifest, out: Path, run_id: str | None = None
) -> dict:
    """Check, map and resample a log; write the trace to `out`; return its header."""
    m = load_mapping(mapping_path)
    built = build_model(manifest)
    check_against_model(m, built.robot.joints, built.robot.feet, mapping_path)
    streams = read_log(log, m)
    for s in streams.values():
        check_stream(log, s, None if s.role == "commands" else m.max_gap_s)
    mapped = map_streams(log, streams, m, built)
    arrays, t0 = resample(streams, mapped, manifest.policy_dt, log, m.contact_threshold)
    step_count = len(arrays["targets"])
    default = np.asarray(built.robot.default_joint_pos)
    arrays["actions"] = ((arrays["targets"] - default) / manifest.robot.action_scale).astype(np.float32)
    fail, kind = failure(arrays, manifest, built)
    header = {
        "source": "hardware",
        "run_id": run_id,
        "steps": step_count,
        "dt": manifest.policy_dt,
        "reason": kind or "time_out",
        "failure_step": fail,
        "eval_manifest": json.loads(canonical_json(manifest)),
        "eval_manifest_hash": manifest_hash(manifest),
        "training_manifest_hash": manifest_hash(manifest),
        "provenance": _provenance(log, m, streams, t0, step_count * manifest.policy_dt),
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }
    write_trace(out, header, arrays)
    return header


def _provenance(log: Path, m: LogMapping, streams: dict[str, Stream], t0: int, span_s: float) -> dict:
    return {
        "log": log.name,
        "log_sha256": log_sha256(log),
        "storage": "csv" if m.format == "csv" else _storage(log),
        "topics": {
            role: {"topic": s.topic, "type": s.msgtype, "messages": len(s.time_ns)}
            for role, s in streams.items()
        },
        "time_span_ns": [int(t0), int(t0 + round(span_s * 1e9))],
        "mapping": to_plain(m),
        "mapping_hash": mapping_hash(m),
    }


def _storage(log: Path) -> str:
    files = [log] if log.is_file() else list(log.iterdir())
    suffixes = {p.suffix for p in files}
    return "mcap" if ".mcap" in suffixes else "sqlite3" if ".db3" in suffixes else "unknown"


# ------------------------------------------------------------------ checks
def check_stream(log: Path, s: Stream, max_gap_s: float | None) -> None:
    """Strictly increasing timestamps, no gap above max_gap_s, finite values; errors say where."""
    t = s.time_ns
    rel = (t - t[0]) / 1e9
    step = np.diff(t)
    back = np.flatnonzero(step <= 0)
    if len(back):
        i = int(back[0]) + 1
        raise LocoauditError(
            f"{log}: topic {s.topic}: timestamps not increasing at message {i} "
            f"(t = {rel[i]:.4f} s after {rel[i - 1]:.4f} s)"
        )
    if max_gap_s is not None:
        gaps = np.flatnonzero(step > max_gap_s * 1e9)
        if len(gaps):
            i = int(gaps[0])
            raise LocoauditError(
                f"{log}: topic {s.topic}: gap of {step[i] / 1e9:.4f} s between messages {i} and {i + 1} "
                f"(t = {rel[i]:.4f} s; max_gap_s = {max_gap_s:g})"
            )
    for name, v in s.values.items():
        bad = np.flatnonzero(~np.isfinite(v).all(axis=1))
        if len(bad):
            i = int(bad[0])
            raise LocoauditError(
                f"{log}: topic {s.topic}: {name} is NaN or infinite at message {i} (t = {rel[i]:.4f} s)"
            )


def _need(log: Path, s: Stream, name: str, width: int, what: str) -> np.ndarray:
    v = s.values[name]
    if v.shape[1] < width:
        raise LocoauditError(
            f"{log}: topic {s.topic}: joint count mismatch: {name} has {v.shape[1]} values per sample, "
            f"the mapping needs {width} ({what})"
        )
    return v


def map_streams(log: Path, streams: dict[str, Stream], m: LogMapping, built) -> dict[str, np.ndarray]:
    """Per-sample arrays in model order and units, checked against what the units make possible."""
    state, targets = streams["state"], streams["targets"]
    joints = list(built.robot.joints)
    slots = np.array(m.slot_of())
    width = int(slots.max()) + 1
    what = f"slots up to {width - 1}"
    order = np.array([joints.index(j) for j in m.joints])
    sign, offset = np.array(m.signs()), np.array(m.offsets())

    def angles(raw: np.ndarray) -> np.ndarray:
        out = np.empty((len(raw), len(joints)))
        out[:, order] = sign * raw[:, slots] * m.angle_scale + offset
        return out

    def speeds(raw: np.ndarray) -> np.ndarray:
        out = np.empty((len(raw), len(joints)))
        out[:, order] = sign * raw[:, slots] * m.velocity_scale
        return out

    feet = list(built.robot.feet)
    force = _need(log, state, "foot_force", len(m.feet), f"{len(m.feet)} feet")
    out = {
        "joint_pos": angles(_need(log, state, "joint_pos", width, what)),
        "joint_vel": speeds(_need(log, state, "joint_vel", width, what)),
        "targets": angles(_need(log, targets, "targets", width, what)),
        "quaternion": _need(log, state, "quaternion", 4, "w, x, y, z"),
        "gyro": _need(log, state, "gyro", 3, "x, y, z") * m.velocity_scale,
        "foot_force": force[:, [m.feet.index(f) for f in feet]],
    }
    _check_units(log, state, targets, out, m, built)
    return out


def _check_units(log: Path, state: Stream, targets: Stream, v: dict, m: LogMapping, built) -> None:
    model = built.model
    ranges = model.jnt_range[[model.joint(j).id for j in built.robot.joints]]
    hint = f" (angle_unit = '{m.angle_unit}': are the angles in other units, or sign/offset wrong?)"
    for name, s, margin in (
        ("joint_pos", state, JOINT_RANGE_MARGIN),
        ("targets", targets, TARGET_RANGE_MARGIN),
    ):
        q = v[name]
        out = (q < ranges[:, 0] - margin) | (q > ranges[:, 1] + margin)
        if out.any():
            i, j = (int(x[0]) for x in np.nonzero(out))
            raise LocoauditError(
                f"{log}: topic {s.topic}: {name} of {built.robot.joints[j]} is {q[i, j]:.4g} rad at "
                f"t = {(s.time_ns[i] - s.time_ns[0]) / 1e9:.4f} s, outside the model's range "
                f"[{ranges[j, 0]:.3g}, {ranges[j, 1]:.3g}] by more than {margin} rad{hint}"
            )
    checks = (
        (
            "joint_vel",
            np.abs(v["joint_vel"]).max(axis=1) > MAX_JOINT_SPEED,
            f"above {MAX_JOINT_SPEED:g} rad/s",
        ),
        ("gyro", np.abs(v["gyro"]).max(axis=1) > MAX_GYRO, f"above {MAX_GYRO:g} rad/s"),
        ("quaternion", np.abs(np.linalg.norm(v["quaternion"], axis=1) - 1.0) > 0.1, "not a unit quaternion"),
    )
    for name, bad, what in checks:
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            t = (state.time_ns[i] - state.time_ns[0]) / 1e9
            raise LocoauditError(
                f"{log}: topic {state.topic}: {name} is {what} at message {i} (t = {t:.4f} s)"
            )


# ---------------------------------------------------------------- resample
def resample(
    streams: dict[str, Stream], v: dict, dt_s: float, log: Path, threshold: float
) -> tuple[dict, int]:
    """Arrays on the policy grid; returns (arrays, t0 in ns)."""
    ts, tt = streams["state"].time_ns, streams["targets"].time_ns
    t0, t_end = max(ts[0], tt[0]), min(ts[-1], tt[-1])
    steps = int(np.floor((t_end - t0) / 1e9 / dt_s + 1e-9))
    if steps < 2:
        raise LocoauditError(
            f"{log}: state and targets overlap for {(t_end - t0) / 1e9:.3f} s: fewer than 2 policy steps"
        )
    grid = t0 + np.round(np.arange(steps + 1) * dt_s * 1e9).astype(np.int64)

    def interp(x: np.ndarray) -> np.ndarray:
        return np.stack([np.interp(grid, ts, x[:, k]) for k in range(x.shape[1])], axis=1)

    quat = v["quaternion"].copy()
    flip = np.concatenate([[False], np.cumsum(np.sum(quat[1:] * quat[:-1], axis=1) < 0) % 2 == 1])
    quat[flip] *= -1.0  # q and -q are one rotation: make the sequence continuous before interpolating
    quat = interp(quat)
    arrays = {
        "time": (grid - t0) / 1e9,
        "joint_pos": interp(v["joint_pos"]),
        "joint_vel": interp(v["joint_vel"]),
        "base_quat": quat / np.linalg.norm(quat, axis=1, keepdims=True),
        "base_gyro": interp(v["gyro"]),
        "foot_contact": interp(v["foot_force"]) > threshold,
        "targets": v["targets"][np.searchsorted(tt, grid[:-1], side="right") - 1],
    }
    arrays["commands"] = _hold_commands(streams.get("commands"), grid[:-1])
    return arrays, int(t0)


def _hold_commands(s: Stream | None, grid: np.ndarray) -> np.ndarray:
    if s is None:
        return np.zeros((len(grid), 3))
    idx = np.searchsorted(s.time_ns, grid, side="right") - 1
    out = s.values["command"][np.maximum(idx, 0)].copy()
    out[idx < 0] = 0.0
    return out
