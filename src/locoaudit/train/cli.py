"""`locoaudit train`: start or resume a PPO run."""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

from locoaudit import argtypes
from locoaudit.argtypes import positive_int
from locoaudit.errors import LocoauditError
from locoaudit.manifest.schema import BACKENDS
from locoaudit.options import Common

DESCRIPTION = (
    "Train with rsl-rl-lib's PPO. Each run gets a new directory under --out holding the "
    "frozen manifest, provenance (run.json), per-iteration metrics (metrics.jsonl, TensorBoard) and "
    "checkpoints. Ctrl-C saves a checkpoint and exits; --resume continues a run where it stopped."
)


def _launch(args: argparse.Namespace) -> int:
    """`train --nproc N`: the same command under torchrun, one process per device."""
    argv, rest = [], iter(args.argv)
    for arg in rest:
        if arg == "--nproc":
            next(rest, None)
        elif not arg.startswith("--nproc="):
            argv.append(arg)
    run = [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc-per-node={args.nproc}"]
    print(
        f"launching {args.nproc} processes: torchrun ... -m locoaudit.cli {' '.join(argv)}", file=sys.stderr
    )
    return subprocess.run([*run, "-m", "locoaudit.cli", *argv], check=False).returncode


def _cmd_train(args: argparse.Namespace) -> int:
    from locoaudit.manifest.load import with_backend
    from locoaudit.task.checks import load_checked
    from locoaudit.train import distributed, session

    world = distributed.from_env()
    if args.resume and (world.size > 1 or args.nproc > 1):
        raise LocoauditError("train --resume: resume in one process (the other ranks' envs are not saved)")
    manifest = load_checked(args.manifest, args.num_envs) if args.manifest else None
    if args.nproc > 1 and world.size == 1:  # bad input gives one line here, not one per process
        session.check_device(args.device or "cpu")
        return _launch(args)
    if args.resume:
        trainer = session.resume(Path(args.resume), manifest, args.force, args.device, args.backend)
        print(f"resuming {trainer.run_dir} at iteration {trainer.counters.iteration}", file=sys.stderr)
    else:
        if manifest is None:
            raise LocoauditError("train: give a manifest (e.g. quadruped_flat) or --resume RUN_DIR")
        overrides = None
        if args.backend is not None and args.backend != manifest.sim.backend:
            overrides = {"sim.backend": {"file": manifest.sim.backend, "used": args.backend}}
            manifest = with_backend(manifest, args.backend)
        trainer = session.start(
            manifest,
            args.num_envs,
            args.seed,
            Path(args.out),
            args.device or "cpu",
            args.threads,
            overrides,
            world,
        )
        if world.writer:
            print(
                f"run {trainer.run_dir}" + (f" ({world.size} processes)" if world.size > 1 else ""),
                file=sys.stderr,
            )
    try:
        result = session.run(trainer, args.iterations, quiet=args.quiet, minutes=args.minutes)
    finally:
        distributed.close(world)
    if not world.writer:
        return 0
    state = "stopped early" if result["stopped_early"] else "finished"
    print(f"{state} at iteration {result['iteration']}; checkpoint {result['checkpoint']}")
    print(f"metrics: {trainer.run_dir / session.METRICS}")
    print(f"next: locoaudit train --resume {trainer.run_dir} --iterations N")
    return 0


def register(verbs: argparse._SubParsersAction, common: Common) -> None:
    """Add `train` to the top-level subcommands."""
    train = verbs.add_parser(
        "train",
        parents=[common.seed(1, "seed for the env and the policy (default 1)"), common.threads],
        help="train a policy with PPO (rsl-rl-lib) on the batched environment",
        description=DESCRIPTION,
    )
    train.add_argument("manifest", nargs="?", help="manifest name or .toml path (optional with --resume)")
    train.add_argument(
        "--num-envs",
        type=argtypes.num_envs,
        default=argtypes.DEFAULT_NUM_ENVS,
        help=f"parallel environments (default {argtypes.DEFAULT_NUM_ENVS}; more on more cores)",
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
        "--out", type=argtypes.out_dir, default="runs", help="folder for run directories (default runs/)"
    )
    train.add_argument(
        "--device",
        type=argtypes.device,
        default=None,
        help="policy device, and where the warp backend runs: cpu (default), cuda or cuda:N",
    )
    train.add_argument(
        "--backend",
        choices=BACKENDS,
        default=None,
        help="physics engine instead of the manifest's sim.backend; the run's frozen manifest (and so "
        "its hash) says which ran, and run.json records the override",
    )
    train.add_argument("--resume", metavar="RUN_DIR", help="continue this run from its latest checkpoint")
    train.add_argument(
        "--force", action="store_true", help="resume even if the manifest or code changed (recorded)"
    )
    train.add_argument("--quiet", action="store_true", help="no progress line")
    train.add_argument(
        "--nproc",
        type=positive_int,
        default=1,
        help="train in N processes (one per GPU with --device cuda; gloo on the CPU) through rsl-rl-lib's "
        "multi-GPU PPO: runs this command under `torchrun --standalone --nproc-per-node N`",
    )
    train.set_defaults(func=_cmd_train)
