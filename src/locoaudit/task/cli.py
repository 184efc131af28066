"""`locoaudit manifest check|list`: validate, hash and list environment manifests.

The verb lives in task/, not manifest/: `check` also checks the manifest against the task (its PPO
batch at --num-envs), and the manifest package sits below the task.
"""

from __future__ import annotations

import argparse
import json

from locoaudit import argtypes
from locoaudit.manifest.load import canonical_json, load_manifest, manifest_hash, shipped_names
from locoaudit.options import Common


def _cmd_check(args: argparse.Namespace) -> int:
    from locoaudit.task.checks import load_checked

    manifest = load_checked(args.manifest, args.num_envs)
    digest = manifest_hash(manifest)
    if args.json:
        plain = json.loads(canonical_json(manifest))
        print(
            json.dumps({"name": manifest.name, "sha256": digest, "manifest": plain}, indent=2, sort_keys=True)
        )
        return 0
    print(f"{manifest.name}: ok  sha256 {digest}")
    print(
        f"  robot {manifest.robot.name}, terrain {manifest.terrain.type}, "
        f"policy dt {manifest.policy_dt:g} s, episode {manifest.episode.length_s:g} s"
    )
    print(f"  reward terms: {', '.join(manifest.rewards.terms)}")
    return 0


def _cmd_list(args: argparse.Namespace) -> int:
    for name in shipped_names():
        m = load_manifest(name)
        print(f"{name:<16} {manifest_hash(m)[:16]}  {m.description}")
    return 0


def register(verbs: argparse._SubParsersAction, common: Common) -> None:
    """Add `manifest` (check, list) to the top-level subcommands."""
    manifest = verbs.add_parser("manifest", help="validate, hash and list environment manifests")
    actions = manifest.add_subparsers(dest="action", required=True, metavar="ACTION")
    check = actions.add_parser(
        "check",
        parents=[common.json("print the normalised manifest and its sha256 as JSON")],
        help="validate a manifest and print its sha256",
        description="Validate a manifest (a shipped name or a .toml path), print its hash.",
    )
    check.add_argument(
        "manifest", help="shipped name (see `locoaudit manifest list`) or path to a .toml file"
    )
    check.add_argument(
        "--num-envs",
        type=argtypes.num_envs,
        default=argtypes.DEFAULT_NUM_ENVS,
        help="check the PPO batch at this many environments, as `train --num-envs` "
        f"(default {argtypes.DEFAULT_NUM_ENVS})",
    )
    check.set_defaults(func=_cmd_check)
    actions.add_parser("list", help="list the shipped manifests").set_defaults(func=_cmd_list)
