"""The trace file format (`locoaudit-trace/1`): one compressed .npz per failed episode.

Arrays (T = policy steps until the failure, J = actions, A = actor observations):
  header        uint8 bytes of a JSON object (see below)
  actions       (T, J) float32  actions as the policy produced them
  commands      (T, 3) float64  velocity command in force during each step
  rewards       (T,)   float64  reward of each step
  qpos          (T, nq) float64 generalised positions after each step (the last one is after the reset)
  obs           (T, A) float32  actor observations as fed to the policy (after sensor corruption)
  physics       (nstate,)       full integration state at the episode start (mjSTATE_INTEGRATION)
  param.<field> per-env model fields at the start (friction, masses, gains, damping)
  buffer.<name> per-env task buffers at the start (targets, delay, command, timers, ...)
Header keys: format, run_id, panel, panel_hash, cell, episode, seed, training_manifest_hash,
eval_manifest (canonical JSON object), eval_manifest_hash, reason, steps, push_step, push_dv, dt,
created; optional `source`: "simulation" (the default when absent), "reproduction" (the best match
of `locoaudit reproduce`, same arrays, plus hardware_trace and variant) or "hardware".

A hardware trace (`locoaudit import`, traces/hardware.py) is the same format with other arrays:
time, joint_pos, joint_vel, base_quat, base_gyro, foot_contact (T+1 rows: the state before each
step and after the last), targets, commands, actions (T rows); header source = "hardware",
failure_step and provenance. It has no simulator start state, so it is reproduced, not replayed.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np

from locoaudit.errors import LocoauditError
from locoaudit.fileio import atomic_write_checked
from locoaudit.safety import verify_checksum, warn

FORMAT = "locoaudit-trace/1"


REQUIRED = ("actions", "commands", "rewards", "qpos", "obs", "physics")
HEADER_KEYS = ("eval_manifest", "steps", "reason", "push_step", "push_dv")
HARDWARE_REQUIRED = (
    "time",
    "joint_pos",
    "joint_vel",
    "base_quat",
    "base_gyro",
    "foot_contact",
    "targets",
    "commands",
    "actions",
)
HARDWARE_HEADER_KEYS = ("eval_manifest", "steps", "reason", "failure_step", "dt", "provenance")


def write_trace(path: Path, header: dict, arrays: dict[str, np.ndarray]) -> None:
    """Write one trace atomically (temporary file, then rename) with a sha256 sidecar."""
    data = {"header": np.frombuffer(json.dumps({"format": FORMAT, **header}).encode(), dtype=np.uint8)}
    data.update(arrays)
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **data)
    atomic_write_checked(path, buffer.getvalue())


def read_trace(path: Path) -> tuple[dict, dict[str, np.ndarray]]:
    """(header, arrays) of a trace file, checksum verified; a clear error for anything else.

    Traces written before checksums existed load with a warning: they are plain arrays
    (no pickles) and the zip's own CRC-32s still catch corruption.
    """
    path = Path(path)
    if not path.is_file():
        raise LocoauditError(f"{path}: trace file not found")
    data = path.read_bytes()
    checked = verify_checksum(path, data, required=False)
    try:
        with np.load(io.BytesIO(data), allow_pickle=False) as npz:
            arrays = {k: npz[k] for k in npz.files}
        header = json.loads(arrays.pop("header").tobytes().decode())
    except Exception as exc:  # zip, zlib, npy, UTF-8 or JSON damage: name the file, no traceback
        raise LocoauditError(f"{path}: not a locoaudit trace: {type(exc).__name__}: {exc}") from None
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        found = header.get("format") if isinstance(header, dict) else header
        raise LocoauditError(f"{path}: unsupported trace format {found!r} (expected {FORMAT})")
    _check_complete(path, header, arrays)
    if not checked:
        warn(f"{path}: no checksum file (a trace from before checksums); loaded unverified")
    return header, arrays


def _check_complete(path: Path, header: dict, arrays: dict[str, np.ndarray]) -> None:
    """Refuse a trace missing an array or header key that replay needs."""
    hardware = header.get("source") == "hardware"
    for key in HARDWARE_REQUIRED if hardware else REQUIRED:
        if key not in arrays:
            raise LocoauditError(f"{path}: {key}: missing array")
    for key in HARDWARE_HEADER_KEYS if hardware else HEADER_KEYS:
        if key not in header:
            raise LocoauditError(f"{path}: header.{key}: missing")
    steps = header["steps"]
    if isinstance(steps, bool) or not isinstance(steps, int) or not 1 <= steps <= len(arrays["actions"]):
        raise LocoauditError(
            f"{path}: header.steps: {steps!r} does not match {len(arrays['actions'])} actions"
        )
