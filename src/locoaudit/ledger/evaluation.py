"""A run's evaluation files (runs/<run_id>/evaluations/*.json), read and matched by panel.

The record type, its file form and its validation live in evaluate/record.py (the writer's side); this
module reads a run's files and pairs evaluations of two runs on the same panel hash and simulator.
"""

from __future__ import annotations

import json
from pathlib import Path

from locoaudit.errors import LocoauditError
from locoaudit.evaluate.record import Evaluation, parse_evaluation
from locoaudit.fileio import read_text


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
