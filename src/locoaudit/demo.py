"""`locoaudit demo`: the whole loop on a fresh machine in under 10 minutes.

Train the built-in quadruped for a few minutes, evaluate it on the held-out disturbance panel and,
as an exported ONNX policy, in a second physics engine (Genesis), audit it, write its record into
the ledger, and put it through the promotion gate (which refuses a run below the panel's competence
floor, one with too few evaluation episodes, and one with an unresolved audit error such as a policy
that does not step), then write the run's HTML report. The last line says whether the robot walks,
with the numbers.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from pathlib import Path

from locoaudit import argtypes
from locoaudit.manifest import Manifest, load_manifest
from locoaudit.options import Common

PANEL = "disturbance"
# The training budget is in iterations, not minutes, so the default run is the same run on any machine.
# 512 envs: quadruped_flat seed 1 walks at 60 iterations (bench/time_to_walk.py, 2026-12-03); 15 spare
DEMO_ITERATIONS = 75


QUICK_EPISODE_S = 3.0


def quick_manifest(m: Manifest) -> Manifest:
    """Tiny PPO settings for an end-to-end check in seconds."""
    ppo = dataclasses.replace(
        m.ppo,
        num_steps_per_env=8,
        num_learning_epochs=2,
        num_mini_batches=2,
        actor_hidden_dims=(32, 32),
        critic_hidden_dims=(32, 32),
    )
    return dataclasses.replace(m, ppo=ppo)


def _say(step: str, start: float) -> None:
    """A phase heading, stamped with the wall clock elapsed since `start` (where the minutes go)."""
    minutes, seconds = divmod(int(time.perf_counter() - start), 60)
    print(f"\n== {step}   [{minutes}:{seconds:02d} elapsed]", file=sys.stderr, flush=True)


def run_demo(args: argparse.Namespace) -> int:
    from locoaudit.evaluate.report import format_results
    from locoaudit.evaluate.run import evaluate_run
    from locoaudit.ledger import actions
    from locoaudit.ledger.report import format_decision, format_record
    from locoaudit.ledger.store import open_ledger
    from locoaudit.report.build import report_run
    from locoaudit.report.sections import Options
    from locoaudit.train import session
    from locoaudit.transfer.run import evaluate_transfer

    start = time.perf_counter()
    manifest = load_manifest(args.manifest)
    manifest = quick_manifest(manifest) if args.quick else manifest
    out, episodes = Path(args.out), (2 if args.quick else args.episodes)
    num_envs = args.num_envs or (16 if args.quick else argtypes.DEFAULT_NUM_ENVS)
    iterations = 2 if args.quick else args.iterations
    budget = f"{iterations} iterations" + ("" if args.minutes is None else f", at most {args.minutes:g} min")
    _say(f"1/5 train {manifest.name} ({num_envs} envs, {budget})", start)
    trainer = session.start(manifest, num_envs, args.seed, out, "cpu", None)
    print(f"run {trainer.run_dir}", file=sys.stderr)
    session.run(trainer, iterations, minutes=args.minutes)

    def progress(done: int, total: int) -> None:
        print(f"  batch {done}/{total}", file=sys.stderr, flush=True)

    _say(f"2/5 evaluate on the held-out panel '{PANEL}' ({episodes} episodes per cell)", start)
    # quick: 3 s episodes; push cells push at 1 s so their 2 s recovery window fits (panel.shortened)
    episode_s = QUICK_EPISODE_S if args.quick else None
    result, _ = evaluate_run(
        trainer.run_dir, PANEL, episodes=episodes, progress=progress, episode_s=episode_s
    )
    print(format_results(result))
    _say(
        "3/5 transfer: the exported ONNX policy in a second simulator (Genesis), after contract read-back",
        start,
    )
    transfer, _ = evaluate_transfer(trainer.run_dir, PANEL, episodes, progress=progress, episode_s=episode_s)
    print(format_results(transfer))
    _say("4/5 audit: rewards, terminations, resets, observations, gait", start)
    findings, audit = _audit(trainer.run_dir, 16 if args.quick else 64, 50 if args.quick else 250, args.quick)
    print(audit)
    _say("5/5 run record, ledger and promotion gate", start)
    ledger = open_ledger(None, out, create=True)
    try:
        record = actions.add_run(ledger, trainer.run_dir)
        bootstrap = ledger.champion(record.task_key) is None
        decision = actions.promote(ledger, record, [PANEL], bootstrap=bootstrap)
        record = ledger.get_run(record.run_id) or record
    finally:
        ledger.close()
    print(format_record(record))
    print(format_decision(record.run_id, decision))
    _say("report: plots, held-out evidence and failure filmstrips in one HTML file", start)
    report = report_run(trainer.run_dir, None, None, Options())
    print(f"\nreport: {report}")
    print(f"\nthe run lives in {trainer.run_dir}; the ledger in {ledger.url}")
    print("next:")
    print(f"  locoaudit eval {trainer.run_dir} --panel heldout_terrain")
    print(f"  locoaudit train --resume {trainer.run_dir} --minutes 10")
    print(f"  locoaudit runs list --runs-dir {out}")
    print(f"  locoaudit replay {trainer.run_dir}/evaluations/traces/<...>.npz   # any failure trace")
    _say("done", start)
    print(verdict(decision.promoted, walks(result, findings)))
    return 0


def walks(result, findings) -> tuple[bool, str]:
    """(does the robot walk, the numbers): the panel's floor cells and the gait audit's stepping rate."""
    from locoaudit.ledger.gate import below_floor

    numbers = []
    for name in result.floor.cells:
        cell = result.cell(name)
        for metric, limit in result.floor.limits().items():
            est = None if cell is None else cell.metrics.get(metric)
            shown = "n/a" if est is None or est.value is None else f"{est.value:.3g}"
            numbers.append(f"{metric} {shown} (at most {limit:g})")
        numbers[-1] += f" on {name}, {cell.episodes if cell else 0} episodes"
    gait = {f.check: f for f in findings if f.audit == "gait"}
    steps = "summary" in gait and "stride_hz" in gait["summary"].numbers
    numbers += [f"{gait['summary'].numbers['stride_hz']:.2f} touchdowns/s per foot"] if steps else []
    return not below_floor(result) and "standing" not in gait, ", ".join(numbers)


def verdict(promoted: bool, walking: tuple[bool, str]) -> str:
    """The demo's last line: promoted or not, and whether the robot walks, with the numbers."""
    gate = "promoted" if promoted else "REFUSED by the gate"
    state = "the robot walks" if walking[0] else "the robot does NOT walk"
    return f"result: {gate}; {state}: {walking[1]}"


