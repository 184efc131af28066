"""The sim-to-sim gap per cell: a transfer evaluation next to the held-out MuJoCo one it mirrors.

A transfer evaluation runs the same panel (same hash), seed and checkpoint as a held-out one, so
each cell's difference (second engine - MuJoCo) is the gap that the engine change alone makes.
"""

from __future__ import annotations

from collections.abc import Sequence

from locoaudit.evaluate.record import Evaluation

GAP_METRICS = ("fall_rate", "lin_vel_error")


def _num(x: float | None) -> str:
    return "n/a" if x is None else f"{x:.3g}"


def _mirror(t: Evaluation, evaluations: Sequence[Evaluation]) -> Evaluation | None:
    """The latest held-out evaluation with the transfer's panel hash, seed and checkpoint."""
    same = [
        e
        for e in evaluations
        if e.kind == "heldout"
        and (e.panel_hash, e.seed, e.checkpoint_iteration) == (t.panel_hash, t.seed, t.checkpoint_iteration)
    ]
    return max(same, key=lambda e: e.created) if same else None


def sim_to_sim_gaps(evaluations: Sequence[Evaluation], panel: str | None = None) -> list[str]:
    """Lines: per transfer evaluation (of `panel`), per cell, MuJoCo -> engine and the gap."""
    lines = []
    for t in [e for e in evaluations if e.kind == "transfer" and panel in (None, e.panel)]:
        h = _mirror(t, evaluations)
        if h is None:
            lines.append(
                f"sim-to-sim gap {t.panel} {t.short_hash} s{t.seed}: no matching held-out evaluation"
            )
            continue
        lines.append(f"sim-to-sim gap {t.panel} {t.short_hash} s{t.seed}: {h.simulator} -> {t.simulator}")
        for cell in t.cells:
            ours = h.cell(cell.name)
            for m in GAP_METRICS:
                a = ours.metrics[m].value if ours and m in ours.metrics else None
                b = cell.metrics[m].value if m in cell.metrics else None
                gap = None if a is None or b is None else b - a
                lines.append(f"  {cell.name:<22}{m:<15}{_num(a):>8} -> {_num(b):<8} gap {_num(gap)}")
        for skipped in t.extra.get("skipped_cells", []):
            lines.append(f"  {skipped['name']:<22}skipped in {t.simulator}: {skipped['reason']}")
    return lines
