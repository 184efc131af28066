"""The run record: scale figures and held-out evidence of one run, built from its run directory.

`updates` counts PPO iterations (collect + update passes); `gradient_steps` counts optimizer steps
(the `updates` counter of metrics.jsonl). `samples = num_envs x horizon x updates` and must equal the
last logged `samples`. `env_steps_per_s` is the median collection rate over iterations. If a run was
resumed from an earlier checkpoint, metrics.jsonl may repeat iterations; the last line of each wins.
"""

from __future__ import annotations

import hashlib
import json
import statistics
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from locoaudit.errors import LocoauditError
from locoaudit.evaluate.record import Evaluation
from locoaudit.fileio import read_text
from locoaudit.ledger.evaluation import latest, load_evaluations
from locoaudit.manifest import Manifest, manifest_from_canonical, to_plain

RECORD_FILE = "record.json"
AUDIT_FILE = "audit.json"
REPRODUCTIONS_DIR = "reproductions"  # reports of `locoaudit reproduce --run RUN`
RECORD_SCHEMA = 1
SCALE_KEYS = (
    "num_envs",
    "horizon",
    "updates",
    "gradient_steps",
    "samples",
    "wall_clock_s",
    "env_steps_per_s",
    "resumes",
)


@dataclass(frozen=True)
class RunRecord:
    """Identity, scale and evidence of one run; `promotion` is the ledger's status at read time."""

    run_id: str
    manifest_name: str
    manifest_hash: str
    task_key: str
    seed: int | None
    created: str | None
    code: dict[str, Any]
    num_envs: int
    horizon: int
    updates: int
    gradient_steps: int
    samples: int
    wall_clock_s: float
    env_steps_per_s: float
    resumes: int
    run_dir: str | None
    manifest: dict[str, Any]
    evaluations: tuple[Evaluation, ...] = ()
    promotion: str = "candidate"
    audit_findings: tuple[dict[str, Any], ...] = ()  # findings of RUN_DIR/audit.json, as stored there
    reproductions: tuple[dict[str, Any], ...] = ()  # summaries of RUN_DIR/reproductions/*.json

    def with_promotion(self, status: str) -> RunRecord:
        return replace(self, promotion=status)


