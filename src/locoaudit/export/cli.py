"""`locoaudit export`: write a run's policy as ONNX, or check an ONNX file against a manifest."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from locoaudit.errors import LocoauditError
from locoaudit.options import Common


def load_manifest_or_run(name: str):
    """A manifest by shipped name or .toml path, or the frozen manifest of a run directory."""
    from locoaudit.manifest import load_manifest
    from locoaudit.train.rundir import load_run_manifest

    path = Path(name)
    return load_run_manifest(path) if path.is_dir() else load_manifest(name)


def check_file(path: Path, manifest_name: str) -> list[str]:
    """Mismatches between an exported file's contract and a manifest's, one line each."""
    from locoaudit.export.contract import compare_contracts, deployment_contract
    from locoaudit.export.onnx_policy import read_contract

    contract = read_contract(path)
    return compare_contracts(contract, deployment_contract(load_manifest_or_run(manifest_name)))


def _cmd_export(args: argparse.Namespace) -> int:
    if args.check:
        if not args.manifest:
            raise LocoauditError("export --check: give --manifest M to check against")
        problems = check_file(Path(args.check), args.manifest)
        for line in problems:
            print(f"{args.check}: {line}")
        if not problems:
            print(f"{args.check}: matches {args.manifest}")
        return 1 if problems else 0
    if not args.run:
        raise LocoauditError("export: give a run directory (or --check FILE --manifest M)")
    from locoaudit.export.onnx_policy import export_policy
    from locoaudit.train.policy import load_policy

    run = Path(args.run)
    checkpoint = None
    if args.checkpoint is not None:
        checkpoint = run / "checkpoints" / f"model_{args.checkpoint}.pt"
        if not checkpoint.is_file():
            raise LocoauditError(f"{checkpoint}: no such checkpoint")
    loaded = load_policy(run, checkpoint)
    out = Path(args.output) if args.output else run / "export" / f"policy_{loaded.iteration}.onnx"
    contract = export_policy(loaded, out)
    names = ", ".join(t["name"] for t in contract["observation"]["terms"])
    print(f"{out}: run {loaded.run_id} iteration {loaded.iteration}", file=sys.stderr)
    print(f"  obs {contract['observation']['size']} ({names}) -> {len(contract['joint_names'])} actions")
    print(out)
    return 0


def register(verbs: argparse._SubParsersAction, common: Common) -> None:
    """Add `export` to the top-level subcommands."""
    ex = verbs.add_parser(
        "export",
        help="export a run's policy as ONNX with its deployment contract, or check a file",
        description="Write the actor (normaliser folded into the graph) as ONNX; the metadata key "
        "'locoaudit.contract' holds joint names in action order, default pose, kp/kd, limits, action "
        "scale and clip, observation terms with sizes and scales, policy dt and decimation, the manifest "
        "hash and the run id. With --check, compare a file's contract with a manifest's: one line per "
        "mismatch, exit 1 when there is any.",
    )
    ex.add_argument("run", nargs="?", help="run directory")
    ex.add_argument("--checkpoint", type=int, default=None, help="iteration N (default: the latest)")
    ex.add_argument("-o", "--output", help="output file (default RUN/export/policy_<iteration>.onnx)")
    ex.add_argument("--check", metavar="FILE", help="check an exported file against --manifest")
    ex.add_argument("--manifest", help="manifest name, .toml path or run directory for --check")
    ex.set_defaults(func=_cmd_export)
