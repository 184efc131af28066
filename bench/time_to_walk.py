"""Issue #3 benchmark: wall clock and samples until a policy walks, on this machine's CPU.

Trains a manifest (default go1_flat, Menagerie Go1 with the feet-contact model) and every
--eval-every iterations evaluates the current policy deterministically (mean action) on fresh
seeds: flat ground, commands from the manifest's ranges, 20 s episodes, --episodes episodes,
no pushes. The policy walks when mean planar-velocity tracking error <= 0.25 m/s, yaw-rate error
<= 0.3 rad/s and fall rate <= 5%. Training wall clock excludes evaluation time (reported apart).

Run: MENAGERIE_ROOT=../shared/menagerie .venv/bin/python bench/time_to_walk.py [--minutes 10]
Writes bench/out/time_to_walk-<manifest>.json.
"""

import argparse
import dataclasses
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
os.environ.setdefault("MENAGERIE_ROOT", str(HERE.parents[1] / "shared" / "menagerie"))

from locoaudit.evaluate import engine, metrics  # noqa: E402
from locoaudit.evaluate.conditions import Batch  # noqa: E402
from locoaudit.evaluate.panel import Cell, Panel, TerrainCell  # noqa: E402
from locoaudit.evaluate.rollout import torch_policy  # noqa: E402
from locoaudit.manifest import load_manifest  # noqa: E402
from locoaudit.train import session  # noqa: E402

WALK = {"lin_vel_error": 0.25, "yaw_rate_error": 0.3, "fall_rate": 0.05}


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
        "eval_env_steps_per_s": log.env_steps_per_s,
    }


def walks(metrics: dict) -> bool:
    return all(metrics[k] <= v for k, v in WALK.items())


def train_until_walking(trainer, args, log) -> tuple[list, float, dict | None]:
    """Train within the wall-clock budget, evaluating every eval_every iterations; stop once it walks."""
    history, eval_s = [], 0.0
    while trainer.counters.wall_clock_s < args.minutes * 60:
        record = trainer.iteration()
        log.write(json.dumps(record) + "\n")
        log.flush()
        if record["iteration"] % args.eval_every:
            continue
        t = time.perf_counter()
        metrics = evaluate(trainer, args.episodes, seed=10_000 + record["iteration"])
        eval_s += time.perf_counter() - t
        row = {
            k: record[k] for k in ("iteration", "samples", "wall_clock_s", "collect_s", "update_s")
        } | metrics
        history.append(row)
        print(json.dumps({k: round(v, 3) if isinstance(v, float) else v for k, v in row.items()}), flush=True)
        if walks(metrics):
            return history, eval_s, row
    return history, eval_s, None


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--manifest", default="go1_flat")
    parser.add_argument("--num-envs", type=int, default=1024)
    parser.add_argument("--minutes", type=float, default=10.0, help="training wall-clock budget")
    parser.add_argument("--eval-every", type=int, default=25)
    parser.add_argument("--episodes", type=int, default=64)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    manifest = load_manifest(args.manifest)
    trainer = session.start(manifest, args.num_envs, args.seed, HERE / "out" / "runs", "cpu", None)
    print(f"run {trainer.run_dir}", flush=True)
    with open(trainer.run_dir / session.METRICS, "a") as log:  # the run's ledger, as `locoaudit train` writes
        history, eval_s, result = train_until_walking(trainer, args, log)
    trainer.save()
    summary = {
        "manifest": manifest.name,
        "num_envs": args.num_envs,
        "criteria": WALK,
        "walked": result is not None,
        "time_to_walk_s": None if result is None else result["wall_clock_s"],
        "samples_to_walk": None if result is None else result["samples"],
        "iterations": trainer.counters.iteration,
        "training_wall_clock_s": trainer.counters.wall_clock_s,
        "evaluation_s": eval_s,
        "collect_fraction": float(
            np.sum([h["collect_s"] for h in history])
            / max(np.sum([h["collect_s"] + h["update_s"] for h in history]), 1e-9)
        ),
        "ppo": dataclasses.asdict(manifest.ppo),
        "run_dir": str(trainer.run_dir),
        "history": history,
    }
    out = HERE / "out" / f"time_to_walk-{manifest.name}.json"
    out.write_text(json.dumps(summary, indent=2))
    print(json.dumps({k: v for k, v in summary.items() if k not in ("history", "ppo")}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
