"""`locoaudit runs add|list|show|compare` and `locoaudit promote`: the ledger on the command line."""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from locoaudit.ledger import actions
from locoaudit.ledger.compare import compare_runs
from locoaudit.ledger.gap import sim_to_sim_gaps
from locoaudit.ledger.record import build_record, record_json
from locoaudit.ledger.report import format_compare, format_decision, format_list, format_record
from locoaudit.ledger.store import Ledger, open_ledger
from locoaudit.options import Common


@contextmanager
def _ledger(args: argparse.Namespace, *runs: str) -> Iterator[Ledger]:
    """The ledger of --ledger or --runs-dir; created only when something may be added to it."""
    create = args.func in (_cmd_add, _cmd_promote) or any(actions.is_run_dir(r) for r in runs)
    ledger = open_ledger(args.ledger, Path(args.runs_dir), create=create)
    try:
        yield ledger
    finally:
        ledger.close()


def _cmd_add(args: argparse.Namespace) -> int:
    built = build_record(Path(args.run_dir))  # a bad run directory creates no ledger file
    with _ledger(args) as ledger:
        record = actions.add_run(ledger, Path(args.run_dir), built)
    print(f"added {record.run_id} to {ledger.url} ({len(record.evaluations)} evaluations)")
    return 0


def _cmd_list(args: argparse.Namespace) -> int:
    with _ledger(args) as ledger:
        records = ledger.list_runs()
    if args.json:
        print(json.dumps([record_json(r) for r in records], indent=2, sort_keys=True))
    else:
        print(format_list(records) if records else f"no runs in {ledger.url}")
    return 0


def _cmd_show(args: argparse.Namespace) -> int:
    with _ledger(args, args.run) as ledger:
        record = actions.resolve(ledger, args.run)
    print(json.dumps(record_json(record), indent=2, sort_keys=True) if args.json else format_record(record))
    return 0


def _cmd_compare(args: argparse.Namespace) -> int:
    with _ledger(args, args.a, args.b) as ledger:
        a, b = actions.resolve(ledger, args.a), actions.resolve(ledger, args.b)
    print(format_compare(compare_runs(a, b, args.panel)))
    return 0


def _cmd_promote(args: argparse.Namespace) -> int:
    with _ledger(args, args.run) as ledger:
        candidate = actions.resolve(ledger, args.run)
        decision = actions.promote(
            ledger,
            candidate,
            list(dict.fromkeys(args.panel)),
            bootstrap=args.bootstrap,
            without_transfer=args.without_transfer,
            override_findings=args.override_findings,
        )
    print(format_decision(candidate.run_id, decision))
    for panel in dict.fromkeys(args.panel):  # what the transfer leg saw: MuJoCo -> second engine per cell
        print("\n".join(f"  {line}" for line in sim_to_sim_gaps(candidate.evaluations, panel)))
    return 0 if decision.promoted else 1


def _ledger_options() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--runs-dir", default="runs", help="folder of run directories; the ledger is its ledger.sqlite"
    )
    common.add_argument(
        "--ledger",
        metavar="URL",
        help="ledger database: sqlite:///abs/path.sqlite, a file path, or postgresql://USER@HOST[:PORT]/DB "
        "(a shared ledger; password from PGPASSWORD or ~/.pgpass)",
    )
    return common


def register(verbs: argparse._SubParsersAction, common: Common) -> None:
    """Add `runs` (add, list, show, compare) and `promote` to the top-level subcommands."""
    ledger = _ledger_options()
    runs = verbs.add_parser("runs", help="run records in the ledger: add, list, show, compare")
    rsub = runs.add_subparsers(dest="action", required=True, metavar="ACTION")
    add = rsub.add_parser(
        "add",
        parents=[ledger],
        help="(re)build a run's record from its directory and upsert it with its evaluations",
        description="Read run.json, manifest.json, metrics.jsonl and evaluations/ of a run directory, write "
        "its record.json and upsert the record and evaluations into the ledger.",
    )
    add.add_argument("run_dir", metavar="RUN_DIR")
    add.set_defaults(func=_cmd_add)
    lst = rsub.add_parser(
        "list",
        parents=[ledger, common.json("print the run records as JSON")],
        help="table of the runs in the ledger",
    )
    lst.set_defaults(func=_cmd_list)
    show = rsub.add_parser(
        "show",
        parents=[ledger, common.json("print record.json")],
        help="a run's record: scale figures beside evidence",
    )
    show.add_argument("run", metavar="RUN", help="run id in the ledger, or a run directory (added first)")
    show.set_defaults(func=_cmd_show)
    cmp = rsub.add_parser(
        "compare",
        parents=[ledger],
        help="per-cell deltas B - A on one panel (same panel hash required) and manifest differences",
        description="Deltas B - A with the conservative interval [loB - hiA, hiB - loA]; better/worse only "
        "when it excludes 0, by each metric's direction (higher/lower for metrics without one). A cell with "
        "fewer episodes than the panel's min_episodes is 'insufficient evidence'. Refuses unless both runs "
        "were evaluated with the same panel hash.",
    )
    cmp.add_argument("a", metavar="A", help="run id or run directory")
    cmp.add_argument("b", metavar="B", help="run id or run directory")
    cmp.add_argument("--panel", required=True, help="panel name, e.g. disturbance")
    cmp.set_defaults(func=_cmd_compare)
    _add_promote(verbs, ledger)


def _add_promote(verbs: argparse._SubParsersAction, ledger: argparse.ArgumentParser) -> None:
    promote = verbs.add_parser(
        "promote",
        parents=[ledger],
        help="promote a run to champion of its task if the gate passes (exit 0), else refuse (exit 1)",
        description="Compare the run with its task's champion on each named panel: held-out fall_rate and "
        "lin_vel_error must be none worse and one better beyond their intervals, per panel, and so must "
        "transfer metrics (kind transfer, required on every panel). Every evaluation needs the panel's "
        "min_episodes per cell, and the run must meet the panel's competence floor, even with --bootstrap. "
        "Every decision is appended to the ledger's promotion log.",
    )
    promote.add_argument("run", metavar="RUN", help="run id in the ledger, or a run directory (added first)")
    promote.add_argument("--panel", action="append", required=True, help="panel name (repeatable)")
    promote.add_argument("--bootstrap", action="store_true", help="promote the first run of a task")
    promote.add_argument(
        "--without-transfer",
        action="store_true",
        help="accept panels without transfer evidence (recorded in the log, with the panels)",
    )
    promote.add_argument(
        "--override-findings", action="store_true", help="promote despite blocking findings (recorded)"
    )
    promote.set_defaults(func=_cmd_promote)
