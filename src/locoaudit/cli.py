"""The `locoaudit` command line: one subcommand per verb."""

from __future__ import annotations

import argparse
import json
import sys

from locoaudit import __version__, argtypes
from locoaudit.argtypes import OneLineParser, positive_int
from locoaudit.errors import LocoauditError


def _cmd_manifest_check(args: argparse.Namespace) -> int:
    from locoaudit.manifest import canonical_json, manifest_hash
    from locoaudit.task.checks import load_checked

    manifest = load_checked(args.manifest, args.num_envs)
    digest = manifest_hash(manifest)
    if args.json:
        print(
            json.dumps(
                {"name": manifest.name, "sha256": digest, "manifest": json.loads(canonical_json(manifest))},
                indent=2,
                sort_keys=True,
            )
        )
    else:
        terms = ", ".join(manifest.rewards.terms)
        print(f"{manifest.name}: ok  sha256 {digest}")
        print(
            f"  robot {manifest.robot.name}, terrain {manifest.terrain.type}, "
            f"policy dt {manifest.policy_dt:g} s, episode {manifest.episode.length_s:g} s"
        )
        print(f"  reward terms: {terms}")
    return 0


def _cmd_manifest_list(args: argparse.Namespace) -> int:
    from locoaudit.manifest import load_manifest, manifest_hash, shipped_names

    for name in shipped_names():
        m = load_manifest(name)
        print(f"{name:<16} {manifest_hash(m)[:16]}  {m.description}")
    return 0


def _cmd_bench_throughput(args: argparse.Namespace) -> int:
    from locoaudit.bench.throughput import format_row, measure_isolated

    results = []
    for manifest in args.manifest:
        for n in args.num_envs:
            print(f"measuring {manifest} N={n} for {args.seconds:g} s ...", file=sys.stderr, flush=True)
            row = measure_isolated(manifest, n, args.seconds, args.threads)
            results.append(row)
            print(format_row(row), file=sys.stderr, flush=True)
    if args.json:
        print(json.dumps(results, indent=2))
    if args.out:
        with open(args.out, "w") as f:
            json.dump(results, f, indent=2)
    return 0


def _cmd_train(args: argparse.Namespace) -> int:
    from pathlib import Path

    from locoaudit.task.checks import load_checked
    from locoaudit.train import session

    manifest = load_checked(args.manifest, args.num_envs) if args.manifest else None
    if args.resume:
        trainer = session.resume(Path(args.resume), manifest, args.force, args.device)
        print(f"resuming {trainer.run_dir} at iteration {trainer.counters.iteration}", file=sys.stderr)
    else:
        if manifest is None:
            raise LocoauditError("train: give a manifest (e.g. quadruped_flat) or --resume RUN_DIR")
        trainer = session.start(
            manifest, args.num_envs, args.seed, Path(args.out), args.device or "cpu", args.threads
        )
        print(f"run {trainer.run_dir}", file=sys.stderr)
    result = session.run(trainer, args.iterations, quiet=args.quiet, minutes=args.minutes)
    state = "stopped early" if result["stopped_early"] else "finished"
    print(f"{state} at iteration {result['iteration']}; checkpoint {result['checkpoint']}")
    print(f"metrics: {trainer.run_dir / session.METRICS}")
    print(f"next: locoaudit train --resume {trainer.run_dir} --iterations N")
    return 0


def _cmd_eval(args: argparse.Namespace) -> int:
    from pathlib import Path

    from locoaudit.evaluate.report import format_results
    from locoaudit.evaluate.run import evaluate_run

    def progress(done: int, total: int) -> None:
        if not args.json:
            print(f"  batch {done}/{total} done", file=sys.stderr, flush=True)

    if args.transfer:
        from locoaudit.transfer.run import evaluate_transfer

        policy = Path(args.policy) if args.policy else None
        result, path = evaluate_transfer(
            Path(args.run), args.panel, args.episodes, args.seed, args.allow_overlap, progress, onnx=policy
        )
    else:
        result, path = evaluate_run(
            Path(args.run),
            args.panel,
            args.episodes,
            args.seed,
            args.allow_overlap,
            args.threads,
            progress,
            transfer=args.solver_sensitivity,
        )
    print(json.dumps(result.to_json(), indent=2) if args.json else format_results(result))
    print(f"results: {path}", file=sys.stderr)
    return 0


