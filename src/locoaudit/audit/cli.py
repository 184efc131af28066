"""`locoaudit audit RUN_DIR | --manifest M`: findings that scale hides, exit 1 at warning or above."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from locoaudit.argtypes import positive_float, positive_int
from locoaudit.options import Common

DESCRIPTION = """\
Audit a training run (RUN_DIR: metrics.jsonl, the latest checkpoint and short diagnostic rollouts of
its deterministic policy; findings are written to RUN_DIR/audit.json and enter the run record) or,
with --manifest, an environment before training (zero / random-action rollouts, no policy).

Audits (each finding has a severity info / warning / error and the numbers behind it):
  rewards       a term dominating the return (> 70% of |reward| per second over the last 20% of
                iterations); a positive term growing while tracking error does not improve (exploit);
                a non-tracking term paying > 25% of the tracking maximum (e.g. uncapped base height);
                return rising while held-out metrics fall (needs evaluations at >= 2 checkpoints); dead
                or saturated terms; weights whose sign contradicts the term's name; falls that pay;
                per-step contributions that are non-finite or absurd (> 1e4, pre-flight)
  terminations  how episodes end and the time-out share; reasons that never fire; non-finite physics;
                thresholds skimmed (alive time within 10% of base_too_low / bad_orientation limits);
                environments that terminate immediately
  resets        synchronised resets (reset spikes, low phase entropy), periodic reset waves
                (autocorrelation of resets per step), failures clustered on terrain columns
  observations  non-finite or constant features, normaliser outliers (dead, huge offset, drift), and
                leakage: privileged friction / base velocity / terrain kind present in or linearly
                decodable (ridge probe, held-out R^2 or accuracy) from the actor observation
  incentives    what the reward and terminations pay scripted reference behaviours over one episode
                (stand still, collapse with limp joints, fall over at once, random actions, and a
                competent reference: the base moved at the commanded velocity with a trot; in a run
                audit also the policy): standing / collapsing / falling paid close to or above walking
                (per second, per episode, or discounted over 1/(1-gamma)); standing earning most of the
                task reward; lying or tipped over for 1 s without the episode ending; one penalty
                outweighing all the task reward walking earns; terms zero, constant or non-finite under
                every behaviour; in runs, which behaviour the policy found and whether the reward pays
                it more than walking
  gait          forward commands of 0.5-1.0 m/s: duty factors, flight fraction, stride frequency,
                symmetry; hopping / pronking (feet in phase, flight) and a dragged foot; a policy that
                does not step at all is an error

Unresolved error findings in audit.json block `locoaudit promote` unless --override-findings (recorded);
a finding is resolved by fixing its cause and auditing again, or by adding a "resolution" note to it.
Exit status: 0 when no finding is at warning or above, 1 otherwise, 2 on usage or input errors."""


def _cmd_audit(args: argparse.Namespace) -> int:
    """Audit a run (writing audit.json) or a manifest; print the report; exit 1 at warning or above."""
    from locoaudit.audit import preflight
    from locoaudit.audit.behaviours import ReferenceSettings
    from locoaudit.audit.run import audit_file, audit_run, write_audit
    from locoaudit.errors import LocoauditError
    from locoaudit.findings import at_least, format_findings
    from locoaudit.manifest import load_manifest, manifest_hash

    if (args.run_dir is None) == (args.manifest is None):
        raise LocoauditError("audit: give a RUN_DIR or --manifest (one of them)")
    reference = ReferenceSettings(args.reference_envs, args.reference_seconds)
    settings = {"envs": args.envs, "steps": args.steps, "seed": args.seed}
    settings |= {"reference_envs": reference.envs, "reference_seconds": reference.seconds}
    if args.manifest:
        manifest = load_manifest(args.manifest)
        findings = preflight.audit_manifest(
            manifest, args.envs, args.steps, args.seed, args.threads, reference
        )
        header = {"mode": "preflight", "manifest": manifest.name, "manifest_hash": manifest_hash(manifest)}
        title = f"pre-flight audit of {manifest.name}"
    else:
        run_dir = Path(args.run_dir)
        findings, header = audit_run(run_dir, args.envs, args.steps, args.seed, args.threads, reference)
        title = f"audit of run {header['run_id']}"
    body = audit_file(findings, header, settings)
    path = write_audit(Path(args.run_dir), body) if args.run_dir else None
    print(json.dumps(body, indent=2, sort_keys=True) if args.json else format_findings(findings, title))
    if path is not None and not args.json:
        print(f"findings: {path}")
    return 1 if at_least(findings, "warning") else 0


def register(verbs: argparse._SubParsersAction, common: Common) -> None:
    """Add `audit` to the top-level subcommands."""
    audit = verbs.add_parser(
        "audit",
        parents=[
            common.json("print the audit (as in audit.json) as JSON"),
            common.seed(0, "rollout seed (default 0)"),
            common.threads,
        ],
        help="audit a run or a manifest: reward, termination, reset, observation and gait findings",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    audit.add_argument("run_dir", nargs="?", metavar="RUN_DIR", help="run directory to audit")
    audit.add_argument("--manifest", help="pre-flight: a manifest name or .toml path to audit (no policy)")
    audit.add_argument(
        "--envs", type=positive_int, default=64, help="envs per diagnostic rollout (default 64)"
    )
    audit.add_argument(
        "--steps", type=positive_int, default=250, help="policy steps per rollout (default 250)"
    )
    audit.add_argument(
        "--reference-envs", type=positive_int, default=4, help="envs per reference behaviour (default 4)"
    )
    audit.add_argument(
        "--reference-seconds",
        type=positive_float,
        default=None,
        help="seconds of reference rollouts (default: one episode, at most 30 s)",
    )
    audit.set_defaults(func=_cmd_audit)
