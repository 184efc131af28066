"""Evaluation files (runs/<run_id>/evaluations/*.json) parsed into frozen objects, and matched by panel.

An evaluation is one panel (identified by its sha256 `panel_hash`) run on one checkpoint of one run,
either `heldout` (the training simulator) or `transfer` (a second simulator, named by `simulator`).
`held_out` is false when the panel overlaps the training manifest (evaluated with --allow-overlap).
A metric is any entry shaped {"value": v, "ci": [lo, hi] | null}; other entries (e.g. failure_reasons
counts) stay in `body` only.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from locoaudit.errors import LocoauditError
from locoaudit.fileio import read_text

KINDS = ("heldout", "transfer")


@dataclass(frozen=True)
class Estimate:
    """A point estimate with its confidence interval; any part may be None (e.g. time-to-fall, no falls)."""

    value: float | None
    lo: float | None
    hi: float | None

    def to_json(self) -> dict[str, Any]:
        ci = None if self.lo is None or self.hi is None else [self.lo, self.hi]
        return {"value": self.value, "ci": ci}


@dataclass(frozen=True)
class Cell:
    """One cell of a panel (e.g. push_1.0): episodes run and metric estimates."""

    name: str
    episodes: int | None
    metrics: dict[str, Estimate]


@dataclass(frozen=True)
class Evaluation:
    """One evaluation file; `body` is the file's JSON as read (what the ledger stores)."""

    run_id: str
    panel: str
    panel_hash: str
    seed: int
    kind: str
    simulator: str
    held_out: bool
    checkpoint_iteration: int | None
    created: str
    cells: tuple[Cell, ...]
    summary: dict[str, Estimate]
    body: dict[str, Any]

    @property
    def short_hash(self) -> str:
        return self.panel_hash[:12]


def _number(x: Any, where: str) -> float | None:
    if x is None:
        return None
    if isinstance(x, bool) or not isinstance(x, (int, float)):
        raise LocoauditError(f"{where}: expected a number or null, got {x!r}")
    return float(x)


def parse_estimate(obj: Any, where: str) -> Estimate:
    """{"value": v, "ci": [lo, hi] | null} -> Estimate."""
    if not isinstance(obj, dict) or "value" not in obj:
        raise LocoauditError(f"{where}: expected {{'value': ..., 'ci': [lo, hi]}}")
    ci = obj.get("ci")
    if ci is not None and (not isinstance(ci, list) or len(ci) != 2):
        raise LocoauditError(f"{where}.ci: expected [lo, hi] or null")
    lo, hi = (None, None) if ci is None else (_number(ci[0], f"{where}.ci"), _number(ci[1], f"{where}.ci"))
    return Estimate(_number(obj["value"], f"{where}.value"), lo, hi)


def _metrics(obj: Any, where: str) -> dict[str, Estimate]:
    """The estimate-shaped entries of a metrics object."""
    if not isinstance(obj, dict):
        raise LocoauditError(f"{where}: expected an object of metrics")
    return {
        name: parse_estimate(est, f"{where}.{name}")
        for name, est in obj.items()
        if isinstance(est, dict) and "value" in est
    }


def _require(obj: dict, key: str, types: type | tuple[type, ...], source: str) -> Any:
    if key not in obj:
        raise LocoauditError(f"{source}: missing key '{key}'")
    if not isinstance(obj[key], types) or isinstance(obj[key], bool):
        raise LocoauditError(f"{source}: '{key}' has the wrong type ({type(obj[key]).__name__})")
    return obj[key]


def _flag(obj: dict, key: str, source: str) -> bool:
    if not isinstance(obj.get(key), bool):
        raise LocoauditError(f"{source}: '{key}' must be true or false")
    return obj[key]


def parse_evaluation(obj: Any, source: str) -> Evaluation:
    """Validate one evaluation JSON object; errors name the source and the key."""
    if not isinstance(obj, dict):
        raise LocoauditError(f"{source}: an evaluation must be a JSON object")
    kind = _require(obj, "kind", str, source)
    if kind not in KINDS:
        raise LocoauditError(f"{source}: kind must be one of {', '.join(KINDS)}, got {kind!r}")
    cells = tuple(
        Cell(
            _require(c, "name", str, f"{source}: cells[{i}]"),
            c.get("episodes"),
            _metrics(c.get("metrics"), f"{source}: cells[{i}].metrics"),
        )
        for i, c in enumerate(_require(obj, "cells", list, source))
    )
    iteration = obj.get("checkpoint_iteration")
    return Evaluation(
        run_id=_require(obj, "run_id", str, source),
        panel=_require(obj, "panel", str, source),
        panel_hash=_require(obj, "panel_hash", str, source),
        seed=_require(obj, "seed", int, source),
        kind=kind,
        simulator=_require(obj, "simulator", str, source),
        held_out=_flag(obj, "held_out", source),
        checkpoint_iteration=iteration if isinstance(iteration, int) else None,
        created=str(obj.get("created") or ""),
        cells=cells,
        summary=_metrics(_require(obj, "summary", dict, source), f"{source}: summary"),
        body=obj,
    )


def load_evaluations(run_dir: Path, run_id: str) -> tuple[Evaluation, ...]:
    """Every evaluations/*.json of a run directory (traces/ below it are not read); each of this run."""
    folder = run_dir / "evaluations"
    out = []
    for file in sorted(folder.glob("*.json")) if folder.is_dir() else []:
        try:
            obj = json.loads(read_text(file))
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise LocoauditError(f"{file}: unreadable evaluation: {exc}") from None
        ev = parse_evaluation(obj, str(file))
        if ev.run_id != run_id:
            raise LocoauditError(f"{file}: evaluation of run {ev.run_id!r}, not of this run {run_id!r}")
        out.append(ev)
    return tuple(out)


def latest(evaluations: list[Evaluation]) -> Evaluation:
    """The evaluation of the latest checkpoint, then the most recently created."""
    return max(evaluations, key=lambda e: (e.checkpoint_iteration or -1, e.created))


def of_panel(evaluations: tuple[Evaluation, ...], panel: str, kind: str) -> list[Evaluation]:
    return [e for e in evaluations if e.panel == panel and e.kind == kind]


def matched(
    a: tuple[Evaluation, ...], b: tuple[Evaluation, ...], panel: str, kind: str
) -> list[tuple[Evaluation, Evaluation]]:
    """Pairs (a, b) on the same panel hash and simulator, one per simulator (latest of each side)."""
    pairs = []
    for sim in sorted({e.simulator for e in of_panel(a, panel, kind)}):
        side_a = [e for e in of_panel(a, panel, kind) if e.simulator == sim]
        side_b = [e for e in of_panel(b, panel, kind) if e.simulator == sim]
        common = {e.panel_hash for e in side_a} & {e.panel_hash for e in side_b}
        if common:
            ea = latest([e for e in side_a if e.panel_hash in common])
            eb = latest([e for e in side_b if e.panel_hash == ea.panel_hash])
            pairs.append((ea, eb))
    return pairs


def hashes(evaluations: tuple[Evaluation, ...], panel: str, kind: str) -> list[str]:
    """Short hashes a run was evaluated with on a panel (for refusal messages)."""
    return sorted({e.short_hash for e in of_panel(evaluations, panel, kind)})
