"""Checkpoints: everything that affects the future of a run, written atomically with a sha256 sidecar.

Checkpoints hold only tensors, numbers, strings and plain containers, so they load with
`torch.load(weights_only=True)`: numpy arrays are stored as tensors tagged with NDARRAY and turned
back into arrays on load. Anything else in a file (a pickled object, code) is refused.
"""

from __future__ import annotations

import io
import pickle
from pathlib import Path
from typing import Any

import numpy as np
import torch

from locoaudit.errors import LocoauditError
from locoaudit.fileio import atomic_write_checked
from locoaudit.safety import inside, verify_checksum

LATEST = "latest.pt"
NDARRAY = "__ndarray__"  # {NDARRAY: tensor} stands for a numpy array


def to_storable(obj: Any) -> Any:
    """Numpy arrays -> tagged tensors and numpy scalars -> Python numbers, recursively."""
    if isinstance(obj, np.ndarray):
        return {NDARRAY: torch.from_numpy(np.ascontiguousarray(obj).copy())}
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, dict):
        return {k: to_storable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return type(obj)(to_storable(v) for v in obj)
    return obj


def from_storable(obj: Any) -> Any:
    """Inverse of to_storable."""
    if isinstance(obj, dict):
        if set(obj) == {NDARRAY} and isinstance(obj[NDARRAY], torch.Tensor):
            return obj[NDARRAY].numpy()
        return {k: from_storable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return type(obj)(from_storable(v) for v in obj)
    return obj


def save_checkpoint(run_dir: Path, state: dict[str, Any], iteration: int) -> Path:
    """Write checkpoints/model_<iteration>.pt and checkpoints/latest.pt atomically, each with a .sha256."""
    buffer = io.BytesIO()
    torch.save(to_storable(state), buffer)
    data = buffer.getvalue()
    folder = run_dir / "checkpoints"
    path = inside(folder, f"model_{iteration}.pt")
    atomic_write_checked(path, data)
    atomic_write_checked(inside(folder, LATEST), data)
    return path


def load_checkpoint(path: Path, map_location: str = "cpu") -> dict[str, Any]:
    """A checkpoint file, or checkpoints/latest.pt of a run directory; verified and code-free."""
    if path.is_dir():
        path = path / "checkpoints" / LATEST
    if not path.is_file():
        raise LocoauditError(f"{path}: no checkpoint (the run saved none yet?)")
    data = path.read_bytes()
    verify_checksum(path, data, required=True)
    try:
        state = torch.load(io.BytesIO(data), map_location=map_location, weights_only=True)
    except pickle.UnpicklingError:
        raise LocoauditError(
            f"{path}: refusing to load: it holds objects other than tensors, numbers and strings "
            "(a checkpoint from an older locoaudit, or a crafted file); retrain the run"
        ) from None
    except Exception as exc:  # a corrupt or foreign file: say which, not a traceback
        raise LocoauditError(f"{path}: unreadable checkpoint: {type(exc).__name__}: {exc}") from None
    if not isinstance(state, dict):
        raise LocoauditError(f"{path}: not a locoaudit checkpoint (holds {type(state).__name__})")
    return from_storable(state)
