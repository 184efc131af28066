"""Run directories built by hand (no training) for ledger and audit tests.

Importable from any test folder: tests/ is on sys.path through tests/conftest.py.
"""

import json
from pathlib import Path

from locoaudit.manifest import canonical_json, manifest_hash

PANEL_HASH = "a" * 64
OTHER_HASH = "b" * 64


def evaluation(
    run_id,
    fall=(0.10, 0.05, 0.15),
    vel=(0.20, 0.18, 0.22),
    *,
    panel="disturbance",
    panel_hash=PANEL_HASH,
    kind="heldout",
    simulator="mujoco_cpu",
    seed=0,
    iteration=3,
    episodes=64,
    cells=("push_1.0",),
):
    """An evaluation in the old file form (no panel_spec, no counts n); fall, vel: (value, lo, hi)."""
    metrics = {
        "fall_rate": {"value": fall[0], "ci": [fall[1], fall[2]]},
        "lin_vel_error": {"value": vel[0], "ci": [vel[1], vel[2]]},
        "time_to_fall_s": {"value": None, "ci": None},
    }
    return {
        "run_id": run_id,
        "panel": panel,
        "panel_hash": panel_hash,
        "manifest_hash": "0" * 64,
        "seed": seed,
        "kind": kind,
        "simulator": simulator,
        "held_out": True,
        "checkpoint_iteration": iteration,
        "created": "2026-11-25T10:00:00+00:00",
        "env_steps_per_s": 12000.0,
        "cells": [{"name": name, "episodes": episodes, "metrics": metrics} for name in cells],
        "summary": metrics,
    }


def with_spec(ev, min_episodes=32, floor=None):
    """`ev` with an embedded panel_spec (declaring min_episodes and a floor) and the matching panel_hash."""
    from locoaudit.evaluate.panel import spec_hash

    cells = [{"name": c["name"]} for c in ev["cells"]]
    spec = {"name": ev["panel"], "min_episodes": min_episodes, "floor": floor or {}, "cells": cells}
    return ev | {"panel_spec": spec, "panel_hash": spec_hash(spec)}


def write_run_dir(
    path: Path,
    manifest,
    run_id: str,
    evaluations=(),
    num_envs=16,
    rates=(1000.0, 3000.0, 2000.0),
    findings: list[dict] | None = None,
) -> Path:
    """run.json, manifest.json, metrics.jsonl (one line per rate), evaluations/*.json, optional audit.json."""
    (path / "evaluations").mkdir(parents=True)
    (path / "manifest.json").write_text(canonical_json(manifest))
    run = {
        "run_id": run_id,
        "manifest_name": manifest.name,
        "manifest_hash": manifest_hash(manifest),
        "seed": 0,
        "num_envs": num_envs,
        "threads": 1,
        "device": "cpu",
        "created": "2026-11-25T09:00:00+00:00",
        "argv": [],
        "code": {"package": "0.1.0", "git_commit": "c0ffee" * 6, "git_dirty": False},
        "libraries": {},
        "machine": {},
        "resumes": [],
    }
    (path / "run.json").write_text(json.dumps(run))
    per_iteration = num_envs * manifest.ppo.num_steps_per_env
    rows = [
        {
            "iteration": i,
            "samples": per_iteration * i,
            "updates": 20 * i,
            "wall_clock_s": 1.5 * i,
            "env_steps_per_s": rate,
            "fall_fraction": 0.5,
        }
        for i, rate in enumerate(rates, start=1)
    ]
    (path / "metrics.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    for i, ev in enumerate(evaluations):
        (path / "evaluations" / f"{ev['panel']}-{i}.json").write_text(json.dumps(ev))
    if findings is not None:
        body = {
            "findings": findings,
            "created": "2026-11-25T11:00:00+00:00",
            "manifest_hash": run["manifest_hash"],
        }
        (path / "audit.json").write_text(json.dumps(body))
    return path
