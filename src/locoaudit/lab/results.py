"""The lab's results: per job scale and held-out figures, construct-matched deltas, one sentence per panel.

Time to walk is read from the training log: the first iteration whose training-time velocity-tracking
error is at most WALK_ERROR m/s and whose fall fraction (of the episodes that ended) is at most
WALK_FALLS; null when never reached within the budget. Deltas compare every level with the lowest one,
seed by seed, on matched panel hashes, and are refused (with the reason) when the two runs differ in
anything but num_envs: manifest hash, seed, threads, device or code commit.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from locoaudit.errors import LocoauditError
from locoaudit.lab.plan import job_label, run_dir
from locoaudit.lab.run import kinds
from locoaudit.ledger.compare import GATE_METRICS, INSUFFICIENT, Delta, summary_deltas
from locoaudit.ledger.evaluation import Evaluation, parse_evaluation
from locoaudit.ledger.record import read_metrics
from locoaudit.train.rundir import read_run

WALK_ERROR, WALK_FALLS = 0.25, 0.05
KIND_TEXT = {
    "heldout": "held-out",
    "transfer": "transfer: the exported policy in Genesis",
    "solver_sensitivity": "MuJoCo with perturbed solver settings",
}
MATCHED_KEYS = ("manifest_hash", "seed", "threads", "device")
SHOWN = {"fall_rate": "fall rate", "lin_vel_error": "velocity error [m/s]"}


def time_to_walk(rows: list[dict[str, Any]]) -> dict[str, Any] | None:
    """First iteration meeting the walking thresholds in training, with its wall clock and samples."""
    for r in rows:
        err, falls = (r.get("tracking") or {}).get("lin_vel_error"), r.get("fall_fraction")
        if err is not None and falls is not None and err <= WALK_ERROR and falls <= WALK_FALLS:
            return {"iteration": r["iteration"], "wall_clock_s": r["wall_clock_s"], "samples": r["samples"]}
    return None


def _evaluation(path: Path) -> Evaluation:
    try:
        return parse_evaluation(json.loads(path.read_text()), str(path))
    except (OSError, json.JSONDecodeError) as exc:
        raise LocoauditError(f"{path}: unreadable evaluation: {exc}") from None


def _estimates(metrics: dict) -> dict[str, Any]:
    return {m: metrics[m].to_json() for m in ("fall_rate", "lin_vel_error", "time_to_fall_s") if m in metrics}


def job_result(lab_dir: Path, state: dict[str, Any], job: dict[str, Any]) -> dict[str, Any]:
    """Scale, time to walk, held-out metrics with intervals and failure counts of one finished job."""
    path = run_dir(lab_dir, job)
    assert path is not None
    rows = read_metrics(path / "metrics.jsonl")
    last = rows[-1]
    out: dict[str, Any] = {
        "label": job_label(job),
        "num_envs": job["num_envs"],
        "seed": job["seed"],
        "run": job["run"],
        "wall_clock_s": last["wall_clock_s"],
        "samples": last["samples"],
        "samples_per_s": last["samples"] / last["wall_clock_s"],
        "iterations": last["iteration"],
        "gradient_steps": last["updates"],
        "time_to_walk": time_to_walk(rows),
        "evaluations": {},
    }
    for key, name in job["evaluations"].items():
        ev = _evaluation(path / "evaluations" / name)
        reasons, by_cell = failure_counts(ev)
        out["evaluations"][key] = {
            "file": name,
            "panel_hash": ev.panel_hash,
            "simulator": ev.simulator,
            "summary": _estimates(ev.summary),
            "cells": {c.name: _estimates(c.metrics) for c in ev.cells},
            "failures_by_reason": reasons,
            "failures_by_cell": by_cell,
            "traces": len(ev.traces or ()),
        }
    return out


def failure_counts(ev: Evaluation) -> tuple[dict[str, int], dict[str, int]]:
    """Failed episodes (one trace each) by termination reason and by cell."""
    reasons: dict[str, int] = {}
    by_cell: dict[str, int] = {}
    for cell in ev.cells:
        counts = cell.failure_reasons
        by_cell[cell.name] = sum(counts.values())
        for reason, n in counts.items():
            reasons[reason] = reasons.get(reason, 0) + n
    return reasons, by_cell


def construct_mismatch(a: dict[str, Any], b: dict[str, Any]) -> str | None:
    """Why two runs are not construct-matched apart from num_envs, or None when they are."""
    diffs = [f"{k} {a.get(k)!r} vs {b.get(k)!r}" for k in MATCHED_KEYS if a.get(k) != b.get(k)]
    ca, cb = a.get("code") or {}, b.get("code") or {}
    if (ca.get("package"), ca.get("git_commit")) != (cb.get("package"), cb.get("git_commit")):
        diffs.append(f"code {ca.get('git_commit')} vs {cb.get('git_commit')}")
    if a.get("resumes") or b.get("resumes"):
        forced = [r for r in (a.get("resumes") or []) + (b.get("resumes") or []) if r.get("forced")]
        if forced:
            diffs.append("a run was resumed with --force")
    return "; ".join(diffs) or None


def _delta_json(d: Delta) -> dict[str, Any]:
    return {
        "metric": d.metric,
        "a": d.a.value,
        "b": d.b.value,
        "delta": d.value,
        "ci": [d.lo, d.hi],
        "verdict": d.verdict,
    }


def deltas(lab_dir: Path, state: dict[str, Any]) -> list[dict[str, Any]]:
    """Each level against the lowest, seed by seed, per panel and kind; refused pairs say why."""
    base_level = min(state["levels"])
    jobs = {(j["num_envs"], j["seed"]): j for j in state["jobs"] if j["trained"]}
    out = []
    for (level, seed), job in sorted(jobs.items()):
        base = jobs.get((base_level, seed))
        if level == base_level or base is None:
            continue
        ra, rb = read_run(run_dir(lab_dir, base)), read_run(run_dir(lab_dir, job))
        refused = construct_mismatch(ra, rb)
        for panel in state["panels"]:
            for kind in kinds(state):
                key = f"{panel}:{kind}"
                entry = {"panel": panel, "kind": kind, "seed": seed, "a": base_level, "b": level}
                if refused:
                    out.append(entry | {"refused": f"not construct-matched: {refused}"})
                    continue
                if key not in base["evaluations"] or key not in job["evaluations"]:
                    continue
                ea = _evaluation(run_dir(lab_dir, base) / "evaluations" / base["evaluations"][key])
                eb = _evaluation(run_dir(lab_dir, job) / "evaluations" / job["evaluations"][key])
                if ea.panel_hash != eb.panel_hash:
                    out.append(
                        entry | {"refused": f"panel hashes differ ({ea.short_hash} vs {eb.short_hash})"}
                    )
                    continue
                out.append(entry | {"deltas": [_delta_json(d) for d in summary_deltas(ea, eb, GATE_METRICS)]})
    return out


def _mean(values: list[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return sum(present) / len(present) if present else None


def conclusions(state: dict[str, Any], jobs: list[dict[str, Any]], pairs: list[dict[str, Any]]) -> list[str]:
    """One plain sentence per panel (and kind): did the extra parallelism improve locomotion, with numbers."""
    lo, hi = min(state["levels"]), max(state["levels"])
    out = []
    for panel in state["panels"]:
        for kind in kinds(state):
            key = f"{panel}:{kind}"
            matched = [p for p in pairs if p["panel"] == panel and p["kind"] == kind and p["b"] == hi]
            refused = [p for p in matched if "refused" in p]
            judged = [p for p in matched if "deltas" in p]
            where = f"On '{panel}' ({KIND_TEXT.get(kind, kind)})"
            skipped = [j["skipped"][key] for j in state["jobs"] if key in j.get("skipped", {})]
            if skipped:
                out.append(f"{where}: not evaluated: {skipped[0]}.")
                continue
            if refused and not judged:
                out.append(f"{where}: no comparison: {refused[0]['refused']}.")
                continue
            if not judged:
                out.append(f"{where}: no comparison yet (a level or seed has not finished).")
                continue
            out.append(
                f"{where}, {hi} vs {lo} envs under {_budget(state)}: {_numbers(jobs, key, lo, hi)}; "
                f"{_verdict(judged)}"
            )
    return out


def _budget(state: dict[str, Any]) -> str:
    b = state["budget"]
    return (
        f"an equal {b['minutes']:g}-minute budget"
        if b["minutes"] is not None
        else f"{b['samples']} samples each"
    )


def _numbers(jobs: list[dict[str, Any]], key: str, lo: int, hi: int) -> str:
    parts = []
    for metric, name in SHOWN.items():
        vals = {}
        for level in (lo, hi):
            vals[level] = _mean(
                [
                    j["evaluations"][key]["summary"].get(metric, {}).get("value")
                    for j in jobs
                    if j["num_envs"] == level and key in j["evaluations"]
                ]
            )
        parts.append(f"{name} {_fmt(vals[lo])} -> {_fmt(vals[hi])}")
    return ", ".join(parts) + " (mean over seeds)"


def _fmt(x: float | None) -> str:
    return "n/a" if x is None else f"{x:.3g}"


def _verdict(judged: list[dict[str, Any]]) -> str:
    better = sum(1 for p in judged if _pair_verdict(p) == "better")
    worse = sum(1 for p in judged if _pair_verdict(p) == "worse")
    n = len(judged)
    short = sum(1 for p in judged if _pair_verdict(p) == "insufficient")
    if short == n:
        return (
            f"not judged: too few evaluation episodes per cell for the panel's minimum in {short} of {n} "
            "seed(s) (raise --episodes)."
        )
    counts = f"better beyond the intervals in {better} of {n} seed(s), worse in {worse}"
    if better == n:
        return f"extra parallelism improved locomotion ({counts})."
    if worse == n:
        return f"extra parallelism made locomotion worse ({counts})."
    if better == worse == 0:
        return f"no evidence that extra parallelism changed locomotion ({counts})."
    return f"mixed evidence ({counts})."


def _pair_verdict(pair: dict[str, Any]) -> str:
    verdicts = {d["verdict"] for d in pair["deltas"]}
    if INSUFFICIENT in verdicts:
        return "insufficient"
    if "worse" in verdicts:
        return "worse"
    return "better" if "better" in verdicts else "same"


def throughput_sentence(jobs: list[dict[str, Any]], lo: int, hi: int) -> str:
    """Did the loop scale: samples/s and samples within the budget, low vs high level (means over seeds)."""
    rate = {n: _mean([j["samples_per_s"] for j in jobs if j["num_envs"] == n]) for n in (lo, hi)}
    samples = {n: _mean([j["samples"] for j in jobs if j["num_envs"] == n]) for n in (lo, hi)}
    ratio = rate[hi] / rate[lo] if rate[lo] and rate[hi] else None
    return (
        f"Throughput: {hi} envs trained at {_fmt(rate[hi])} samples/s vs {_fmt(rate[lo])} at {lo} envs "
        f"(x{_fmt(ratio)}), {_fmt(samples[hi])} vs {_fmt(samples[lo])} samples in the budget."
    )


def summarize(lab_dir: Path, state: dict[str, Any]) -> dict[str, Any]:
    """The lab's results from its finished jobs."""
    jobs = [job_result(lab_dir, state, j) for j in state["jobs"] if j["trained"]]
    pairs = deltas(lab_dir, state)
    lo, hi = min(state["levels"]), max(state["levels"])
    return {
        "jobs": jobs,
        "deltas": pairs,
        "throughput": throughput_sentence(jobs, lo, hi),
        "conclusions": conclusions(state, jobs, pairs),
    }
