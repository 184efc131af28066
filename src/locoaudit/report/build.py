"""Assemble and write the report of a run (or of a lab: its levels side by side)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from locoaudit.fileio import atomic_write_bytes
from locoaudit.report import sections
from locoaudit.report.data import RunData, load_run, trace_header
from locoaudit.report.page import document
from locoaudit.report.sections import Options, Section

REPORT_FILE = "report.html"


def run_sections(runs: Mapping[str, RunData], opts: Options) -> list[Section]:
    """Every section of a run report, for one run or several labelled ones."""
    headers = {p: trace_header(p) for d in runs.values() for p in d.traces}
    return [
        sections.summary(runs),
        *sections.training(runs, opts.x),
        sections.heldout(runs),
        sections.transfer(runs),
        sections.gate(runs),
        sections.audit(runs),
        sections.failures(runs, headers, opts),
    ]


def write_html(path: Path, title: str, parts: list[Section]) -> Path:
    """Write the page atomically; returns its path."""
    atomic_write_bytes(path, document(title, parts).encode("utf-8"))
    return path


def report_run(run_dir: Path, out: Path | None, ledger_url: str | None, opts: Options) -> Path:
    """The report of one run directory, written to `out` (default RUN_DIR/report.html)."""
    data = load_run(run_dir, ledger_url)
    parts = run_sections({"run": data}, opts)
    return write_html(out or run_dir / REPORT_FILE, f"locoaudit report: {data.run_id}", parts)
