"""`locoaudit eval`: a run's policy on a held-out panel, with intervals and failure traces.

The verb lives in transfer/, not evaluate/: `--transfer` runs the second engine, and transfer sits
above evaluate.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from locoaudit import argtypes
from locoaudit.argtypes import positive_int
from locoaudit.errors import LocoauditError
from locoaudit.options import Common

DESCRIPTION = (
    "Evaluate a run's latest policy (deterministic mean actions) on a panel of terrain x "
    "disturbance cells. Panels overlapping the training manifest are refused unless --allow-overlap. "
    "Results go to RUN/evaluations/ (never overwritten); each failed episode writes a replayable trace."
)


def _cmd_eval(args: argparse.Namespace) -> int:
    from locoaudit.evaluate.report import format_results
    from locoaudit.evaluate.run import evaluate_run

    def progress(done: int, total: int) -> None:
        if not args.json:
            print(f"  shard {done}/{total} done", file=sys.stderr, flush=True)

    if args.transfer and args.ray:
        raise LocoauditError("eval: --ray runs MuJoCo shards; --transfer (Genesis) runs in-process only")
    if args.transfer:
        from locoaudit.transfer.run import evaluate_transfer

        policy = Path(args.policy) if args.policy else None
        result, path = evaluate_transfer(
            Path(args.run),
            args.panel,
            args.episodes,
            args.seed,
            args.allow_overlap,
            progress,
            onnx=policy,
            shard_episodes=args.shard_episodes,
        )
    else:
        from locoaudit.parallel import executor

        result, path = evaluate_run(
            Path(args.run),
            args.panel,
            args.episodes,
            args.seed,
            args.allow_overlap,
            args.threads,
            progress,
            transfer=args.solver_sensitivity,
            executor=executor(args.ray),
            shard_episodes=args.shard_episodes,
            sim_device=args.device,
        )
    print(json.dumps(result.to_json(), indent=2) if args.json else format_results(result))
    print(f"results: {path}", file=sys.stderr)
    return 0


def register(verbs: argparse._SubParsersAction, common: Common) -> None:
    """Add `eval` to the top-level subcommands."""
    ev = verbs.add_parser(
        "eval",
        parents=[
            common.seed(None, "evaluation seed (default: the panel's)"),
            common.threads,
            common.ray,
            common.json("print the full results as JSON"),
        ],
        help="evaluate a run on a held-out panel (metrics with 95%% intervals, failure traces)",
        description=DESCRIPTION,
    )
    ev.add_argument("run", help="run directory")
    ev.add_argument(
        "--panel", required=True, help="shipped panel (heldout_terrain, disturbance, nominal) or .toml"
    )
    ev.add_argument(
        "--episodes", type=positive_int, default=None, help="episodes per cell (default: the panel's)"
    )
    ev.add_argument(
        "--allow-overlap", action="store_true", help="evaluate an overlapping panel (held_out: false)"
    )
    ev.add_argument(
        "--device",
        type=argtypes.device,
        default="cpu",
        help="where Warp simulates a run trained with sim.backend = 'warp': cpu (default), cuda or cuda:N",
    )
    mode = ev.add_mutually_exclusive_group()
    mode.add_argument(
        "--transfer",
        action="store_true",
        help="run the exported ONNX policy in the second simulator (Genesis, CPU) after a contract read-back",
    )
    mode.add_argument(
        "--solver-sensitivity",
        action="store_true",
        help="the same MuJoCo with perturbed solver settings (cheap; not a second simulator)",
    )
    ev.add_argument(
        "--shard-episodes",
        type=positive_int,
        default=None,
        help="cut each terrain batch into shards of at most N episodes, each with its own seed "
        "(recorded; the results depend on N, not on where shards run); default: one shard per batch",
    )
    ev.add_argument("--policy", help="ONNX file for --transfer (default: export the run's latest checkpoint)")
    ev.set_defaults(func=_cmd_eval)
