"""Audit findings: what an audit found, how bad it is, and the numbers behind it.

A finding is `info` (context, never blocking), `warning` (look at it) or `error` (the run should not be
promoted until it is resolved). A finding is resolved by writing a non-empty `resolution` note into
audit.json (or by fixing the cause and auditing again); unresolved errors block the promotion gate.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

SEVERITIES = ("info", "warning", "error")


@dataclass(frozen=True)
class Finding:
    """One finding: `audit` family (rewards, terminations, ...), `check` within it, severity, message."""

    audit: str
    check: str
    severity: str
    message: str  # one line
    numbers: dict[str, Any] = field(default_factory=dict)
    resolution: str | None = None

    def __post_init__(self) -> None:
        if self.severity not in SEVERITIES:
            raise ValueError(f"severity must be one of {SEVERITIES}, got {self.severity!r}")

    @property
    def name(self) -> str:
        """'audit.check', e.g. 'rewards.dominant_term'."""
        return f"{self.audit}.{self.check}"

    def to_json(self) -> dict[str, Any]:
        """The audit.json form (a `resolution` key only when resolved)."""
        out = {
            "audit": self.audit,
            "check": self.check,
            "severity": self.severity,
            "message": self.message,
            "numbers": clean_numbers(self.numbers),
        }
        return out if self.resolution is None else out | {"resolution": self.resolution}

    @classmethod
    def from_json(cls, obj: dict[str, Any]) -> Finding:
        """A finding from its audit.json form."""
        keys = ("audit", "check", "severity", "message")
        return cls(
            **{k: obj[k] for k in keys}, numbers=obj.get("numbers", {}), resolution=obj.get("resolution")
        )


def rank(severity: str) -> int:
    """0 info, 1 warning, 2 error."""
    return SEVERITIES.index(severity)


def at_least(findings: Iterable[Finding], severity: str) -> list[Finding]:
    """The findings at `severity` or worse."""
    return [f for f in findings if rank(f.severity) >= rank(severity)]


def clean_numbers(obj: Any) -> Any:
    """JSON-safe numbers: numpy scalars to Python, floats rounded to 4 significant digits, NaN to None."""
    if isinstance(obj, dict):
        return {str(k): clean_numbers(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [clean_numbers(v) for v in obj]
    if hasattr(obj, "item") and not isinstance(obj, (str, bytes)):
        obj = obj.item()
    if isinstance(obj, float):
        return None if not math.isfinite(obj) else float(f"{obj:.4g}")
    return obj


def blocking(findings: Iterable[dict[str, Any]]) -> list[str]:
    """'audit.check: message' of every unresolved error among finding JSON objects (as in audit.json)."""
    return [
        f"{f['audit']}.{f['check']}: {f['message']}"
        for f in findings
        if f.get("severity") == "error" and not f.get("resolution")
    ]


def _numbers_line(numbers: dict[str, Any]) -> str:
    parts = [f"{k}={v}" for k, v in clean_numbers(numbers).items() if not isinstance(v, (dict, list))]
    return ", ".join(parts)


def format_findings(findings: Sequence[Finding], title: str) -> str:
    """Human-readable report: worst first, one line per finding plus its scalar numbers."""
    if not findings:
        return f"{title}: no findings"
    counts = {s: sum(f.severity == s for f in findings) for s in SEVERITIES}
    lines = [f"{title}: " + ", ".join(f"{n} {s}" for s, n in reversed(counts.items()) if n)]
    for f in sorted(findings, key=lambda f: -rank(f.severity)):
        lines.append(f"  {f.severity.upper():<7} {f.name}: {f.message}")
        numbers = _numbers_line(f.numbers)
        if numbers:
            lines.append(f"          {numbers}")
        if f.resolution:
            lines.append(f"          resolved: {f.resolution}")
    return "\n".join(lines)
