"""`locoaudit replay`: re-run a failure trace and check that it reproduces bit for bit."""

from __future__ import annotations

import argparse
from pathlib import Path

from locoaudit.options import Common


def _cmd_replay(args: argparse.Namespace) -> int:
    from locoaudit.traces.replay import replay

    report = replay(Path(args.trace))
    print(report.line())
    return 0 if report.reproduced else 1


def register(verbs: argparse._SubParsersAction, common: Common) -> None:
    """Add `replay` to the top-level subcommands."""
    rp = verbs.add_parser(
        "replay",
        help="replay a failure trace and check that it reproduces bit for bit",
        description="Re-run a trace (.npz from `locoaudit eval`) in a one-env batch of the "
        "same environment family; exit 0 if it reproduces bit for bit, 1 if not.",
    )
    rp.add_argument("trace", help="trace file (.npz)")
    rp.set_defaults(func=_cmd_replay)
