"""The report's sections, each built from one or more runs (label -> RunData) so a lab reuses them."""

from __future__ import annotations

import tempfile
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from locoaudit.ledger.evaluation import Evaluation, latest
from locoaudit.report import evidence, figures
from locoaudit.report.data import RunData
from locoaudit.report.filmstrip import filmstrip
from locoaudit.report.page import esc, image, note, num, pre, section, table
from locoaudit.report.video import render_gif

Section = tuple[str, str, str]  # (id, title, html)
Runs = Mapping[str, RunData]
TABLE_METRICS = ("fall_rate", "lin_vel_error", "yaw_rate_error", "time_to_fall_s", "push_recovery_rate")


@dataclass(frozen=True)
class Options:
    """How much of the failure evidence to draw; the x axis of training plots."""

    max_traces: int = 12  # filmstrips per run
    videos: int = 1  # MuJoCo-rendered GIFs per run
    x: str = "iteration"


def _make(ident: str, title: str, parts: list[str]) -> Section:
    return ident, title, section(ident, title, parts)


def summary(runs: Runs) -> Section:
    rows = []
    for label, d in runs.items():
        last = d.metrics[-1]
        rows.append(
            [
                label,
                d.run_id,
                d.run.get("manifest_name"),
                d.run.get("manifest_hash", "")[:12],
                d.run.get("num_envs"),
                last.get("iteration"),
                last.get("samples"),
                float(last.get("wall_clock_s", 0.0)),
                float(np.median(figures._values(d.metrics, "env_steps_per_s"))),
                d.run.get("seed"),
            ]
        )
    headers = ["", "run", "manifest", "hash", "envs", "iterations", "samples", "wall clock s",
               "env-steps/s (median)", "seed"]  # fmt: skip
    return _make("summary", "Run", [table(headers, rows)])


def training(runs: Runs, x: str) -> list[Section]:
    """Learning curves, time split, reward terms, terminations, PPO statistics, curriculum."""
    metrics = {label: d.metrics for label, d in runs.items()}
    out = [
        _make("learning", "Learning curves", [image(figures.learning_curves(metrics, x), "learning curves")]),
        _make("timing", "Collect / update split", [image(figures.time_split(metrics), "time split")]),
        _make("rewards", "Reward decomposition", [image(figures.reward_terms(metrics, x), "reward terms")]),
        _make(
            "terminations",
            "Termination reasons",
            [image(figures.terminations(metrics, x), "termination reasons")],
        ),
        _make(
            "ppo",
            "Advantages, clip fraction and KL",
            [
                image(figures.advantages(metrics, x), "advantages"),
                image(figures.ppo_health(metrics, x), "ppo"),
            ],
        ),
    ]
    level = figures.curriculum(metrics, x)
    parts = [image(level, "curriculum")] if level else [note("no terrain curriculum in this run")]
    return [*out, _make("curriculum", "Curriculum level", parts)]


def _latest_by_panel(d: RunData, kind: str) -> dict[str, Evaluation]:
    panels = sorted({e.panel for e in d.evaluations if e.kind == kind})
    return {p: latest([e for e in d.evaluations if e.panel == p and e.kind == kind]) for p in panels}


def _estimate(ev_cell) -> str:
    e = ev_cell
    return "n/a" if e.value is None else f"{num(e.value)} [{num(e.lo)}, {num(e.hi)}]"


def heldout(runs: Runs) -> Section:
    panels = sorted({p for d in runs.values() for p in _latest_by_panel(d, "heldout")})
    if not panels:
        return _make("heldout", "Held-out evaluation", [note("no held-out evaluation yet (locoaudit eval)")])
    parts = []
    for panel in panels:
        labelled = [(lbl, ev) for lbl, d in runs.items() if (ev := _latest_by_panel(d, "heldout").get(panel))]
        hashes = ", ".join(sorted({ev.short_hash for _, ev in labelled}))
        parts.append(f"<h3>panel {esc(panel)} <small>({esc(hashes)})</small></h3>")
        parts.append(image(evidence.intervals_figure(labelled), f"{panel} intervals"))
        rows = [
            [
                lbl,
                cell.name,
                cell.episodes,
                *(_estimate(cell.metrics.get(m, evidence.MISSING)) for m in TABLE_METRICS),
            ]
            for lbl, ev in labelled
            for cell in ev.cells
        ]
        parts.append(table(["", "cell", "episodes", *TABLE_METRICS], rows))
    return _make("heldout", "Held-out evaluation", parts)


