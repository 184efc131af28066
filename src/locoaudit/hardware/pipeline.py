"""The `locoaudit reproduce` pipeline: variants -> batched replay -> ranking -> report, best-match trace.

Outputs go to a fresh folder (never overwritten): report.json (prior, per-parameter distributions
among reproducing and closest variants, the ranking, the best match) and best.npz, a simulation
trace (source = "reproduction") of the best variant that `locoaudit replay` reproduces bit for bit.
With a run directory, a copy of the report goes to RUN/reproductions/ so `runs show` lists it.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from locoaudit.errors import LocoauditError
from locoaudit.fileio import atomic_write_json
from locoaudit.hardware.report import distributions
from locoaudit.ledger.record import REPRODUCTIONS_DIR
from locoaudit.manifest import canonical_json, manifest_hash
from locoaudit.safety import sha256_hex
from locoaudit.traces import variants
from locoaudit.traces.format import read_trace, write_trace
from locoaudit.traces.reproduce import (
    DISCOUNT_S,
    WEIGHTS,
    Scores,
    check_hardware,
    make_env,
    replay_batch,
    run_steps,
    start_state,
)

RANKING_SHOWN = 20


@dataclass(frozen=True)
class Options:
    variants: int = 256
    seed: int = 0
    ranges: tuple[str, ...] = ()
    grids: tuple[str, ...] = ()
    run_dir: Path | None = None
    open_loop: bool = False
    time_tolerance_s: float = 0.5
    discount_s: float = DISCOUNT_S
    threads: int | None = None
    out: Path | None = None


def reproduce_trace(trace: Path, opt: Options) -> tuple[dict, Path]:
    """Run the pipeline; returns (report, output folder)."""
    header, arrays = read_trace(trace)
    check_hardware(header, trace)
    policy, run_id = _policy(opt, header)
    from locoaudit.manifest import manifest_from_canonical

    manifest = manifest_from_canonical(header["eval_manifest"], f"{trace}: eval_manifest")
    prior = variants.parse_prior(manifest, list(opt.ranges), list(opt.grids))
    values = variants.draw(prior, opt.variants, np.random.default_rng(opt.seed))
    steps, log_fail = run_steps(header), header["failure_step"]
    began = time.perf_counter()
    env = make_env(header, arrays, values, opt.threads, opt.seed)
    scores = replay_batch(env, arrays, steps, log_fail, policy, discount_s=opt.discount_s)
    elapsed = time.perf_counter() - began
    distance, fail_time, fell_match = scores.distance(log_fail, steps, header["dt"])
    reproducing = fell_match & (fail_time <= opt.time_tolerance_s)
    order = np.argsort(distance, kind="stable")
    out = _fresh_folder(opt.out or trace.parent / f"{trace.stem}-reproduce")
    best = int(order[0])
    best_trace, rerun = _write_best(out / "best.npz", header, arrays, values, best, steps, policy, trace, opt)
    same = rerun.joint_rmse[0] == scores.joint_rmse[best] and rerun.fail_step[0] == scores.fail_step[best]
    rows = _ranking(order, values, scores, distance, fail_time, reproducing)
    report = {
        "trace": str(trace),
        "trace_sha256": sha256_hex(trace.read_bytes()),
        "provenance": header.get("provenance"),
        "run_id": run_id,
        "mode": "closed_loop" if policy else "open_loop",
        "variants": opt.variants,
        "seed": opt.seed,
        "steps": steps,
        "dt": header["dt"],
        "log_failure": {
            "step": log_fail,
            "kind": header["reason"],
            "time_s": (log_fail + 1) * header["dt"] if log_fail >= 0 else None,
        },
        "prior": {name: prior.describe(name) for name in variants.PARAMS},
        "weights": WEIGHTS,
        "time_tolerance_s": opt.time_tolerance_s,
        "discount_s": opt.discount_s,
        "reproducing": int(reproducing.sum()),
        "parameters": distributions(values, reproducing, order[: max(1, opt.variants // 20)], best),
        "best": rows[0] | {"trace": str(best_trace), "rerun_matches_batch": bool(same)},
        "ranking": rows[:RANKING_SHOWN],
        "elapsed_s": elapsed,
        "env_steps_per_s": opt.variants * scores.steps_run / elapsed,
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }
    atomic_write_json(out / "report.json", report)
    if opt.run_dir is not None:
        folder = opt.run_dir / REPRODUCTIONS_DIR
        folder.mkdir(exist_ok=True)
        atomic_write_json(_fresh_file(folder, trace.stem), report | {"output": str(out)})
    return report, out


def _policy(opt: Options, header: dict):
    """(policy or None, run id) from --run; the run's robot must be the trace's."""
    if opt.run_dir is None:
        return None, header.get("run_id")
    from locoaudit.evaluate.rollout import torch_policy
    from locoaudit.train.policy import load_policy

    loaded = load_policy(opt.run_dir)
    robot = header["eval_manifest"]["robot"]["name"]
    if loaded.manifest.robot.name != robot:
        raise LocoauditError(
            f"{opt.run_dir}: the run's robot {loaded.manifest.robot.name!r} is not the trace's {robot!r}"
        )
    linked = header.get("run_id")
    if linked and linked != loaded.run_id:
        raise LocoauditError(
            f"{opt.run_dir}: run {loaded.run_id} is not the run the trace links to ({linked})"
        )
    return (None if opt.open_loop else torch_policy(loaded.actor)), loaded.run_id


def _fresh_folder(path: Path) -> Path:
    candidate, k = path, 2
    while candidate.exists():
        candidate, k = path.with_name(f"{path.name}-{k}"), k + 1
    candidate.mkdir(parents=True)
    return candidate


def _fresh_file(folder: Path, stem: str) -> Path:
    path, k = folder / f"{stem}.json", 2
    while path.exists():
        path, k = folder / f"{stem}-{k}.json", k + 1
    return path


def _ranking(order, values, scores, distance, fail_time, reproducing) -> list[dict]:
    rows = []
    for i in order[:RANKING_SHOWN].tolist():
        rows.append(
            {
                "variant": i,
                "distance": float(distance[i]),
                "joint_rmse": float(scores.joint_rmse[i]),
                "orientation": float(scores.orientation[i]),
                "contact": float(scores.contact[i]),
                "fail_step": int(scores.fail_step[i]),
                "fail_kind": str(scores.fail_reason[i]) or None,
                "fail_time_error_s": float(fail_time[i]),
                "reproduces": bool(reproducing[i]),
                "params": {k: float(v[i]) for k, v in values.items()},
            }
        )
    return rows


def _write_best(path, header, arrays, values, best, steps, policy, trace, opt) -> tuple[Path, Scores]:
    """Re-run the best variant alone, recording a replayable trace; returns its path and scores."""
    one = {k: v[[best]] for k, v in values.items()}
    env = make_env(header, arrays, one, threads=1)
    start = start_state(env, 0)
    rec: dict[str, list] = {k: [] for k in ("actions", "commands", "rewards", "qpos", "obs")}

    def record(t: int, obs: dict, actions: np.ndarray, result) -> None:
        rec["obs"].append(obs["actor"][0].astype(np.float32))
        rec["actions"].append(np.asarray(actions[0], dtype=np.float32))
        rec["commands"].append(np.array(arrays["commands"][t], dtype=np.float64))  # as set before the step
        rec["rewards"].append(float(result.reward[0]))
        rec["qpos"].append(env.backend.qpos[0].copy())

    scores = replay_batch(
        env, arrays, steps, header["failure_step"], policy, on_step=record, discount_s=opt.discount_s
    )
    fail = int(scores.fail_step[0])
    rerun_header = {
        "source": "reproduction",
        "run_id": header.get("run_id"),
        "panel": None,
        "cell": "reproduction",
        "episode": best,
        "seed": 0,
        "training_manifest_hash": header.get("training_manifest_hash"),
        "eval_manifest": json.loads(canonical_json(env.manifest)),
        "eval_manifest_hash": manifest_hash(env.manifest),
        "reason": str(scores.fail_reason[0]) if fail >= 0 else "time_out",
        "steps": len(rec["actions"]),
        "push_step": -1,
        "push_dv": [0.0, 0.0],
        "dt": header["dt"],
        "hardware_trace": {"name": trace.name, "sha256": sha256_hex(trace.read_bytes())},
        "variant": {k: float(v[0]) for k, v in one.items()},
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }
    arrays_out = {k: np.array(v) for k, v in rec.items()} | start
    write_trace(path, rerun_header, arrays_out)
    return path, scores
