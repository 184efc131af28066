"""`locoaudit eval`: evaluate a run's policy on a panel, write results and failure traces."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from locoaudit.errors import LocoauditError
from locoaudit.evaluate import conditions, metrics, shards
from locoaudit.evaluate.engine import MakeEnv
from locoaudit.evaluate.panel import Panel, load_panel, panel_hash, shortened
from locoaudit.evaluate.record import SOLVER_SENSITIVITY_SIMULATOR, CellResult, Evaluation, parse_metrics
from locoaudit.evaluate.rollout import Policy
from locoaudit.fileio import atomic_write_json
from locoaudit.manifest import Manifest, manifest_hash, to_plain
from locoaudit.parallel import Executor, InProcess
from locoaudit.safety import inside
from locoaudit.traces.format import write_trace
from locoaudit.train.policy import load_policy

SIMULATORS = {"mujoco": "mujoco_cpu", "warp": "mujoco_warp"}  # sim.backend -> Evaluation.simulator


@dataclass(frozen=True)
class OtherEngine:
    """Another physics engine for an evaluation's batches (kind 'transfer'): how to build its envs,
    which policy drives them, which batches it cannot run and why, and the checks done first."""

    simulator: str
    policy: Policy
    make_env: MakeEnv
    unsupported: Callable[[Manifest], str | None]
    evidence: dict


def check_held_out(manifest, panel: Panel, allow_overlap: bool) -> bool:
    """True when every cell is held out; raises unless --allow-overlap otherwise."""
    problems = [f"{c.name}: {why}" for c in panel.cells for why in conditions.overlaps(manifest, c)]
    if problems and not allow_overlap:
        shown = "; ".join(problems[:3]) + ("; ..." if len(problems) > 3 else "")
        raise LocoauditError(
            f"panel {panel.name!r} overlaps the run's training manifest ({shown}); "
            "use --allow-overlap to evaluate anyway (results marked held_out: false)"
        )
    return not problems


def evaluate_run(
    run_dir: Path,
    panel_name: str,
    episodes: int | None = None,
    seed: int | None = None,
    allow_overlap: bool = False,
    threads: int | None = None,
    progress=None,
    transfer: bool = False,
    episode_s: float | None = None,
    other: OtherEngine | None = None,
    executor: Executor | None = None,
    shard_episodes: int | None = None,
    sim_device: str = "cpu",
) -> tuple[Evaluation, Path]:
    """Evaluate, write evaluations/<panel>-<hash12>-s<seed>.json (never overwriting) and traces.

    episode_s shortens the panel's episodes (panel.shortened: pushes move inside them); the panel hash
    then changes with it, so such results are never construct-matched with full-length ones.
    `transfer` runs MuJoCo with perturbed solver settings (kind solver_sensitivity); `other` runs the
    batches in another engine (kind transfer). sim_device: where Warp runs (sim.backend = warp).
    The episodes run as shards (evaluate.shards) on `executor` (default: in this process; Ray with
    --ray); this driver merges them in order and writes the evaluation and its traces once.
    """
    loaded = load_policy(run_dir)
    panel = load_panel(panel_name)
    if episode_s is not None:
        panel = shortened(panel, episode_s)
    held_out = check_held_out(loaded.manifest, panel, allow_overlap)
    seed = panel.seed if seed is None else seed
    phash = panel_hash(panel)
    out_dir = run_dir / "evaluations"
    tag = "-transfer" if other else ("-solver" if transfer else "")
    path = _fresh_path(out_dir, f"{panel.name}-{phash[:12]}-s{seed}{tag}")
    trace_dir = inside(out_dir / "traces", path.stem)
    batches = conditions.plan_batches(loaded.manifest, panel, episodes, transfer)
    planned = shards.plan_shards(batches, panel, seed, threads, shard_episodes, sim_device)
    todo, skipped = planned, {}
    if other:
        todo = []
        for shard in planned:
            reason = other.unsupported(shard.manifest())
            if reason:
                skipped |= {panel.cells[i].name: reason for i, _, _ in shard.slices}
            else:
                todo.append(shard)
    results = _run_shards(todo, loaded, other, executor or InProcess(), progress)
    tables: dict[int, list] = {i: [] for i in range(len(panel.cells))}
    traces, rates = [], []
    for shard, res in zip(todo, results, strict=True):
        for cell_index, first, n in shard.slices:
            tables[cell_index].append({key: v[first : first + n] for key, v in res.table.items()})
        header = {
            "run_id": loaded.run_id,
            "panel": panel.name,
            "panel_hash": phash,
            "seed": shard.seed,
            "training_manifest_hash": manifest_hash(loaded.manifest),
        }
        if not other:  # traces replay in MuJoCo only
            traces += _write_traces(trace_dir, shard, res, header)
        rates.append((res.steps, res.steps / res.seconds if res.seconds > 0 else 0.0))
    result = _results(loaded, panel, phash, seed, held_out, tables, batches, traces, run_dir, skipped)
    if shard_episodes is not None:
        result = dataclasses.replace(result, extra={**result.extra, "shard_episodes": shard_episodes})
    if transfer:
        result = dataclasses.replace(
            result, kind="solver_sensitivity", simulator=SOLVER_SENSITIVITY_SIMULATOR
        )
    if other:
        extra = {**result.extra, "deployment": other.evidence}
        result = dataclasses.replace(result, kind="transfer", simulator=other.simulator, extra=extra)
    result = dataclasses.replace(result, env_steps_per_s=pooled_rate(rates))
    if result.simulator == SIMULATORS["warp"]:
        result = dataclasses.replace(result, extra={**result.extra, "sim_device": sim_device})
    out_dir.mkdir(exist_ok=True)
    atomic_write_json(path, result.to_json())
    return result, path


def pooled_rate(batches: list[tuple[int, float]]) -> float | None:
    """Env-steps/s of batches run one after another, from each batch's (steps, steps/s):
    all steps over all stepping seconds; None when no batch stepped."""
    timed = [(n, rate) for n, rate in batches if n > 0 and rate > 0]
    seconds = sum(n / rate for n, rate in timed)
    return sum(n for n, _ in timed) / seconds if seconds else None


def _run_shards(todo, loaded, other: OtherEngine | None, executor: Executor, progress) -> list:
    """Each shard's result, in plan order; another engine's envs and policy run in this process."""
    done = [0]

    def count(_index: int, _result) -> None:
        done[0] += 1
        if progress:
            progress(done[0], len(todo))

    if other:
        out = []
        for k, shard in enumerate(todo):
            out.append(shards.run_shard(shard, None, other.policy, other.make_env))
            count(k, out[-1])
        return out
    return executor.map(shards.run_shard, todo, shared=shards.policy_blob(loaded), on_result=count)


def _fresh_path(folder: Path, stem: str) -> Path:
    path, k = inside(folder, f"{stem}.json"), 2
    while path.exists():  # never overwrite an earlier evaluation
        path, k = inside(folder, f"{stem}-{k}.json"), k + 1
    return path


def _results(loaded, panel, phash, seed, held_out, tables, batches, traces, run_dir, skipped) -> Evaluation:
    dt_s = batches[0].manifest.policy_dt
    cells, pooled = [], []
    if len(skipped) == len(panel.cells):
        raise LocoauditError(f"panel {panel.name!r}: no cell can run here ({next(iter(skipped.values()))})")
    for index, cell in enumerate(panel.cells):
        if cell.name in skipped:
            continue
        table = metrics.concat(tables[index])
        pooled.append(table)
        estimates, counts = parse_metrics(metrics.cell_metrics(table, dt_s), f"cells[{index}].metrics")
        cells.append(CellResult(cell.name, len(table["fell"]), estimates, counts))
    summary, counts = parse_metrics(metrics.cell_metrics(metrics.concat(pooled), dt_s), "summary")
    return Evaluation(
        run_id=loaded.run_id,
        panel=panel.name,
        panel_hash=phash,
        manifest_hash=manifest_hash(loaded.manifest),
        seed=seed,
        kind="heldout",
        simulator=SIMULATORS[loaded.manifest.sim.backend],
        held_out=held_out,
        checkpoint_iteration=loaded.iteration,
        created=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        cells=tuple(cells),
        summary=summary,
        failure_reasons=counts,
        traces=tuple(str(p.relative_to(run_dir)) for p in traces),
        panel_spec=to_plain(panel),
        extra={"skipped_cells": [{"name": name, "reason": why} for name, why in skipped.items()]}
        if skipped
        else {},
    )


def _write_traces(folder: Path, shard: shards.Shard, res: shards.ShardResult, header: dict) -> list[Path]:
    """One trace per failed episode of the shard, named by its env index in the batch."""
    if not res.failures:
        return []
    folder.mkdir(parents=True, exist_ok=True)
    manifest = shard.manifest()
    eval_manifest = json.loads(shard.manifest_json)
    paths = []
    for f in res.failures:
        i = f["env"]
        cell_index = next(c for c, first, n in shard.slices if first <= i < first + n)
        name = shard.panel.cells[cell_index].name
        episode = shard.first + i
        path = inside(folder, f"{name}-seed{shard.terrain_seed}-env{episode}.npz")
        write_trace(
            path,
            header
            | {
                "cell": name,
                "episode": episode,
                "eval_manifest": eval_manifest,
                "eval_manifest_hash": manifest_hash(manifest),
                "reason": f["reason"],
                "steps": f["steps"],
                "push_step": f["push_step"],
                "push_dv": f["push_dv"],
                "dt": manifest.policy_dt,
                "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            },
            f["arrays"],
        )
        paths.append(path)
    return paths
