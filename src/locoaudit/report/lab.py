"""The report of a lab: its levels side by side on the same axes, plus the lab's own results."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from locoaudit.errors import LocoauditError
from locoaudit.lab.plan import job_label, read_state, run_dir
from locoaudit.report.build import run_sections, write_html
from locoaudit.report.data import load_run
from locoaudit.report.page import esc, note, num, section, table
from locoaudit.report.sections import Options, Section


def _walk(j: dict[str, Any]) -> str:
    w = j["time_to_walk"]
    return (
        "not reached"
        if w is None
        else f"{w['wall_clock_s']:.0f} s, {w['samples']} samples (it {w['iteration']})"
    )


def _est(e: dict[str, Any] | None) -> str:
    if not e or e.get("value") is None:
        return "n/a"
    ci = e.get("ci") or [None, None]
    return f"{num(e['value'])} [{num(ci[0])}, {num(ci[1])}]"


def lab_section(state: dict[str, Any]) -> Section:
    """Per level and seed: scale, time to walk, held-out metrics; then deltas and the closing sentences."""
    res = state["results"]
    if res is None:
        return (
            "lab",
            "Lab",
            section("lab", "Lab", [note("the lab has not finished: locoaudit lab ... --resume")]),
        )
    parts = [f"<p><b>{esc(res['throughput'])}</b></p>"]
    parts += [f"<p><b>{esc(s)}</b></p>" for s in res["conclusions"]]
    rows = [
        [j["label"], j["wall_clock_s"], j["samples"], j["samples_per_s"], j["iterations"], _walk(j)]
        for j in res["jobs"]
    ]
    parts.append(table(["level", "wall clock s", "samples", "samples/s", "updates", "time to walk"], rows))
    rows = [
        [
            j["label"],
            key,
            _est(ev["summary"].get("fall_rate")),
            _est(ev["summary"].get("lin_vel_error")),
            ", ".join(f"{r} {n}" for r, n in sorted(ev["failures_by_reason"].items())) or "-",
            ", ".join(f"{c} {n}" for c, n in ev["failures_by_cell"].items() if n) or "-",
        ]
        for j in res["jobs"]
        for key, ev in j["evaluations"].items()
    ]
    parts.append(
        table(["level", "panel:kind", "fall rate", "velocity error", "failures by reason", "by cell"], rows)
    )
    rows = []
    for p in res["deltas"]:
        head = [p["panel"], p["kind"], p["seed"], f"{p['b']} vs {p['a']}"]
        if "refused" in p:
            rows.append([*head, "-", "-", "-", f"refused: {p['refused']}"])
        for d in p.get("deltas", []):
            rows.append(
                [*head, d["metric"], num(d["delta"]), f"[{num(d['ci'][0])}, {num(d['ci'][1])}]", d["verdict"]]
            )
    parts.append(table(["panel", "kind", "seed", "envs", "metric", "delta", "interval", "verdict"], rows))
    return "lab", "Lab results", section("lab", "Lab results", parts)


def report_lab(lab_dir: Path, out: Path | None, ledger_url: str | None, opts: Options) -> Path:
    """The report of a lab directory (default LAB_DIR/report.html); training plots on a wall-clock axis."""
    state = read_state(lab_dir)
    runs = {}
    for job in state["jobs"]:
        path = run_dir(lab_dir, job)
        if path is not None and (path / "metrics.jsonl").is_file():
            runs[job_label(job)] = load_run(path, ledger_url)
    if not runs:
        raise LocoauditError(f"{lab_dir}: no job has trained yet")
    wall = Options(max_traces=opts.max_traces, videos=opts.videos, x="wall_clock_s")
    parts = [lab_section(state), *run_sections(runs, wall)]
    return write_html(out or lab_dir / "report.html", f"locoaudit lab report: {state['lab_id']}", parts)
