"""Issue #16 benchmark: a panel evaluation in-process vs sharded over a local Ray, in one run.

Builds an untrained quadruped_flat run (its policy falls: every episode runs until it fails, which is
the heaviest trace load), evaluates --panel with --episodes per cell, cut into shards of
--shard-episodes, first in this process, then as Ray tasks on a local Ray with --cpus CPUs (started
here, loopback only), twice: the first Ray call includes the workers' imports (torch, MuJoCo), the
second is warm. Prints wall seconds and the in-process / Ray ratios and checks that both give the
same evaluation. On the 2 shared cores of the development machine the ratio mostly measures the
sharing; run it on a machine with idle cores.

Run: PYTHONPATH=src .venv/bin/python bench/ray_eval.py [--panel disturbance --episodes 32 --shard-episodes 32]
Writes bench/out/ray_eval.json.
"""

import argparse
import dataclasses
import json
import os
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")  # a local Ray on 127.0.0.1 only
os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")

from locoaudit.evaluate.run import evaluate_run  # noqa: E402
from locoaudit.manifest import load_manifest  # noqa: E402
from locoaudit.parallel import RayExecutor  # noqa: E402
from locoaudit.train import session  # noqa: E402

VOLATILE = {"created", "env_steps_per_s", "traces"}


def timed(fn, *args, **kwargs):
    start, cpu = time.perf_counter(), time.process_time()
    out = fn(*args, **kwargs)
    return time.perf_counter() - start, time.process_time() - cpu, out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--panel", default="disturbance")
    parser.add_argument("--episodes", type=int, default=32, help="episodes per cell")
    parser.add_argument("--shard-episodes", type=int, default=32)
    parser.add_argument("--cpus", type=int, default=os.cpu_count())
    parser.add_argument("--episode-s", type=float, default=5.0)
    args = parser.parse_args()
    import ray

    with tempfile.TemporaryDirectory() as tmp:
        m = load_manifest("quadruped_flat")
        m = dataclasses.replace(m, sim=dataclasses.replace(m.sim, threads=1))
        trainer = session.start(m, 4, 1, Path(tmp), "cpu", threads=1)
        trainer.save()
        run = trainer.run_dir
        kw = dict(
            episodes=args.episodes, threads=1, shard_episodes=args.shard_episodes, episode_s=args.episode_s
        )
        local_s, local_cpu, (local, _) = timed(evaluate_run, run, args.panel, **kw)
        init_s, _, _ = timed(ray.init, address="local", num_cpus=args.cpus, include_dashboard=False)
        ex = RayExecutor("auto")
        cold_s, _, (cold, _) = timed(evaluate_run, run, args.panel, executor=ex, **kw)
        warm_s, warm_cpu, (warm, _) = timed(evaluate_run, run, args.panel, executor=ex, **kw)
        ray.shutdown()
    same = all(
        {k: v for k, v in r.to_json().items() if k not in VOLATILE}
        == {k: v for k, v in local.to_json().items() if k not in VOLATILE}
        for r in (cold, warm)
    )
    out = {
        "panel": args.panel,
        "episodes_per_cell": args.episodes,
        "shard_episodes": args.shard_episodes,
        "episode_s": args.episode_s,
        "ray_cpus": args.cpus,
        "in_process_s": local_s,
        "in_process_cpu_s": local_cpu,
        "ray_init_s": init_s,
        "ray_cold_s": cold_s,
        "ray_warm_s": warm_s,
        "ray_warm_driver_cpu_s": warm_cpu,
        "ratio_in_process_over_ray_warm": local_s / warm_s,
        "ratio_in_process_over_ray_cold": local_s / cold_s,
        "same_evaluation": same,
        "load_average_1min": os.getloadavg()[0],
        "cpu_count": os.cpu_count(),
    }
    print(json.dumps(out, indent=2))
    (HERE / "out").mkdir(exist_ok=True)
    (HERE / "out" / "ray_eval.json").write_text(json.dumps(out, indent=2) + "\n")


if __name__ == "__main__":
    main()
