"""Wall clock and samples until a policy walks, on this machine's CPU (median over seeds).

Trains a manifest (quadruped_flat, go1_flat or go1_rough, or a TOML path) through the same loop as
`locoaudit train` (metrics.jsonl, TensorBoard, checkpoints, Ctrl-C) and every --eval-every
iterations evaluates the current policy deterministically (mean action) on fresh seeds: the
manifest's own terrain, commands from its ranges, full episodes, no pushes, --episodes episodes.
It walks when mean planar-velocity error <= 0.25 m/s (0.3 on go1_rough), yaw-rate error
<= 0.3 rad/s and fall rate <= 5% (and on go1_rough the mean terrain level is at least half the
rows). Training wall clock excludes evaluation time (reported apart). Process CPU seconds
(collect and update, from each iteration's record) are reported too: on a shared machine they, the
samples and the iterations to walk are what compare; wall clock only means something on a quiet one.

Run: PYTHONPATH=src .venv/bin/python bench/time_to_walk.py --manifest quadruped_flat [--seeds 1 2 3]
Writes bench/out/time_to_walk-<manifest>.json.
"""

import argparse
import dataclasses
import json
import sys
import time
from pathlib import Path

import numpy as np

from locoaudit.argtypes import DEFAULT_NUM_ENVS
from locoaudit.evaluate import engine, metrics
from locoaudit.evaluate.conditions import Batch
from locoaudit.evaluate.panel import Cell, Panel, TerrainCell
from locoaudit.evaluate.rollout import torch_policy
from locoaudit.manifest import Manifest, load_manifest
from locoaudit.robots.adapters import use_offline_menagerie
from locoaudit.train import session

HERE = Path(__file__).resolve().parent

WALK = {"lin_vel_error": 0.25, "yaw_rate_error": 0.3, "fall_rate": 0.05}
ROUGH_WALK = {"lin_vel_error": 0.3, "fall_rate": 0.05}


def evaluate(trainer, episodes: int, seed: int) -> dict:
    """One batch of one-episode envs on the training manifest, pushes off, through the panel engine."""
    m = trainer.manifest
    randomization = dataclasses.replace(m.randomization, push_interval=0.0)
    episode = dataclasses.replace(m.episode, randomize_start_phase=False)
    nominal = dataclasses.replace(m, randomization=randomization, episode=episode)
    panel = Panel(
        name="walk_check", episodes=episodes, episode_s=m.episode.length_s, cells=(Cell(name="nominal"),)
    )
    batch = Batch(TerrainCell(), None, nominal, ((0, 0, episodes),))
    policy = torch_policy(trainer.alg.get_policy(), trainer.alg.device)
    log = engine.run_batch(batch, panel, policy, seed, threads=None)
    table = metrics.episode_table(log, nominal.policy_dt, panel.recovery_window_s)
    return {
        "lin_vel_error": float(table["lin_vel_error"].mean()),
        "yaw_rate_error": float(table["yaw_rate_error"].mean()),
        "fall_rate": float(table["fell"].mean()),
    }


def walks(manifest: Manifest, result: dict, terrain_level: float | None) -> bool:
    """The walking criteria (on a grid terrain also: mean terrain level >= half the rows)."""
    if manifest.terrain.type == "grid":
        rows_ok = terrain_level is not None and terrain_level >= manifest.terrain.num_rows / 2
        return rows_ok and all(result[k] <= v for k, v in ROUGH_WALK.items())
    return all(result[k] <= v for k, v in WALK.items())


