"""A training run as a pure task: (manifest, num_envs, seed, budget) -> the run directory as bytes.

Ray workers train with the one loop (`session.start` + `session.run`) in a private temporary folder
and return the finished run directory as a tar archive; the driver unpacks it where it belongs and
writes lab.json and the ledger. A worker that dies mid-run leaves nothing behind, and Ray's retry
trains the job again from the start (same seed), so no half-written run is ever recorded.
"""

from __future__ import annotations

import io
import json
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

from locoaudit.errors import LocoauditError
from locoaudit.manifest import manifest_from_canonical
from locoaudit.train import session


@dataclass(frozen=True)
class TrainTask:
    manifest_json: str  # canonical JSON of the manifest
    num_envs: int
    seed: int
    threads: int | None
    iterations: int  # at most this many iterations
    minutes: float | None = None  # and at most this much training wall clock


def train_packed(task: TrainTask, _shared: object = None) -> tuple[str, bytes]:
    """Train one run to its budget in a temporary folder; (run directory name, tar.gz of it)."""
    manifest = manifest_from_canonical(json.loads(task.manifest_json), "sweep manifest")
    with tempfile.TemporaryDirectory(prefix="locoaudit-train-") as tmp:
        trainer = session.start(manifest, task.num_envs, task.seed, Path(tmp), "cpu", task.threads)
        result = session.run(trainer, task.iterations, quiet=True, minutes=task.minutes)
        if result["stopped_early"]:
            raise LocoauditError(f"training {trainer.run_dir.name} was interrupted")
        buffer = io.BytesIO()
        with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
            tar.add(trainer.run_dir, arcname=trainer.run_dir.name)
        return trainer.run_dir.name, buffer.getvalue()


def unpack_run(name: str, data: bytes, into: Path) -> Path:
    """Unpack a train_packed archive into `into`/<name>; refuses members outside <name>/ or links."""
    if Path(name).name != name or name in ("", ".", ".."):
        raise LocoauditError(f"packed run: {name!r} is not a run directory name")
    into.mkdir(parents=True, exist_ok=True)
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        for member in tar.getmembers():
            inside_run = member.name == name or member.name.startswith(f"{name}/")
            if not inside_run or not (member.isfile() or member.isdir()):
                raise LocoauditError(f"packed run {name}: member {member.name!r} is not a file of the run")
        tar.extractall(into, filter="data")
    return into / name
