"""`locoaudit report RUN|LAB`: the self-contained HTML report."""

from __future__ import annotations

import argparse
from pathlib import Path

from locoaudit import argtypes
from locoaudit.argtypes import non_negative_int
from locoaudit.options import Common


def _cmd_report(args: argparse.Namespace) -> int:
    from locoaudit.lab.plan import is_lab_dir
    from locoaudit.report.build import report_run
    from locoaudit.report.lab import report_lab
    from locoaudit.report.sections import Options

    target = Path(args.target)
    opts = Options(max_traces=args.max_traces, videos=args.videos)
    out = Path(args.output) if args.output else None
    make = report_lab if is_lab_dir(target) else report_run
    path = make(target, out, args.ledger, opts)
    print(path)
    return 0


def register(verbs: argparse._SubParsersAction, common: Common) -> None:
    rep = verbs.add_parser(
        "report",
        help="one self-contained HTML report of a run or a lab (plots, evidence, failure filmstrips)",
        description="Write one HTML file that opens offline: learning curves, reward terms, terminations, "
        "PPO statistics, held-out intervals per cell, the transfer gap, gate decisions, audit findings and "
        "a filmstrip per failure trace (plus a MuJoCo-rendered GIF where an offscreen GL context exists).",
    )
    rep.add_argument("target", help="run directory (or lab directory from `locoaudit lab`)")
    rep.add_argument(
        "-o", "--output", type=argtypes.out_file, help="HTML file to write (default TARGET/report.html)"
    )
    rep.add_argument("--ledger", default=None, help="ledger URL for gate decisions (default: beside the run)")
    rep.add_argument(
        "--max-traces", type=non_negative_int, default=12, help="filmstrips per run (default 12)"
    )
    rep.add_argument(
        "--videos", type=non_negative_int, default=1, help="MuJoCo-rendered GIFs per run (default 1; 0: none)"
    )
    rep.set_defaults(func=_cmd_report)