def run_seed(manifest: Manifest, args: argparse.Namespace, seed: int) -> dict:
    """Train one seed until it walks (or the budget ends); returns its summary and evaluation history."""
    out = HERE / "out" / "runs"
    trainer = session.start(manifest, args.num_envs, seed, out, "cpu", args.threads)
    print(f"run {trainer.run_dir}", flush=True)
    history, walked, eval_s, last = [], [], [0.0], [None]
    spent = dict.fromkeys(("collect_s", "update_s", "collect_cpu_s", "update_cpu_s"), 0.0)

    def on_iteration(record: dict) -> bool:
        for key in spent:
            spent[key] += record[key]
        last[0] = record
        if record["iteration"] % args.eval_every or record["iteration"] < args.eval_from:
            return False
        return check(record)

    def check(record: dict) -> bool:
        t = time.perf_counter()
        result = evaluate(trainer, args.episodes, seed=10_000 + record["iteration"])
        eval_s[0] += time.perf_counter() - t
        row = {k: record[k] for k in ("iteration", "samples", "wall_clock_s")}
        row |= {"cpu_s": spent["collect_cpu_s"] + spent["update_cpu_s"]} | result
        row["terrain_level"] = record["terrain_level"]
        history.append(row)
        print(json.dumps({k: round(v, 3) if isinstance(v, float) else v for k, v in row.items()}), flush=True)
        if walks(manifest, result, record["terrain_level"]):
            walked.append(row)
        return bool(walked)

    session.run(trainer, args.iterations, quiet=True, minutes=args.minutes, on_iteration=on_iteration)
    evaluated = history[-1]["iteration"] if history else None
    if not walked and last[0] is not None and last[0]["iteration"] != evaluated:
        check(last[0])  # where the budget ended, not only where the last --eval-every fell
    c = trainer.counters
    first = walked[0] if walked else None
    collect, update = spent["collect_s"], spent["update_s"]
    cpu = spent["collect_cpu_s"] + spent["update_cpu_s"]
    return {
        "seed": seed,
        "walked": first is not None,
        "time_to_walk_s": None if first is None else first["wall_clock_s"],
        "samples_to_walk": None if first is None else first["samples"],
        "iterations_to_walk": None if first is None else first["iteration"],
        "iterations": c.iteration,
        "cpu_s_to_walk": None if first is None else first["cpu_s"],
        "training_wall_clock_s": c.wall_clock_s,
        "collect_s": collect,
        "update_s": update,
        "collect_fraction": collect / max(collect + update, 1e-9),
        "env_steps_per_s": c.samples / max(collect, 1e-9),
        "training_cpu_s": cpu,
        "collect_cpu_s": spent["collect_cpu_s"],
        "update_cpu_s": spent["update_cpu_s"],
        "cpu_s_per_iteration": cpu / max(c.iteration, 1),
        "collect_cpu_s_per_1k_samples": 1000 * spent["collect_cpu_s"] / max(c.samples, 1),
        "update_cpu_s_per_iteration": spent["update_cpu_s"] / max(c.iteration, 1),
        "evaluation_s": eval_s[0],
        "run_dir": str(trainer.run_dir),
        "history": history,
    }


def median(runs: list[dict], key: str) -> float | None:
    """Median over seeds; a seed that did not walk counts as infinitely slow (None if most did not)."""
    values = sorted(np.inf if r[key] is None else r[key] for r in runs)
    value = float(np.median(values))
    return None if not np.isfinite(value) else value


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--manifest", default="quadruped_flat", help="shipped name or TOML path")
    parser.add_argument(
        "--num-envs", type=int, default=DEFAULT_NUM_ENVS, help=f"parallel envs (default {DEFAULT_NUM_ENVS})"
    )
    parser.add_argument("--minutes", type=float, default=10.0, help="training wall-clock budget per seed")
    parser.add_argument("--iterations", type=int, default=10**9, help="iteration budget per seed")
    parser.add_argument("--eval-every", type=int, default=10)
    parser.add_argument("--eval-from", type=int, default=0, help="no evaluation before this iteration")
    parser.add_argument("--episodes", type=int, default=64)
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--threads", type=int, default=None, help="physics threads (default: the manifest's)")
    parser.add_argument("--tag", default="", help="appended to the JSON file name (ablations side by side)")
    args = parser.parse_args()
    use_offline_menagerie(HERE.parent)
    manifest = load_manifest(args.manifest)
    runs = [run_seed(manifest, args, seed) for seed in args.seeds]
    summary = {
        "manifest": manifest.name,
        "num_envs": args.num_envs,
        "criteria": ROUGH_WALK if manifest.terrain.type == "grid" else WALK,
        "seeds": args.seeds,
        "walked": sum(r["walked"] for r in runs),
        "median_time_to_walk_s": median(runs, "time_to_walk_s"),
        "median_samples_to_walk": median(runs, "samples_to_walk"),
        "median_iterations_to_walk": median(runs, "iterations_to_walk"),
        "median_cpu_s_to_walk": median(runs, "cpu_s_to_walk"),
        "median_cpu_s_per_iteration": float(np.median([r["cpu_s_per_iteration"] for r in runs])),
        "median_collect_fraction": float(np.median([r["collect_fraction"] for r in runs])),
        "median_env_steps_per_s": float(np.median([r["env_steps_per_s"] for r in runs])),
        "ppo": dataclasses.asdict(manifest.ppo),
        "runs": runs,
    }
    out = HERE / "out" / f"time_to_walk-{manifest.name}{'-' + args.tag if args.tag else ''}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(summary, indent=2))
    brief = {k: v for k, v in summary.items() if k not in ("runs", "ppo")}
    brief["per_seed"] = [{k: v for k, v in r.items() if k != "history"} for r in runs]
    print(json.dumps(brief, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
