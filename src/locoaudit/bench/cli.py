"""`locoaudit bench throughput`: env-steps/s of the task beside the raw physics rate of its model."""

from __future__ import annotations

import argparse
import json

from locoaudit import argtypes
from locoaudit.options import Common

DESCRIPTION = (
    "Random-action env-steps/s of the full task next to the raw mujoco.rollout rate of the "
    "identical compiled model and decimation (the physics limit), their ratio and peak memory."
)


def _cmd_throughput(args: argparse.Namespace) -> int:
    from locoaudit.bench.throughput import sweep

    results = sweep(args.manifest, args.num_envs, args.seconds, args.threads)
    if args.json:
        print(json.dumps(results, indent=2))
    if args.out:
        with open(args.out, "w") as f:
            json.dump(results, f, indent=2)
    return 0


def register(verbs: argparse._SubParsersAction, common: Common) -> None:
    """Add `bench` (throughput) to the top-level subcommands."""
    bench = verbs.add_parser("bench", help="benchmarks")
    actions = bench.add_subparsers(dest="action", required=True, metavar="ACTION")
    thr = actions.add_parser(
        "throughput",
        parents=[common.threads, common.json("print results as JSON on stdout")],
        help="env-steps/s vs the raw mujoco.rollout physics rate",
        description=DESCRIPTION,
    )
    thr.add_argument("--manifest", action="append", required=True, help="manifest name or path (repeatable)")
    thr.add_argument(
        "--num-envs", type=argtypes.num_envs, action="append", required=True, help="batch size (repeatable)"
    )
    thr.add_argument(
        "--seconds",
        type=argtypes.positive_float,
        default=20.0,
        help="measurement time per configuration (default 20)",
    )
    thr.add_argument("--out", type=argtypes.out_file, help="also write the JSON results to this file")
    thr.set_defaults(func=_cmd_throughput)
