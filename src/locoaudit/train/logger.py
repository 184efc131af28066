"""The per-iteration bookkeeping of a training run behind one object: metrics.jsonl, TensorBoard, progress."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from locoaudit.safety import inside
from locoaudit.train.progress import Progress

METRICS = "metrics.jsonl"


class TrainingLogger:
    """Appends each iteration's record to metrics.jsonl and TensorBoard and updates the progress line."""

    def __init__(self, run_dir: Path, start: int, target: int, seconds: float | None, quiet: bool):
        self.file = open(inside(run_dir, METRICS), "a")  # noqa: SIM115 - closed by close()
        self.writer = _tensorboard(run_dir)
        self.progress = Progress(start, target, disable=quiet, seconds=seconds)
        self.last: dict[str, Any] = {}

    def log(self, record: dict[str, Any]) -> None:
        """Write one iteration's record everywhere it belongs."""
        self.last = record
        self.file.write(json.dumps(record) + "\n")
        self.file.flush()
        if self.writer is not None:
            for name, value in flatten(record).items():
                self.writer.add_scalar(name, value, record["iteration"])
        self.progress.update(record)

    def close(self) -> None:
        self.file.close()
        self.progress.close()
        if self.writer is not None:
            self.writer.close()

    def __enter__(self) -> TrainingLogger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class NullLogger:
    """The logger of a rank other than 0: keeps the last record, writes nothing."""

    def __init__(self) -> None:
        self.last: dict[str, Any] = {}

    def log(self, record: dict[str, Any]) -> None:
        self.last = record

    def __enter__(self) -> NullLogger:
        return self

    def __exit__(self, *exc: object) -> None:
        pass


def _tensorboard(run_dir: Path):
    try:
        from torch.utils.tensorboard import SummaryWriter
    except ImportError:  # tensorboard is optional; metrics.jsonl always has everything
        return None
    return SummaryWriter(log_dir=str(inside(run_dir, "tensorboard")))


def flatten(record: dict, prefix: str = "") -> dict[str, float]:
    """Numeric leaves of a nested record as {'a/b': value}."""
    out: dict[str, float] = {}
    for key, value in record.items():
        if isinstance(value, dict):
            out.update(flatten(value, f"{prefix}{key}/"))
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            out[f"{prefix}{key}"] = float(value)
    return out
