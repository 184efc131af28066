"""Issue #14 benchmark: `locoaudit reproduce` with 1024 variants of a 10 s log, and its physics-limit ratio.

A 10 s Go1 log (go1_flat, Menagerie) is simulated with planted friction 0.4, a 2 kg payload and a
3-substep delay (stand, squat, splay: traces/synthlog.py), written as an MCAP bag of LowState /
LowCmd and imported. Each round runs the reproduce pipeline (1024 variants drawn from the manifest's
ranges widened to hold the planted values, 2 threads) and times, inside the same run, the batched
physics calls (mujoco.batch rollouts of all variants): ratio = physics seconds / replay seconds is
the fraction of the physics limit reached (1.0: nothing but physics). Both halves of the ratio see
the same load from other processes, so it holds on a shared machine where wall clock does not.

Run: MENAGERIE_ROOT=../shared/menagerie .venv/bin/python bench/reproduce.py [--rounds 3]
Writes bench/out/reproduce.json.
"""

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
os.environ.setdefault("MENAGERIE_ROOT", str(HERE.parents[1] / "shared" / "menagerie"))

from locoaudit.hardware.pipeline import Options, reproduce_trace  # noqa: E402
from locoaudit.manifest import load_manifest  # noqa: E402
from locoaudit.robots.adapters import get_robot  # noqa: E402
from locoaudit.sim.mujoco_cpu import MujocoCpuBackend  # noqa: E402
from locoaudit.traces import synthlog  # noqa: E402
from locoaudit.traces.hardware import import_log  # noqa: E402

PLANTED = {"friction": 0.4, "payload": 2.0, "delay": 3}
RANGES = ("friction=0.3:1.25", "payload=-1:3", "delay=0:4")


def make_trace(folder: Path, manifest_name: str, seconds: float) -> Path:
    """Simulate, write an MCAP bag, import it; returns the hardware trace."""
    m = load_manifest(manifest_name)
    default = np.asarray(get_robot(m.robot.name).default_joint_pos)
    targets = synthlog.splits_targets(default, round(seconds / m.policy_dt), m.policy_dt)
    synthlog.write_bag(folder / "bag", synthlog.record(m, PLANTED, targets), "mcap")
    import_log(folder / "bag", "unitree_go_lowstate", m, folder / "hw.npz")
    return folder / "hw.npz"


class PhysicsClock:
    """Accumulates the wall time of MujocoCpuBackend.step calls on batches of `n` envs."""

    def __init__(self, n: int):
        self.n, self.seconds, self._step = n, 0.0, MujocoCpuBackend.step
        clock = self

        def timed(backend, control):
            began = time.perf_counter()
            try:
                return clock._step(backend, control)
            finally:
                if backend.num_envs == clock.n:
                    clock.seconds += time.perf_counter() - began

        MujocoCpuBackend.step = timed

    def close(self) -> None:
        MujocoCpuBackend.step = self._step


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--manifest", default="go1_flat")
    parser.add_argument("--variants", type=int, default=1024)
    parser.add_argument("--seconds", type=float, default=10.0, help="log length [s]")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--out", default=str(HERE / "out" / "reproduce.json"))
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        trace = make_trace(Path(tmp), args.manifest, args.seconds)
        print(f"log simulated, written and imported in {time.perf_counter() - t0:.1f} s", flush=True)
        for r in range(args.rounds):
            clock = PhysicsClock(args.variants)
            began = time.perf_counter()
            opt = Options(
                variants=args.variants, seed=r, ranges=RANGES, threads=args.threads, out=Path(tmp) / f"r{r}"
            )
            try:
                report, _ = reproduce_trace(trace, opt)
            finally:
                clock.close()
            wall = time.perf_counter() - began
            rows.append(_row(report, wall, clock.seconds, args.variants * report["steps"]))
            print(_line(rows[-1]), flush=True)
    summary = {
        k: statistics.median(row[k] for row in rows) for k in ("wall_s", "replay_s", "physics_s", "ratio")
    }
    result = {
        "manifest": args.manifest,
        "variants": args.variants,
        "log_s": args.seconds,
        "threads": args.threads,
        "cpus": os.cpu_count(),
        "planted": PLANTED,
        "rounds": rows,
        "median": summary,
    }
    print(
        f"median: reproduce {summary['wall_s']:.1f} s wall ({summary['replay_s']:.1f} s batched replay, "
        f"{summary['physics_s']:.1f} s of it physics), physics-limit ratio {summary['ratio']:.2f}"
    )
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=2))
    print(f"wrote {args.out}")
    return 0


def _row(report: dict, wall: float, phys: float, env_steps: int) -> dict:
    closest = {k: report["parameters"][k]["closest"]["p50"] for k in PLANTED}
    best = {k: report["best"]["params"][k] for k in PLANTED}
    return {
        "wall_s": wall,
        "replay_s": report["elapsed_s"],
        "physics_s": phys,
        "ratio": phys / report["elapsed_s"],
        "env_steps": env_steps,
        "steps": report["steps"],
        "reproducing": report["reproducing"],
        "best": best,
        "closest_median": closest,
    }


def _line(row: dict) -> str:
    fmt = lambda d: ", ".join(f"{k} {v:.3g}" for k, v in d.items())  # noqa: E731
    return (
        f"reproduce {row['wall_s']:.1f} s wall, batched replay {row['replay_s']:.1f} s "
        f"({row['env_steps'] / row['replay_s']:,.0f} env-steps/s), physics {row['physics_s']:.1f} s, "
        f"ratio {row['ratio']:.2f} | best: {fmt(row['best'])} "
        f"| closest 5% median: {fmt(row['closest_median'])}"
    )


if __name__ == "__main__":
    sys.exit(main())
