"""A lab directory and its state file, lab.json, rewritten atomically after every finished stage.

Layout of labs/<lab_id>/:
  manifest.json  canonical JSON of the frozen manifest every level trains on
  lab.json       the plan (levels, seeds, budget, panels) and each job's progress and results
  runs/          one run directory per (level, seed) job
A job is one (num_envs, seed) pair; its stages are training, then one evaluation per panel and kind.
An interrupted lab resumes at the first unfinished stage (training resumes from the run's checkpoint).
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from locoaudit.errors import LocoauditError
from locoaudit.fileio import atomic_write_bytes, atomic_write_json
from locoaudit.manifest import Manifest, canonical_json, manifest_from_canonical, manifest_hash

LAB_FILE = "lab.json"
FORMAT = "locoaudit-lab/1"


@dataclass(frozen=True)
class Budget:
    """Per job: training wall clock (minutes) or env samples; exactly one is set."""

    minutes: float | None = None
    samples: int | None = None

    def describe(self) -> str:
        return f"{self.minutes:g} min of training" if self.minutes is not None else f"{self.samples} samples"


def create_lab(
    out: Path,
    manifest: Manifest,
    levels: list[int],
    seeds: list[int],
    budget: Budget,
    panels: list[str],
    settings: dict[str, Any],
) -> Path:
    """A fresh lab directory with its plan; jobs run seed by seed so early jobs already pair up."""
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%d-%H%M%S")
    lab_id = f"parallelism-{manifest.name}-{stamp}-{secrets.token_hex(2)}"
    path = out / lab_id
    (path / "runs").mkdir(parents=True, exist_ok=False)
    atomic_write_bytes(path / "manifest.json", canonical_json(manifest).encode())
    state = {
        "format": FORMAT,
        "lab_id": lab_id,
        "kind": "parallelism",
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "manifest_name": manifest.name,
        "manifest_hash": manifest_hash(manifest),
        "levels": sorted(levels),
        "seeds": seeds,
        "budget": {"minutes": budget.minutes, "samples": budget.samples},
        "panels": panels,
        "settings": settings,
        "jobs": [
            {"num_envs": n, "seed": s, "run": None, "trained": False, "evaluations": {}}
            for s in seeds
            for n in sorted(levels)
        ],
        "results": None,
    }
    save_state(path, state)
    return path


def save_state(lab_dir: Path, state: dict[str, Any]) -> None:
    atomic_write_json(lab_dir / LAB_FILE, state)


def read_state(lab_dir: Path) -> dict[str, Any]:
    """lab.json of a lab directory, with a one-line error when it is not one."""
    file = lab_dir / LAB_FILE
    if not file.is_file():
        raise LocoauditError(f"{lab_dir}: not a lab directory (no {LAB_FILE})")
    try:
        state = json.loads(file.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise LocoauditError(f"{file}: unreadable: {exc}") from None
    if not isinstance(state, dict) or state.get("format") != FORMAT:
        raise LocoauditError(f"{file}: format: expected {FORMAT}")
    return state


def is_lab_dir(path: Path) -> bool:
    return (path / LAB_FILE).is_file()


def lab_manifest(lab_dir: Path, state: dict[str, Any]) -> Manifest:
    """The lab's frozen manifest, checked against the hash in lab.json."""
    file = lab_dir / "manifest.json"
    manifest = manifest_from_canonical(json.loads(file.read_text()), str(file))
    if manifest_hash(manifest) != state["manifest_hash"]:
        raise LocoauditError(f"{file}: manifest_hash: does not match lab.json")
    return manifest


def run_dir(lab_dir: Path, job: dict[str, Any]) -> Path | None:
    """The job's run directory (a name inside lab/runs/, never a path outside it)."""
    name = job.get("run")
    if name is None:
        return None
    if not isinstance(name, str) or Path(name).name != name or name in ("", ".", ".."):
        raise LocoauditError(f"{lab_dir / LAB_FILE}: jobs.run: {name!r} is not a run directory name")
    return lab_dir / "runs" / name


def job_label(job: dict[str, Any]) -> str:
    return f"{job['num_envs']} envs s{job['seed']}"
