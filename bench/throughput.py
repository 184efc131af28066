"""Issue #2 throughput benchmark: env-steps/s vs the raw mujoco.rollout physics limit.

Sweeps N = 256, 1024, 4096 for go1_flat and go1_rough (random actions), prints each row with the
ratio measured in the same process, and writes JSON to bench/out/throughput.json.
Run: MENAGERIE_ROOT=../shared/menagerie .venv/bin/python bench/throughput.py [--seconds 20]
"""

import argparse
import json
import os
import sys
from pathlib import Path

from locoaudit.bench.throughput import format_row, measure_isolated

HERE = Path(__file__).resolve().parent
os.environ.setdefault("MENAGERIE_ROOT", str(HERE.parents[1] / "shared" / "menagerie"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--num-envs", type=int, nargs="+", default=[256, 1024, 4096])
    parser.add_argument("--manifests", nargs="+", default=["go1_flat", "go1_rough"])
    parser.add_argument("--out", default=str(HERE / "out" / "throughput.json"))
    args = parser.parse_args()
    rows = []
    for manifest in args.manifests:
        for n in args.num_envs:
            row = measure_isolated(manifest, n, args.seconds, None)
            rows.append(row)
            print(format_row(row), flush=True)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(rows, indent=2))
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