def task_key(manifest: Manifest) -> str:
    """sha256 of the canonical JSON of {robot, commands}: runs with the same key compete for one champion."""
    plain = {"robot": to_plain(manifest.robot), "commands": to_plain(manifest.commands)}
    return hashlib.sha256(json.dumps(plain, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def read_metrics(path: Path) -> list[dict[str, Any]]:
    """metrics.jsonl as one record per iteration (the last line of a repeated iteration wins), in order."""
    if not path.is_file():
        raise LocoauditError(f"{path}: missing (the run has no training iterations logged)")
    by_iteration: dict[int, dict] = {}
    for number, line in enumerate(read_text(path).splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise LocoauditError(f"{path}:{number}: not JSON: {exc}") from None
        if not isinstance(row, dict) or not isinstance(row.get("iteration"), int):
            raise LocoauditError(f"{path}:{number}: a metrics line needs an integer 'iteration'")
        by_iteration[row["iteration"]] = row
    if not by_iteration:
        raise LocoauditError(f"{path}: no iterations logged")
    return [by_iteration[i] for i in sorted(by_iteration)]


def _field(obj: dict, key: str, source: Path) -> Any:
    if key not in obj:
        raise LocoauditError(f"{source}: missing key '{key}'")
    return obj[key]


def _read_json(file: Path) -> Any:
    if not file.is_file():
        raise LocoauditError(f"{file.parent}: not a run directory (no {file.name})")
    try:
        return json.loads(read_text(file))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise LocoauditError(f"{file}: unreadable: {exc}") from None


def build_record(run_dir: Path) -> RunRecord:
    """Read run.json, manifest.json, metrics.jsonl and evaluations/ of a run directory into a record."""
    run_file, manifest_file, metrics_file = (
        run_dir / n for n in ("run.json", "manifest.json", "metrics.jsonl")
    )
    run = _read_json(run_file)
    plain = _read_json(manifest_file)
    digest = hashlib.sha256(manifest_file.read_bytes()).hexdigest()
    if digest != _field(run, "manifest_hash", run_file):
        raise LocoauditError(f"{manifest_file}: sha256 {digest[:12]} != run.json manifest_hash")
    manifest = manifest_from_canonical(plain, str(manifest_file))
    rows = read_metrics(metrics_file)
    last = rows[-1]
    num_envs, horizon, updates = _field(run, "num_envs", run_file), manifest.ppo.num_steps_per_env, len(rows)
    if [r["iteration"] for r in rows] != list(range(1, updates + 1)):
        raise LocoauditError(f"{metrics_file}: iterations are not 1..{rows[-1]['iteration']} without gaps")
    samples = num_envs * horizon * updates
    if samples != _field(last, "samples", metrics_file):
        raise LocoauditError(
            f"{metrics_file}: last 'samples' {last['samples']} != num_envs x horizon x updates "
            f"= {num_envs} x {horizon} x {updates} = {samples}"
        )
    run_id = _field(run, "run_id", run_file)
    return RunRecord(
        run_id=run_id,
        manifest_name=_field(run, "manifest_name", run_file),
        manifest_hash=run["manifest_hash"],
        task_key=task_key(manifest),
        seed=run.get("seed"),
        created=run.get("created"),
        code=run.get("code") or {},
        num_envs=num_envs,
        horizon=horizon,
        updates=updates,
        gradient_steps=int(_field(last, "updates", metrics_file)),
        samples=samples,
        wall_clock_s=float(_field(last, "wall_clock_s", metrics_file)),
        env_steps_per_s=float(statistics.median(_field(r, "env_steps_per_s", metrics_file) for r in rows)),
        resumes=len(run.get("resumes") or []),
        run_dir=str(run_dir.resolve()),
        manifest=plain,
        evaluations=load_evaluations(run_dir, run_id),
        audit_findings=read_audit_findings(run_dir),
        reproductions=read_reproductions(run_dir),
    )


def read_reproductions(run_dir: Path) -> tuple[dict[str, Any], ...]:
    """Summaries of the hardware-log reproductions filed in RUN_DIR/reproductions/, oldest first."""
    folder = run_dir / REPRODUCTIONS_DIR
    out = []
    for file in sorted(folder.glob("*.json")) if folder.is_dir() else ():
        body = _read_json(file)
        try:
            best = body["best"]
            out.append(
                {
                    "file": file.name,
                    "trace": body["trace"],
                    "log_sha256": (body.get("provenance") or {}).get("log_sha256"),
                    "mode": body["mode"],
                    "variants": body["variants"],
                    "reproducing": body["reproducing"],
                    "log_failure": body["log_failure"],
                    "best": {
                        k: best[k] for k in ("distance", "joint_rmse", "fail_kind", "fail_step", "params")
                    },
                    "best_trace": best.get("trace"),
                    "created": body.get("created"),
                }
            )
        except (KeyError, TypeError) as exc:
            raise LocoauditError(f"{file}: not a reproduction report (missing {exc})") from None
    return tuple(sorted(out, key=lambda r: (r["created"] or "", r["file"])))


def read_audit_findings(run_dir: Path) -> tuple[dict[str, Any], ...]:
    """The findings list of RUN_DIR/audit.json (written by `locoaudit audit`); empty without that file."""
    file = run_dir / AUDIT_FILE
    if not file.is_file():
        return ()
    body = _read_json(file)
    findings = body.get("findings") if isinstance(body, dict) else None
    if not isinstance(findings, list) or not all(isinstance(f, dict) for f in findings):
        raise LocoauditError(f"{file}: expected an object with a 'findings' list of objects")
    return tuple(findings)


def _evidence(evaluations: tuple[Evaluation, ...], kind: str) -> list[dict[str, Any]]:
    """Summary metrics of the latest evaluation per (panel, panel hash, simulator)."""
    groups: dict[tuple[str, str, str], list[Evaluation]] = {}
    for e in evaluations:
        if e.kind == kind:
            groups.setdefault((e.panel, e.panel_hash, e.simulator), []).append(e)
    out = []
    for key in sorted(groups):
        e = latest(groups[key])
        out.append(
            {
                "panel": e.panel,
                "panel_hash": e.panel_hash,
                "simulator": e.simulator,
                "seed": e.seed,
                "held_out": e.held_out,
                "checkpoint_iteration": e.checkpoint_iteration,
                "metrics": {name: est.to_json() for name, est in sorted(e.summary.items())},
            }
        )
    return out


def panel_hashes(evaluations: tuple[Evaluation, ...]) -> dict[str, list[str]]:
    """Panel name -> the panel hashes the run was evaluated with."""
    out: dict[str, set[str]] = {}
    for e in evaluations:
        out.setdefault(e.panel, set()).add(e.panel_hash)
    return {panel: sorted(found) for panel, found in sorted(out.items())}


def record_json(rec: RunRecord) -> dict[str, Any]:
    """The record.json form (also the ledger's stored record, minus the volatile promotion status)."""
    return {
        "schema": RECORD_SCHEMA,
        "run_id": rec.run_id,
        "manifest_name": rec.manifest_name,
        "manifest_hash": rec.manifest_hash,
        "task_key": rec.task_key,
        "seed": rec.seed,
        "created": rec.created,
        "code": rec.code,
        "run_dir": rec.run_dir,
        **{key: getattr(rec, key) for key in SCALE_KEYS},
        "panel_hashes": panel_hashes(rec.evaluations),
        "heldout": _evidence(rec.evaluations, "heldout"),
        "transfer_tags": sorted({e.simulator for e in rec.evaluations if e.kind == "transfer"}),
        "transfer": _evidence(rec.evaluations, "transfer"),
        "audit_findings": list(rec.audit_findings),
        "reproductions": list(rec.reproductions),
        "promotion": rec.promotion,
    }


def record_from_json(
    obj: dict[str, Any], manifest: dict[str, Any], evaluations: tuple[Evaluation, ...], promotion: str
) -> RunRecord:
    """Rebuild a record from its stored JSON (the derived evidence lists are recomputed from evaluations)."""
    keys = ("run_id", "manifest_name", "manifest_hash", "task_key", "seed", "created", "code", "run_dir")
    return RunRecord(
        **{k: obj[k] for k in keys + SCALE_KEYS},
        manifest=manifest,
        evaluations=evaluations,
        promotion=promotion,
        audit_findings=tuple(obj.get("audit_findings", ())),
        reproductions=tuple(obj.get("reproductions", ())),
    )