def _audit(run_dir: Path, envs: int, steps: int, quick: bool) -> tuple[list, str]:
    """Audit the run, write its audit.json (the ledger and the gate read it); (findings, report)."""
    from locoaudit.audit.behaviours import DEFAULT_SETTINGS, ReferenceSettings
    from locoaudit.audit.run import audit_file, audit_run, write_audit
    from locoaudit.findings import format_findings

    reference = ReferenceSettings(envs=2, seconds=4.0) if quick else DEFAULT_SETTINGS
    findings, header = audit_run(run_dir, envs, steps, reference=reference)
    settings = {"envs": envs, "steps": steps, "seed": 0}
    settings |= {"reference_envs": reference.envs, "reference_seconds": reference.seconds}
    write_audit(run_dir, audit_file(findings, header, settings))
    return findings, format_findings(findings, f"audit of run {header['run_id']}")


def register(verbs: argparse._SubParsersAction, common: Common) -> None:
    """Add `demo` to the top-level subcommands."""
    demo = verbs.add_parser(
        "demo",
        parents=[common.seed(1, "seed (default 1)")],
        help="train, evaluate on held-out panels, record in the ledger and gate: the whole loop",
        description="Train the built-in quadruped for a few minutes on the CPU, evaluate it on the held-out "
        "disturbance panel and in a second simulator, audit it, write its run record into the ledger and "
        "run the promotion gate (the first run of a task is bootstrapped), and write its HTML report. "
        "Finishes in under 10 minutes.",
    )
    demo.add_argument("--manifest", default="quadruped_flat", help="manifest (default: quadruped_flat)")
    demo.add_argument(
        "--iterations",
        type=argtypes.positive_int,
        default=DEMO_ITERATIONS,
        help=f"training iterations (default {DEMO_ITERATIONS})",
    )
    demo.add_argument(
        "--minutes", type=argtypes.positive_float, default=None, help="stop training earlier after M minutes"
    )
    demo.add_argument(
        "--episodes", type=argtypes.positive_int, default=32, help="evaluation episodes per cell (default 32)"
    )
    demo.add_argument(
        "--num-envs",
        type=argtypes.num_envs,
        default=None,
        help=f"parallel envs (default {argtypes.DEFAULT_NUM_ENVS})",
    )
    demo.add_argument(
        "--out",
        type=argtypes.out_dir,
        default="runs",
        help="runs directory, holding the ledger (default runs/)",
    )
    demo.add_argument(
        "--quick",
        action="store_true",
        help="a tiny end-to-end check in seconds (2 iterations, 3 s episodes, pushes at 1 s)",
    )
    demo.set_defaults(func=run_demo)
