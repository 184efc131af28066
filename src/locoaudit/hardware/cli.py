"""`locoaudit import` and `locoaudit reproduce`: hardware logs on the command line."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from locoaudit.argtypes import positive_int
from locoaudit.options import Common
from locoaudit.traces.variants import PARAMS


def _cmd_import(args: argparse.Namespace) -> int:
    from locoaudit.errors import LocoauditError
    from locoaudit.manifest import load_manifest
    from locoaudit.traces.hardware import import_log
    from locoaudit.train.rundir import load_run_manifest, read_run

    run_id = None
    if args.run:
        run_id = read_run(Path(args.run)).get("run_id")
        manifest = load_run_manifest(Path(args.run)) if not args.manifest else load_manifest(args.manifest)
    elif args.manifest:
        manifest = load_manifest(args.manifest)
    else:
        raise LocoauditError("import: give --manifest M (or --run RUN_DIR to use the run's manifest)")
    header = import_log(Path(args.log), args.mapping, manifest, Path(args.out), run_id)
    prov = header["provenance"]
    fail = header["failure_step"]
    what = f"fails ({header['reason']}) after step {fail}" if fail >= 0 else "no failure"
    print(
        f"{args.out}: hardware trace, {header['steps']} steps at {1 / header['dt']:g} Hz, {what}; "
        f"log sha256 {prov['log_sha256'][:12]}, mapping {prov['mapping']['name']} {prov['mapping_hash'][:12]}"
    )
    return 0


def _cmd_reproduce(args: argparse.Namespace) -> int:
    from locoaudit.hardware.pipeline import Options, reproduce_trace
    from locoaudit.hardware.report import format_report

    opt = Options(
        variants=args.variants,
        seed=args.seed,
        ranges=tuple(args.range or ()),
        grids=tuple(args.grid or ()),
        run_dir=Path(args.run) if args.run else None,
        open_loop=args.open_loop,
        time_tolerance_s=args.time_tolerance,
        discount_s=args.discount,
        threads=args.threads,
        out=Path(args.out) if args.out else None,
    )
    report, out = reproduce_trace(Path(args.trace), opt)
    if args.cell_into:
        from locoaudit.hardware.panelcell import add_cell

        name, dropped = add_cell(Path(args.cell_into), report, Path(args.trace).stem)
        note = f" (not panel fields, left out: {', '.join(dropped)})" if dropped else ""
        print(f"{args.cell_into}: added cell {name}{note}", file=sys.stderr)
    print(json.dumps(report, indent=2) if args.json else format_report(report))
    print(f"report: {out / 'report.json'}; best match: {report['best']['trace']}", file=sys.stderr)
    return 0


def register(verbs: argparse._SubParsersAction, common: Common) -> None:
    """Add `import` and `reproduce` to the top-level subcommands."""
    imp = verbs.add_parser(
        "import",
        help="import a robot log (ROS 2 bag: MCAP / sqlite3, or CSV) as a hardware trace",
        description="Check a log (topics, message types, timestamps, NaN, joint count, units), map it onto "
        "the model with a mapping TOML (joint order, signs, offsets, units, target field), resample it to "
        "the policy rate and write a hardware trace with provenance. A bad log writes nothing.",
    )
    imp.add_argument("log", help="rosbag2 bag folder, .mcap or .db3 file, or .csv file")
    imp.add_argument("--mapping", required=True, help="mapping TOML (or shipped name: unitree_go_lowstate)")
    imp.add_argument("--manifest", help="environment manifest (default: the run's, with --run)")
    imp.add_argument("--run", help="run directory whose policy produced the log (linked in the trace)")
    imp.add_argument("-o", "--out", required=True, help="trace file to write (.npz)")
    imp.set_defaults(func=_cmd_import)

    rep = verbs.add_parser(
        "reproduce",
        parents=[
            common.seed(0, "seed of the variant draw (default 0)"),
            common.threads,
            common.json("print the report as JSON"),
        ],
        help="replay a hardware trace under N model variants and rank them by distance to the log",
        description="Start N envs from the logged initial state, each with model parameters drawn from "
        "the manifest's randomisation ranges (or --range / --grid), replay the logged joint targets "
        "(open loop; closed loop with --run's policy under the logged commands) and rank the variants. "
        "Writes report.json and best.npz (replayable bit for bit with `locoaudit replay`).",
    )
    rep.add_argument("trace", help="hardware trace (.npz from `locoaudit import`)")
    rep.add_argument("--variants", type=positive_int, default=256, help="number of variants (default 256)")
    rep.add_argument("--run", help="run directory: closed loop with its policy; the report is filed there")
    rep.add_argument("--open-loop", action="store_true", help="with --run: still replay the logged targets")
    names = ", ".join(PARAMS)
    rep.add_argument(
        "--grid", action="append", metavar="NAME=V1,V2|LO:HI:N", help=f"grid a parameter ({names})"
    )
    rep.add_argument("--range", action="append", metavar="NAME=LO:HI", help="uniform prior for a parameter")
    rep.add_argument(
        "--time-tolerance", type=float, default=0.5, help="failure-time tolerance [s] (default 0.5)"
    )
    rep.add_argument(
        "--discount",
        type=float,
        default=1.0,
        help="time constant [s] of the weights of later steps in the distance (0: all alike; default 1)",
    )
    rep.add_argument("-o", "--out", help="output folder (default TRACE-reproduce, never overwritten)")
    rep.add_argument("--cell-into", metavar="PANEL.toml", help="append the best match as a panel cell")
    rep.set_defaults(func=_cmd_reproduce)