def _cmd_replay(args: argparse.Namespace) -> int:
    from pathlib import Path

    from locoaudit.traces.replay import replay

    report = replay(Path(args.trace))
    print(report.line())
    return 0 if report.reproduced else 1


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(
        prog="locoaudit",
        description="Train legged-locomotion policies with batched MuJoCo + PPO, with the evidence attached.",
    )
    parser.add_argument("--version", action="version", version=f"locoaudit {__version__}")
    verbs = parser.add_subparsers(dest="verb", required=True, metavar="COMMAND")

    manifest = verbs.add_parser("manifest", help="validate, hash and list environment manifests")
    msub = manifest.add_subparsers(dest="action", required=True, metavar="ACTION")
    check = msub.add_parser(
        "check",
        help="validate a manifest and print its sha256",
        description="Validate a manifest (a shipped name or a .toml path), print its hash.",
    )
    check.add_argument(
        "manifest", help="shipped name (see `locoaudit manifest list`) or path to a .toml file"
    )
    check.add_argument(
        "--json", action="store_true", help="print the normalised manifest and its sha256 as JSON"
    )
    check.add_argument(
        "--num-envs",
        type=argtypes.num_envs,
        default=1024,
        help="check the PPO batch at this many environments, as `train --num-envs` (default 1024)",
    )
    check.set_defaults(func=_cmd_manifest_check)
    lst = msub.add_parser("list", help="list the shipped manifests")
    lst.set_defaults(func=_cmd_manifest_list)

    train = verbs.add_parser(
        "train",
        help="train a policy with PPO (rsl-rl-lib) on the batched environment",
        description="Train with rsl-rl-lib's PPO. Each run gets a new directory under --out holding the "
        "frozen manifest, provenance (run.json), per-iteration metrics (metrics.jsonl, TensorBoard) and "
        "checkpoints. Ctrl-C saves a checkpoint and exits; --resume continues a run where it stopped.",
    )
    train.add_argument("manifest", nargs="?", help="manifest name or .toml path (optional with --resume)")
    train.add_argument(
        "--num-envs", type=argtypes.num_envs, default=1024, help="parallel environments (default 1024)"
    )
    train.add_argument(
        "--iterations", type=positive_int, default=300, help="PPO iterations to run (default 300)"
    )
    train.add_argument(
        "--minutes",
        type=argtypes.positive_float,
        default=None,
        help="also stop after this much training time",
    )
    train.add_argument(
        "--seed", type=argtypes.seed, default=1, help="seed for the env and the policy (default 1)"
    )
    train.add_argument(
        "--out", type=argtypes.out_dir, default="runs", help="folder for run directories (default runs/)"
    )
    train.add_argument(
        "--device", type=argtypes.device, default=None, help="policy device: cpu (default) or cuda"
    )
    train.add_argument(
        "--threads", type=argtypes.threads, default=None, help="physics threads (default: the manifest's)"
    )
    train.add_argument("--resume", metavar="RUN_DIR", help="continue this run from its latest checkpoint")
    train.add_argument(
        "--force", action="store_true", help="resume even if the manifest or code changed (recorded)"
    )
    train.add_argument("--quiet", action="store_true", help="no progress line")
    train.set_defaults(func=_cmd_train)

    ev = verbs.add_parser(
        "eval",
        help="evaluate a run on a held-out panel (metrics with 95%% intervals, failure traces)",
        description="Evaluate a run's latest policy (deterministic mean actions) on a panel of terrain x "
        "disturbance cells. Panels overlapping the training manifest are refused unless --allow-overlap. "
        "Results go to RUN/evaluations/ (never overwritten); each failed episode writes a replayable trace.",
    )
    ev.add_argument("run", help="run directory")
    ev.add_argument(
        "--panel", required=True, help="shipped panel (heldout_terrain, disturbance, nominal) or .toml"
    )
    ev.add_argument(
        "--episodes", type=positive_int, default=None, help="episodes per cell (default: the panel's)"
    )
    ev.add_argument("--seed", type=argtypes.seed, default=None, help="evaluation seed (default: the panel's)")
    ev.add_argument(
        "--allow-overlap", action="store_true", help="evaluate an overlapping panel (held_out: false)"
    )
    ev.add_argument(
        "--threads", type=argtypes.threads, default=None, help="physics threads (default: the manifest's)"
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
    ev.add_argument("--policy", help="ONNX file for --transfer (default: export the run's latest checkpoint)")
    ev.add_argument("--json", action="store_true", help="print the full results as JSON")
    ev.set_defaults(func=_cmd_eval)

    rp = verbs.add_parser(
        "replay",
        help="replay a failure trace and check that it reproduces bit for bit",
        description="Re-run a trace (.npz from `locoaudit eval`) in a one-env batch of the "
        "same environment family; exit 0 if it reproduces bit for bit, 1 if not.",
    )
    rp.add_argument("trace", help="trace file (.npz)")
    rp.set_defaults(func=_cmd_replay)

    bench = verbs.add_parser("bench", help="benchmarks")
    bsub = bench.add_subparsers(dest="action", required=True, metavar="ACTION")
    thr = bsub.add_parser(
        "throughput",
        help="env-steps/s vs the raw mujoco.rollout physics rate",
        description="Random-action env-steps/s of the full task next to the raw mujoco.rollout rate of the "
        "identical compiled model and decimation (the physics limit), their ratio and peak memory.",
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
    thr.add_argument(
        "--threads", type=argtypes.threads, default=None, help="physics threads (default: the manifest's)"
    )
    thr.add_argument("--json", action="store_true", help="print results as JSON on stdout")
    thr.add_argument("--out", type=argtypes.out_file, help="also write the JSON results to this file")
    thr.set_defaults(func=_cmd_bench_throughput)
    from locoaudit.ledger import cli as ledger_cli

    ledger_cli.add_commands(verbs)
    from locoaudit import demo

    demo.add_commands(verbs)
    from locoaudit.audit import cli as audit_cli

    audit_cli.add_commands(verbs)
    from locoaudit.export import cli as export_cli

    export_cli.add_commands(verbs)
    from locoaudit.hardware import cli as hardware_cli

    hardware_cli.add_commands(verbs)
    from locoaudit.lab import cli as lab_cli

    lab_cli.add_commands(verbs)
    from locoaudit.report import cli as report_cli

    report_cli.add_commands(verbs)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except LocoauditError as exc:
        print(f"locoaudit: error: {' '.join(str(exc).split())}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("locoaudit: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # output piped into head & co.: stop quietly
        sys.stderr.close()
        return 0
    except OSError as exc:  # unwritable folder, full disk, ...: one line naming the file
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"locoaudit: error: {where}{exc.strerror or exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
