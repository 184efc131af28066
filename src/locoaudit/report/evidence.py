"""Held-out evidence plots: per-cell estimates with interval bars, and the transfer gap per cell."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.figure import Figure

from locoaudit.evaluate.record import Estimate, Evaluation
from locoaudit.ledger.compare import GATE_METRICS, Delta, delta
from locoaudit.report.figures import png

MISSING = Estimate(None, None, None)


def _bars(ax, cells: list[str], points: Sequence[tuple[str, list[Estimate]]]) -> None:
    """Horizontal interval bars: one row per cell, one offset marker per labelled series."""
    y = np.arange(len(cells))
    width = 0.7 / max(len(points), 1)
    for k, (label, estimates) in enumerate(points):
        offset = y - 0.35 + width * (k + 0.5)
        value = np.array([np.nan if e.value is None else e.value for e in estimates], dtype=float)
        lo = np.array([v if e.lo is None else e.lo for e, v in zip(estimates, value, strict=True)])
        hi = np.array([v if e.hi is None else e.hi for e, v in zip(estimates, value, strict=True)])
        err = np.nan_to_num(np.vstack([value - lo, hi - value]))
        ax.errorbar(value, offset, xerr=err, fmt="o", capsize=3, label=label)
    ax.set_yticks(y, cells)
    ax.invert_yaxis()
    ax.grid(alpha=0.3, axis="x")


def cell_estimates(ev: Evaluation, cells: list[str], metric: str) -> list[Estimate]:
    by_name = {c.name: c for c in ev.cells}
    return [by_name[c].metrics.get(metric, MISSING) if c in by_name else MISSING for c in cells]


def cell_names(evaluations: Sequence[Evaluation]) -> list[str]:
    names: list[str] = []
    for ev in evaluations:
        names += [c.name for c in ev.cells if c.name not in names]
    return names


def intervals_figure(labelled: Sequence[tuple[str, Evaluation]], metrics=GATE_METRICS) -> bytes:
    """Per-cell estimates with 95% interval bars for each labelled evaluation (same panel)."""
    cells = cell_names([ev for _, ev in labelled])
    fig = Figure(figsize=(11, 0.9 + 0.32 * len(cells) * max(1, len(labelled) / 2)), layout="constrained")
    axes = fig.subplots(1, len(metrics), squeeze=False)[0]
    for ax, metric in zip(axes, metrics, strict=True):
        _bars(ax, cells, [(label, cell_estimates(ev, cells, metric)) for label, ev in labelled])
        ax.set_title(f"{metric} (95% interval)")
    axes[0].legend(fontsize="small", loc="best")
    return png(fig)


def transfer_gaps(heldout: Evaluation, transfer: Evaluation, metric: str) -> list[tuple[str, Delta]]:
    """Per cell: transfer minus held-out, with the conservative delta interval of ledger/compare.py."""
    by_name = {c.name: c for c in transfer.cells}
    out = []
    for cell in heldout.cells:
        other = by_name.get(cell.name)
        if other is not None:
            out.append(
                (
                    cell.name,
                    delta(metric, cell.metrics.get(metric, MISSING), other.metrics.get(metric, MISSING)),
                )
            )
    return out


def gap_figure(heldout: Evaluation, transfer: Evaluation, metrics=GATE_METRICS) -> bytes:
    """Transfer gap per cell (transfer - held-out) with its interval; 0 means no gap."""
    fig = Figure(figsize=(11, 0.9 + 0.32 * len(heldout.cells)), layout="constrained")
    axes = fig.subplots(1, len(metrics), squeeze=False)[0]
    for ax, metric in zip(axes, metrics, strict=True):
        gaps = transfer_gaps(heldout, transfer, metric)
        estimates = [Estimate(d.value, d.lo, d.hi) for _, d in gaps]
        _bars(ax, [name for name, _ in gaps], [(transfer.simulator, estimates)])
        ax.axvline(0, color="k", lw=0.8)
        ax.set_title(f"{metric}: transfer - held-out")
    return png(fig)
