"""What a run report reads: run.json, metrics.jsonl, evaluations, audit.json, gate decisions, traces."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from locoaudit.errors import LocoauditError
from locoaudit.ledger.evaluation import Evaluation, load_evaluations
from locoaudit.ledger.record import read_audit_findings, read_metrics
from locoaudit.ledger.store import LEDGER_FILE, PromotionEntry, open_ledger
from locoaudit.train.rundir import read_run


@dataclass(frozen=True)
class RunData:
    """Everything the report shows about one run, read from its directory (and its ledger, if any)."""

    run_dir: Path
    run: dict[str, Any]
    metrics: list[dict[str, Any]]
    evaluations: tuple[Evaluation, ...]
    findings: tuple[dict[str, Any], ...]
    promotions: tuple[PromotionEntry, ...]
    traces: tuple[Path, ...]

    @property
    def run_id(self) -> str:
        return str(self.run["run_id"])


def load_run(run_dir: Path, ledger_url: str | None = None) -> RunData:
    """Read a run directory; gate decisions come from --ledger or the ledger beside the run, if any."""
    run = read_run(run_dir)
    evaluations = load_evaluations(run_dir, run["run_id"])
    return RunData(
        run_dir=run_dir,
        run=run,
        metrics=read_metrics(run_dir / "metrics.jsonl"),
        evaluations=evaluations,
        findings=read_audit_findings(run_dir),
        promotions=_promotions(run_dir, run["run_id"], ledger_url),
        traces=trace_paths(run_dir, evaluations),
    )


def _promotions(run_dir: Path, run_id: str, url: str | None) -> tuple[PromotionEntry, ...]:
    if url is None and not (run_dir.parent / LEDGER_FILE).is_file():
        return ()
    ledger = open_ledger(url, run_dir.parent, create=False)
    try:
        return tuple(ledger.promotions(run_id))
    finally:
        ledger.close()


def trace_paths(run_dir: Path, evaluations: tuple[Evaluation, ...]) -> tuple[Path, ...]:
    """The failure traces the evaluations list, each checked to lie inside the run directory."""
    root = run_dir.resolve()
    out: list[Path] = []
    for ev in evaluations:
        for name in ev.traces or ():
            path = (root / str(name)).resolve()
            if not path.is_relative_to(root):
                raise LocoauditError(f"{run_dir}: evaluation lists trace {name!r} outside the run directory")
            if path.is_file() and path not in out:
                out.append(path)
    return tuple(out)


def read_json(path: Path) -> Any:
    """A JSON file, with a one-line error naming it."""
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        raise LocoauditError(f"{path}: not found") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise LocoauditError(f"{path}: unreadable: {exc}") from None


def series(rows: list[dict[str, Any]], path: str) -> list[float | None]:
    """One dotted-path value per metrics row ('tracking.lin_vel_error'); None where absent."""
    out: list[float | None] = []
    for row in rows:
        value: Any = row
        for key in path.split("."):
            value = value.get(key) if isinstance(value, dict) else None
        out.append(float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None)
    return out


def trace_header(path: Path) -> dict[str, Any]:
    """Only the JSON header of a trace file (the arrays stay on disk)."""
    from locoaudit.traces.format import FORMAT

    try:
        with np.load(path, allow_pickle=False) as npz:
            header = json.loads(npz["header"].tobytes().decode())
    except (ValueError, KeyError, OSError) as exc:
        raise LocoauditError(f"{path}: not a locoaudit trace: {exc}") from None
    if header.get("format") != FORMAT:
        raise LocoauditError(f"{path}: unsupported trace format {header.get('format')!r}")
    return header
