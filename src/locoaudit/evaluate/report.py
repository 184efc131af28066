"""Human-readable evaluation tables."""

from __future__ import annotations

from collections.abc import Mapping

from locoaudit.evaluate.metrics import DIRECTIONS
from locoaudit.evaluate.record import MISSING, Estimate, Evaluation

SHOWN = (
    ("fall_rate", "fall", "{:.0%}"),
    ("lin_vel_error", "vel err m/s", "{:.3f}"),
    ("yaw_rate_error", "yaw err", "{:.3f}"),
    ("time_to_fall_s", "t fall s", "{:.1f}"),
    ("push_recovery_rate", "push rec", "{:.0%}"),
    ("cost_of_transport", "CoT", "{:.2f}"),
)
ARROWS = {"lower": " (v)", "higher": " (^)", "none": ""}  # which way is better, from DIRECTIONS


def _cell(metric: Estimate, fmt: str) -> str:
    if metric.value is None:
        return "-"
    text = fmt.format(metric.value)
    if metric.lo is not None and metric.hi is not None:
        text += f" [{fmt.format(metric.lo)}, {fmt.format(metric.hi)}]"
    return text


def _row(name: str, n: int | None, metrics: Mapping[str, Estimate]) -> str:
    shown = "  ".join(f"{_cell(metrics.get(key, MISSING), fmt):<24}" for key, _, fmt in SHOWN)
    return f"{name:<22}{'-' if n is None else n:>5}  " + shown


def format_results(result: Evaluation) -> str:
    """A table of cells x headline metrics with 95% intervals, then the pooled summary."""
    flag = "held out" if result.held_out else "NOT held out (--allow-overlap)"
    lines = [
        f"{result.panel} ({result.short_hash}, seed {result.seed}, {flag}) "
        f"run {result.run_id} @ iteration {result.checkpoint_iteration}  [{result.kind}: {result.simulator}]"
    ]
    titles = [title + ARROWS[DIRECTIONS[key]] for key, title, _ in SHOWN]
    lines.append(f"{'cell':<22}{'n':>5}  " + "  ".join(f"{t:<24}" for t in titles))
    lines += [_row(c.name, c.episodes, c.metrics) for c in result.cells]
    total = sum(c.episodes or 0 for c in result.cells)
    lines.append(_row("ALL", total, result.summary))
    lines.append("(v) lower is better, (^) higher is better; no mark: no direction")
    short = [c.name for c in result.cells if (c.episodes or 0) < result.criteria.min_episodes]
    if short:
        lines.append(
            f"note: {len(short)} of {len(result.cells)} cells have fewer than the panel's min_episodes "
            f"({result.criteria.min_episodes}): the promotion gate will call this insufficient evidence"
        )
    for cell in result.extra.get("skipped_cells", []):
        lines.append(f"{cell['name']:<22}{'-':>5}  skipped: {cell['reason']}")
    lines.append(f"failure traces: {len(result.traces or ())}")
    return "\n".join(lines)
