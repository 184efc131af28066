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
created.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from locoaudit.errors import LocoauditError

FORMAT = "locoaudit-trace/1"


def write_trace(path: Path, header: dict, arrays: dict[str, np.ndarray]) -> None:
    """Write one trace atomically (temporary file, then rename)."""
    data = {"header": np.frombuffer(json.dumps({"format": FORMAT, **header}).encode(), dtype=np.uint8)}
    data.update(arrays)
    tmp = path.with_name(f".{path.name}.tmp.npz")
    np.savez_compressed(tmp, **data)
    tmp.replace(path)


def read_trace(path: Path) -> tuple[dict, dict[str, np.ndarray]]:
    """(header, arrays) of a trace file; a clear error for anything else."""
    if not Path(path).is_file():
        raise LocoauditError(f"{path}: trace file not found")
    try:
        with np.load(path, allow_pickle=False) as npz:
            arrays = {k: npz[k] for k in npz.files}
        header = json.loads(arrays.pop("header").tobytes().decode())
    except (ValueError, KeyError, OSError) as exc:
        raise LocoauditError(f"{path}: not a locoaudit trace: {exc}") from None
    if header.get("format") != FORMAT:
        raise LocoauditError(f"{path}: unsupported trace format {header.get('format')!r} (expected {FORMAT})")
    return header, arrays