def transfer(runs: Runs) -> Section:
    parts = []
    for label, d in runs.items():
        held = _latest_by_panel(d, "heldout")
        moved = {
            (p, k): e for k in ("transfer", "solver_sensitivity") for p, e in _latest_by_panel(d, k).items()
        }
        for panel, kind in sorted(k for k in moved if k[0] in held):
            a, b = held[panel], moved[(panel, kind)]
            if a.panel_hash != b.panel_hash:
                parts.append(note(f"{label} {panel}: held-out and {kind} used different panel hashes"))
                continue
            parts.append(
                f"<h3>{esc(label)}: panel {esc(panel)}, {esc(kind)}: "
                f"{esc(b.simulator)} vs {esc(a.simulator)}</h3>"
            )
            parts.append(image(evidence.gap_figure(a, b), f"{panel} {kind} gap"))
            rows = [
                [
                    cell,
                    m,
                    num(dl.a.value),
                    num(dl.b.value),
                    num(dl.value),
                    f"[{num(dl.lo)}, {num(dl.hi)}]",
                    dl.verdict,
                ]
                for m in ("fall_rate", "lin_vel_error")
                for cell, dl in evidence.transfer_gaps(a, b, m)
            ]
            parts.append(
                table(["cell", "metric", "held-out", "transfer", "gap", "interval", "verdict"], rows)
            )
    if not parts:
        parts = [note("no transfer or solver-sensitivity evaluation matching a held-out one")]
    return _make("transfer", "Transfer / solver-sensitivity gap per cell", parts)


def gate(runs: Runs) -> Section:
    rows = [
        [label, p.decided, p.decision, p.champion_id or "none",
         ", ".join(f"{n} {h[:12]}" for n, h in p.panels),
         "; ".join(p.reasons) or "-", "; ".join(p.evidence) or "-", "; ".join(p.overrides) or "-"]
        for label, d in runs.items()
        for p in d.promotions
    ]  # fmt: skip
    headers = ["", "decided", "decision", "champion", "panels", "reasons", "evidence", "overrides"]
    parts = [table(headers, rows)] if rows else [note("no gate decision in the ledger for this run")]
    return _make("gate", "Gate decisions", parts)


def audit(runs: Runs) -> Section:
    parts = []
    for label, d in runs.items():
        if not d.findings:
            parts.append(note(f"{label}: no audit.json (locoaudit audit RUN)"))
            continue
        parts.append(f"<h3>{esc(label)}</h3>")
        for f in sorted(
            d.findings, key=lambda f: ("error", "warning", "info").index(f.get("severity", "info"))
        ):
            sev = esc(f.get("severity"))
            resolved = f" (resolved: {esc(f['resolution'])})" if f.get("resolution") else ""
            parts.append(
                f'<p><b class="{sev}">{sev}</b> {esc(f.get("audit"))}.{esc(f.get("check"))}: '
                f"{esc(f.get('message'))}{resolved}</p>{pre(f.get('numbers', {}))}"
            )
    return _make("audit", "Audit findings", parts)


def _pick(traces: list[tuple[Path, dict]], limit: int) -> list[tuple[Path, dict]]:
    """Up to `limit` traces, taking one of each (cell, reason) in turn so every kind of failure shows."""
    groups: dict[tuple[str, str], list] = {}
    for item in traces:
        groups.setdefault((item[1]["cell"], item[1]["reason"]), []).append(item)
    picked: list = []
    while len(picked) < limit and any(groups.values()):
        for key in sorted(groups):
            if groups[key] and len(picked) < limit:
                picked.append(groups[key].pop(0))
    return picked


def failures(runs: Runs, headers: Mapping[Path, dict], opts: Options) -> Section:
    parts = []
    cache: dict = {}
    for label, d in runs.items():
        found = [(p, headers[p]) for p in d.traces]
        parts.append(f"<h3>{esc(label)}: {len(found)} failure trace(s)</h3>")
        if not found:
            continue
        by_reason = Counter(h["reason"] for _, h in found)
        by_cell = Counter((h["panel"], h["cell"]) for _, h in found)
        parts.append(table(["termination reason", "traces"], sorted(by_reason.items())))
        parts.append(table(["panel", "cell", "traces"], [[p, c, n] for (p, c), n in sorted(by_cell.items())]))
        shown = _pick(found, opts.max_traces)
        if len(shown) < len(found):
            parts.append(note(f"filmstrips of {len(shown)} of {len(found)} traces (one per cell and reason "
                              "in turn); raise --max-traces to draw more"))  # fmt: skip
        for k, (path, _) in enumerate(shown):
            png, _ = filmstrip(path, cache)
            name = path.relative_to(d.run_dir.resolve())
            parts.append(f"<h4>{esc(name)}</h4>" + image(png, f"filmstrip {name}"))
            if k < opts.videos:
                parts.append(_video(path))
    return _make("traces", "Failure traces", parts)


def _video(path: Path) -> str:
    with tempfile.TemporaryDirectory() as tmp:
        gif = Path(tmp) / "trace.gif"
        ok, why = render_gif(path, gif)
        return (
            image(gif.read_bytes(), "MuJoCo rendering", "image/gif") + note(why)
            if ok
            else note(f"MuJoCo video skipped: {why}")
        )
