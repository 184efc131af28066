"""Start or resume a training run: run directory, progress line, JSONL / TensorBoard, Ctrl-C safety."""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import signal
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import torch

from locoaudit.errors import LocoauditError, NonFiniteTraining
from locoaudit.fileio import read_text
from locoaudit.manifest import Manifest, canonical_json, manifest_hash
from locoaudit.manifest.load import with_backend
from locoaudit.safety import inside
from locoaudit.task.checks import check_batch
from locoaudit.task.env import LocoEnv
from locoaudit.task.vecenv import LocoVecEnv
from locoaudit.train import distributed
from locoaudit.train.checkpoint import load_checkpoint
from locoaudit.train.distributed import World
from locoaudit.train.logger import METRICS as METRICS  # re-exported: callers name the file
from locoaudit.train.logger import NullLogger, TrainingLogger
from locoaudit.train.loop import Trainer, torch_threads
from locoaudit.train.ppo import build_ppo
from locoaudit.train.rundir import (
    atomic_write_bytes,
    atomic_write_json,
    code_version,
    create_run_dir,
    load_run_manifest,
    read_run,
)

# Torch's OpenMP threads spin between calls and compete with the physics thread pool: on 2 shared
# cores, 2 torch threads made collection 2.5x and the PPO update 6-9x slower than 1 (16:15 UTC, 1024 envs).
# So torch runs on 1 thread, except inside the PPO update, which takes the idle physics threads (loop.py).
TORCH_THREADS = 1


def check_device(device: str) -> None:
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise LocoauditError(f"--device {device}: CUDA is not available on this machine (use --device cpu)")


def _make_trainer(
    manifest: Manifest,
    num_envs: int,
    seed: int,
    device: str,
    threads: int | None,
    run_dir: Path,
    world: World | None = None,
):
    world = world or World()
    torch.manual_seed(seed + world.rank)  # rank 0's models win: build_ppo broadcasts them
    # on MuJoCo Warp the task runs on the training device too: observations, rewards and resets stay there
    loco = LocoEnv(manifest, num_envs, seed + world.rank, threads, sim_device=device, on_device=True)
    env = LocoVecEnv(loco, device=device)
    alg, summary = build_ppo(env, manifest.ppo, device, world)
    nthread = manifest.sim.threads if threads is None else threads  # 0: every CPU
    update_threads = nthread if nthread > 0 else os.cpu_count() or 1
    return Trainer(manifest, env, alg, run_dir, world=world, update_threads=update_threads), summary


def backend_record(manifest: Manifest, device: str, overrides: dict | None = None) -> dict[str, Any]:
    """run.json keys saying which physics ran where, and what the command line changed in the manifest."""
    record = {
        "backend": manifest.sim.backend,
        "sim_device": device if manifest.sim.backend == "warp" else "cpu",
    }
    return record | ({"manifest_overrides": overrides} if overrides else {})


def start(
    manifest: Manifest,
    num_envs: int,
    seed: int,
    out: Path,
    device: str,
    threads: int | None,
    overrides: dict | None = None,
    world: World | None = None,
) -> Trainer:
    """A new run: fresh directory, env and PPO (seeded), iteration 0.

    overrides: command-line changes already applied to `manifest` ({"sim.backend": {"file": ..,
    "used": ..}}), recorded in run.json; the stored manifest and its hash are the ones that ran.
    Under torchrun (world.size > 1) each rank steps num_envs envs of its own, seeded seed + rank, and
    rank 0 alone creates and writes the run directory (run.json records the world size).
    """
    world = world or World()
    check_device(device)
    device = distributed.init(world, device)
    nthread = manifest.sim.threads if threads is None else threads
    trainer, summary = _make_trainer(manifest, num_envs, seed, device, threads, Path(), world)
    if world.writer:
        extra = backend_record(manifest, device, overrides)
        if world.size > 1:
            extra |= {"world_size": world.size, "seeds": "seed + rank"}
        trainer.run_dir = create_run_dir(out, manifest, seed, num_envs, device, nthread, extra)
        atomic_write_bytes(inside(trainer.run_dir, "models.txt"), summary.encode())
    return trainer


def resume(
    run_dir: Path, manifest: Manifest | None, force: bool, device: str | None, backend: str | None = None
) -> Trainer:
    """Continue a run from its latest checkpoint; refuse a changed manifest (--backend changes it) or
    code unless forced."""
    record = read_run(run_dir)
    stored = load_run_manifest(run_dir)
    state = load_checkpoint(run_dir)
    manifest = manifest or stored
    if backend is not None:
        manifest = with_backend(manifest, backend)
    check_batch(manifest, record["num_envs"], "--resume manifest")
    mismatches = _mismatches(record, state, manifest)
    if mismatches and not force:
        raise LocoauditError(
            f"{run_dir}: refusing to resume: {'; '.join(mismatches)} (use --force to override)"
        )
    device = device or record["device"]
    check_device(device)
    trainer, _ = _make_trainer(
        manifest, record["num_envs"], record["seed"], device, record["threads"], run_dir
    )
    try:
        trainer.restore(state)
    except (KeyError, ValueError, RuntimeError) as exc:
        raise LocoauditError(f"{run_dir}: checkpoint does not fit this manifest/code: {exc}") from None
    truncate_metrics(run_dir, trainer.counters.iteration)
    _record_resume(run_dir, record, trainer, mismatches, force, manifest)
    return trainer


