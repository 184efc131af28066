"""Run directories: never overwritten, holding the frozen manifest, provenance, metrics and checkpoints.

Layout of runs/<run_id>/:
  manifest.json     canonical JSON of the frozen manifest (its sha256 is the manifest hash)
  run.json          run id, manifest name and hash, seed, num_envs, device, code and library
                    versions, machine, resume history
  metrics.jsonl     one JSON object per training iteration (see train/rollout_stats.py)
  checkpoints/      model_<iteration>.pt and latest.pt, written atomically
  models.txt        rsl-rl's model summary
"""

from __future__ import annotations

import datetime as dt
import os
import platform
import secrets
import shutil
import subprocess
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

from locoaudit import __version__
from locoaudit.errors import LocoauditError
from locoaudit.fileio import atomic_write_bytes, atomic_write_json, read_json
from locoaudit.manifest import Manifest, canonical_json, manifest_hash
from locoaudit.safety import inside

LIBRARIES = ("mujoco", "torch", "rsl-rl-lib", "numpy", "tensordict", "mujoco-menagerie")


def code_version() -> dict[str, Any]:
    """Package version plus the git commit (and whether the tree is dirty) when run from a checkout."""
    src = Path(__file__).resolve().parents[2]
    info: dict[str, Any] = {"package": __version__, "git_commit": None, "git_dirty": None}
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=src, capture_output=True, text=True, timeout=5
        )
        if commit.returncode == 0:
            info["git_commit"] = commit.stdout.strip()
            status = subprocess.run(
                ["git", "status", "--porcelain", "--untracked-files=no"],
                cwd=src,
                capture_output=True,
                text=True,
                timeout=5,
            )
            info["git_dirty"] = bool(status.stdout.strip())
    except (OSError, subprocess.SubprocessError):
        pass
    return info


def library_versions() -> dict[str, str | None]:
    out: dict[str, str | None] = {}
    for name in LIBRARIES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


def machine(device: str) -> dict[str, Any]:
    return {
        "cpu_count": os.cpu_count(),
        "platform": platform.platform(),
        "python": sys.version.split()[0],
        "device": device,
    }


def new_run_id(manifest: Manifest, seed: int) -> str:
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%d-%H%M%S")
    return f"{manifest.name}-{stamp}-s{seed}-{secrets.token_hex(2)}"


def create_run_dir(
    out: Path,
    manifest: Manifest,
    seed: int,
    num_envs: int,
    device: str,
    threads: int,
    extra: dict | None = None,
) -> Path:
    """Make a fresh run directory (never reusing one) and write manifest.json and run.json (+ extra keys)."""
    out.mkdir(parents=True, exist_ok=True)
    run_id = new_run_id(manifest, seed)
    path = inside(out, run_id)
    path.mkdir(exist_ok=False)
    try:
        _fill_run_dir(path, manifest, seed, num_envs, device, threads, extra or {})
    except BaseException:
        shutil.rmtree(path, ignore_errors=True)  # nothing half-written
        raise
    return path


def _fill_run_dir(
    path: Path, manifest: Manifest, seed: int, num_envs: int, device: str, threads: int, extra: dict
) -> None:
    (path / "checkpoints").mkdir()
    atomic_write_bytes(inside(path, "manifest.json"), canonical_json(manifest).encode())
    record = {
        "run_id": path.name,
        "manifest_name": manifest.name,
        "manifest_hash": manifest_hash(manifest),
        "seed": seed,
        "num_envs": num_envs,
        "threads": threads,
        "device": device,
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "argv": sys.argv,
        "code": code_version(),
        "libraries": library_versions(),
        "machine": machine(device),
        "resumes": [],
    } | extra
    atomic_write_json(inside(path, "run.json"), record)


RUN_KEYS = {
    "run_id": str,
    "seed": int,
    "num_envs": int,
    "threads": int,
    "device": str,
    "manifest_hash": str,
    "resumes": list,
}


def read_run(path: Path) -> dict[str, Any]:
    """run.json of a run directory, with a clear error when it is not one or is damaged."""
    file = path / "run.json"
    if not file.is_file():
        raise LocoauditError(f"{path}: not a run directory (no run.json)")
    record = read_json(file, "run record")
    if not isinstance(record, dict):
        raise LocoauditError(f"{file}: unreadable run record: a JSON object expected")
    for key, kind in RUN_KEYS.items():
        if not isinstance(record.get(key), kind) or isinstance(record.get(key), bool):
            raise LocoauditError(f"{file}: unreadable run record: {key}: missing or not a {kind.__name__}")
    return record


def load_run_manifest(path: Path) -> Manifest:
    """The frozen manifest stored in a run directory."""
    from locoaudit.manifest import manifest_from_canonical

    file = path / "manifest.json"
    if not file.is_file():
        raise LocoauditError(f"{path}: run directory has no manifest.json")
    plain = read_json(file, "manifest")
    if not isinstance(plain, dict):
        raise LocoauditError(f"{file}: unreadable manifest: a JSON object expected")
    return manifest_from_canonical(plain, str(file))
