"""Human-readable evaluation tables."""

from __future__ import annotations

SHOWN = (
    ("fall_rate", "fall", "{:.0%}"),
    ("lin_vel_error", "vel err m/s", "{:.3f}"),
    ("yaw_rate_error", "yaw err", "{:.3f}"),
    ("time_to_fall_s", "t fall s", "{:.1f}"),
    ("push_recovery_rate", "push rec", "{:.0%}"),
    ("cost_of_transport", "CoT", "{:.2f}"),
)


def _cell(metric: dict, fmt: str) -> str:
    if metric["value"] is None:
        return "-"
    text = fmt.format(metric["value"])
    if metric.get("ci"):
        lo, hi = metric["ci"]
        text += f" [{fmt.format(lo)}, {fmt.format(hi)}]"
    return text


def format_results(result: dict) -> str:
    """A table of cells x headline metrics with 95% intervals, then the pooled summary."""
    flag = "held out" if result["held_out"] else "NOT held out (--allow-overlap)"
    lines = [
        f"{result['panel']} ({result['panel_hash'][:12]}, seed {result['seed']}, {flag}) "
        f"run {result['run_id']} @ iteration {result['checkpoint_iteration']}"
    ]
    header = f"{'cell':<22}{'n':>5}  " + "  ".join(f"{title:<24}" for _, title, _ in SHOWN)
    lines.append(header)
    rows = [
        *[(c["name"], c["episodes"], c["metrics"]) for c in result["cells"]],
        ("ALL", sum(c["episodes"] for c in result["cells"]), result["summary"]),
    ]
    for name, n, m in rows:
        lines.append(f"{name:<22}{n:>5}  " + "  ".join(f"{_cell(m[key], fmt):<24}" for key, _, fmt in SHOWN))
    lines.append(f"failure traces: {len(result['traces'])}")
    return "\n".join(lines)
