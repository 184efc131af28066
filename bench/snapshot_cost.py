"""Cost of the per-iteration rewind snapshot (Trainer.snapshot) relative to one PPO iteration.

Every iteration deep-copies the resumable state first, so Ctrl-C and non-finite training can rewind
to the last finished iteration. This prints the median snapshot time, the median iteration time and
their ratio, measured in one run, and writes bench/out/snapshot_cost-<manifest>-<N>.json.

Run: PYTHONPATH=src .venv/bin/python bench/snapshot_cost.py --manifest go1_flat --num-envs 1024
"""

import argparse
import json
import os
import statistics
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
os.environ.setdefault("MENAGERIE_ROOT", str(HERE.parents[1] / "shared" / "menagerie"))

from locoaudit.manifest import load_manifest  # noqa: E402
from locoaudit.train import session  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--manifest", default="quadruped_flat")
    parser.add_argument("--num-envs", type=int, default=1024)
    parser.add_argument("--iterations", type=int, default=5)
    args = parser.parse_args()
    manifest = load_manifest(args.manifest)
    with tempfile.TemporaryDirectory() as out:
        trainer = session.start(manifest, args.num_envs, 0, Path(out), "cpu", threads=None)
        iteration_s, snapshot_s = [], []
        for _ in range(args.iterations):
            start = time.perf_counter()
            trainer.snapshot()
            snapshot_s.append(time.perf_counter() - start)
            start = time.perf_counter()
            trainer.iteration()  # takes its own snapshot too, as in training
            iteration_s.append(time.perf_counter() - start)
    row = {
        "manifest": args.manifest,
        "num_envs": args.num_envs,
        "snapshot_s_median": statistics.median(snapshot_s),
        "iteration_s_median": statistics.median(iteration_s),
    }
    row["ratio"] = row["snapshot_s_median"] / row["iteration_s_median"]
    print(json.dumps(row))
    (HERE / "out").mkdir(exist_ok=True)
    (HERE / "out" / f"snapshot_cost-{args.manifest}-{args.num_envs}.json").write_text(
        json.dumps(row, indent=2)
    )


if __name__ == "__main__":
    main()