def truncate_metrics(run_dir: Path, iteration: int) -> int:
    """Drop metrics.jsonl rows past the checkpoint's iteration (left by a crash); returns how many."""
    file = run_dir / METRICS
    if not file.is_file():
        return 0
    lines = read_text(file).splitlines(keepends=True)
    keep = 0
    for line in lines:
        try:
            row = json.loads(line)
        except json.JSONDecodeError:  # a line half-written when the process died
            break
        if (
            not isinstance(row, dict)
            or not isinstance(row.get("iteration"), int)
            or row["iteration"] > iteration
        ):
            break
        keep += 1
    if keep < len(lines):
        atomic_write_bytes(inside(run_dir, METRICS), "".join(lines[:keep]).encode())
    return len(lines) - keep


def _mismatches(record: dict, state: dict, manifest: Manifest) -> list[str]:
    out = []
    if manifest_hash(manifest) != state["manifest_hash"]:
        out.append(f"manifest hash {manifest_hash(manifest)[:12]} != run's {state['manifest_hash'][:12]}")
    now, then = code_version(), state["code"]
    if (now["package"], now["git_commit"]) != (then["package"], then["git_commit"]):
        out.append(
            f"code {now['package']}@{now['git_commit']} != run's {then['package']}@{then['git_commit']}"
        )
    return out


def _record_resume(run_dir: Path, record: dict, trainer: Trainer, mismatches, force: bool, manifest) -> None:
    entry = {
        "at_iteration": trainer.counters.iteration,
        "time": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "code": code_version(),
        "forced": bool(mismatches) and force,
        "mismatches": mismatches,
        "manifest_hash": manifest_hash(manifest),
    }
    if manifest_hash(manifest) != record["manifest_hash"]:
        name = f"manifest-resumed-at-{trainer.counters.iteration}.json"
        atomic_write_bytes(inside(run_dir, name), canonical_json(manifest).encode())
        entry["manifest_file"] = name
    record["resumes"].append(entry)
    atomic_write_json(inside(run_dir, "run.json"), record)


@contextmanager
def stop_on_sigint() -> Iterator[dict]:
    """First Ctrl-C requests a clean stop (checkpoint, exit); a second one interrupts at once."""
    flag = {"stop": False}

    def handler(signum, frame):
        if flag["stop"]:
            raise KeyboardInterrupt
        flag["stop"] = True
        print(
            "\nstopping: the unfinished iteration is discarded, the last finished one saved "
            "(Ctrl-C again to abort)",
            file=sys.stderr,
        )

    previous = signal.signal(signal.SIGINT, handler)
    try:
        yield flag
    finally:
        signal.signal(signal.SIGINT, previous)


def run(
    trainer: Trainer,
    iterations: int,
    quiet: bool = False,
    minutes: float | None = None,
    on_iteration: Callable[[dict[str, Any]], bool] | None = None,
) -> dict[str, Any]:
    """The training loop of `train`, `demo` and the benchmarks.

    Runs `iterations` more iterations, stopping early after `minutes` of training wall clock, on
    Ctrl-C, or when `on_iteration(record)` returns True; checkpoints every save_interval and at the end.
    """
    c, save_every = trainer.counters, trainer.manifest.ppo.save_interval
    world, device = trainer.world, trainer.alg.device
    target = c.iteration + iterations
    seconds = None if minutes is None else 60.0 * minutes
    deadline = math.inf if seconds is None else c.wall_clock_s + seconds
    logger = (
        TrainingLogger(trainer.run_dir, c.iteration, target, seconds, quiet) if world.writer else NullLogger()
    )
    models = [trainer.alg.get_policy(), trainer.alg.critic]
    with stop_on_sigint() as sigint, logger, torch_threads(TORCH_THREADS):
        try:
            while True:
                done = c.iteration >= target or sigint["stop"] or c.wall_clock_s >= deadline
                if distributed.any_rank(done, world, device):  # every rank stops at the same iteration
                    break
                # one process may stop mid-rollout; ranks only between iterations (they exchange gradients)
                record = trainer.iteration(stop_requested=lambda: world.size == 1 and sigint["stop"])
                if record is None:  # Ctrl-C mid-rollout: rewound to the end of the last iteration
                    break
                if world.size > 1:
                    record["rank_model_spread"] = distributed.model_spread(models, world, device)
                logger.log(record)
                if c.iteration % save_every == 0:
                    trainer.save()
                if on_iteration is not None and on_iteration(record):
                    break
        except NonFiniteTraining as exc:  # the trainer holds the last good iteration: keep it
            path = trainer.save()
            raise NonFiniteTraining(f"{exc}; training stopped, last good iteration saved: {path}") from None
        path = trainer.save()
    stopped = sigint["stop"]
    return {"stopped_early": stopped, "iteration": c.iteration, "checkpoint": str(path), "last": logger.last}
