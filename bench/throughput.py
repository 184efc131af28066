"""Issue #2 throughput benchmark: `locoaudit bench throughput` at the benchmark's sizes.

Sweeps N = 256, 1024, 4096 for go1_flat and go1_rough (random actions) through the command itself,
prints each row with the ratio measured in the same process, and writes JSON to
bench/out/throughput.json.
Run: PYTHONPATH=src .venv/bin/python bench/throughput.py [--seconds 20]
"""

import argparse
import sys
from pathlib import Path

from locoaudit.cli import main as locoaudit
from locoaudit.robots.adapters import use_offline_menagerie

HERE = Path(__file__).resolve().parent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", default="20")
    parser.add_argument("--num-envs", nargs="+", default=["256", "1024", "4096"])
    parser.add_argument("--manifests", nargs="+", default=["go1_flat", "go1_rough"])
    parser.add_argument("--out", default=str(HERE / "out" / "throughput.json"))
    args = parser.parse_args()
    use_offline_menagerie(HERE.parent)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    argv = ["bench", "throughput", "--seconds", args.seconds, "--out", args.out]
    argv += [x for m in args.manifests for x in ("--manifest", m)]
    argv += [x for n in args.num_envs for x in ("--num-envs", n)]
    code = locoaudit(argv)
    if code == 0:
        print(f"wrote {args.out}")
    return code


if __name__ == "__main__":
    sys.exit(main())
