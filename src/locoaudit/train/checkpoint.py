"""Checkpoints: everything that affects the future of a run, written atomically."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import torch

from locoaudit.errors import LocoauditError
from locoaudit.train.rundir import atomic_write_bytes

LATEST = "latest.pt"


def save_checkpoint(run_dir: Path, state: dict[str, Any], iteration: int) -> Path:
    """Write checkpoints/model_<iteration>.pt and checkpoints/latest.pt atomically."""
    buffer = io.BytesIO()
    torch.save(state, buffer)
    data = buffer.getvalue()
    folder = run_dir / "checkpoints"
    path = folder / f"model_{iteration}.pt"
    atomic_write_bytes(path, data)
    atomic_write_bytes(folder / LATEST, data)
    return path


def load_checkpoint(path: Path, map_location: str = "cpu") -> dict[str, Any]:
    """A checkpoint file, or checkpoints/latest.pt of a run directory."""
    if path.is_dir():
        path = path / "checkpoints" / LATEST
    if not path.is_file():
        raise LocoauditError(f"{path}: no checkpoint (the run saved none yet?)")
    try:
        return torch.load(path, map_location=map_location, weights_only=False)
    except Exception as exc:  # a corrupt or foreign file: say which, not a traceback
        raise LocoauditError(f"{path}: unreadable checkpoint: {exc}") from None
