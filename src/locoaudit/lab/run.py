"""Run (or resume) a parallelism lab: train every (num_envs, seed) job under the same budget, evaluate."""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

from locoaudit.errors import LocoauditError
from locoaudit.lab.plan import job_label, lab_manifest, read_state, run_dir, save_state
from locoaudit.parallel import Executor, InProcess

Say = Callable[[str], None]


class Interrupted(LocoauditError):
    """Training stopped on Ctrl-C; lab.json holds what is done, `--resume` continues."""


def kinds(state: dict[str, Any]) -> list[str]:
    """Evaluation kinds of every job: held-out, then the second check ('transfer': the exported ONNX
    policy in Genesis; labs created before it existed keep their 'solver_sensitivity')."""
    settings = state["settings"]
    second = settings.get("transfer_kind", "solver_sensitivity")
    return ["heldout", second] if settings.get("transfer", True) else ["heldout"]


def run_lab(
    lab_dir: Path, say: Say, device: str = "cpu", force: bool = False, executor: Executor | None = None
) -> dict[str, Any]:
    """Do every unfinished stage of every job, saving lab.json after each; returns the final state.

    With a Ray executor the jobs not yet started train as parallel Ray tasks (each returns its run
    directory) and each evaluation's shards run as Ray tasks; this process alone writes lab.json,
    the run directories and the evaluations. A job whose training was started in-process and
    interrupted resumes in-process from its checkpoint.
    """
    state = read_state(lab_dir)
    manifest = lab_manifest(lab_dir, state)
    jobs = state["jobs"]
    if executor is not None and not isinstance(executor, InProcess):
        _train_remote(lab_dir, state, manifest, executor, say)
    for k, job in enumerate(jobs, start=1):
        tag = f"[lab] job {k}/{len(jobs)} ({job_label(job)})"
        if not job["trained"]:
            say(f"{tag}: training, budget {_budget_text(state)}")
            _train(lab_dir, state, job, manifest, device, force)
        for panel in state["panels"]:
            for kind in kinds(state):
                key = f"{panel}:{kind}"
                if key in job["evaluations"] or key in job.setdefault("skipped", {}):
                    continue
                say(f"{tag}: evaluating on '{panel}' ({kind})")
                reason = _cannot_transfer(lab_dir, job, panel) if kind == "transfer" else None
                if reason:
                    say(f"{tag}: '{panel}' ({kind}) skipped: {reason}")
                    job["skipped"][key] = reason
                else:
                    job["evaluations"][key] = _evaluate(lab_dir, state, job, panel, kind, say, executor)
                save_state(lab_dir, state)
    return state


def _budget_text(state: dict[str, Any]) -> str:
    b = state["budget"]
    return f"{b['minutes']:g} min" if b["minutes"] is not None else f"{b['samples']} samples"


def _iterations(state: dict[str, Any], job: dict[str, Any], manifest, done: int) -> int:
    """Iterations left for the job's budget: all of them under a minutes budget, else to the samples."""
    samples = state["budget"]["samples"]
    if samples is None:
        return 10**9
    return math.ceil(samples / (job["num_envs"] * manifest.ppo.num_steps_per_env)) - done


def _train_remote(lab_dir: Path, state: dict, manifest, executor: Executor, say: Say) -> None:
    """Train every job not yet started as a Ray task; unpack and record each run as it comes back."""
    from locoaudit.manifest import canonical_json
    from locoaudit.train.packed import TrainTask, train_packed, unpack_run

    todo = [j for j in state["jobs"] if not j["trained"] and j["run"] is None]
    if not todo:
        return
    threads = state["settings"].get("threads")
    text, minutes = canonical_json(manifest), state["budget"]["minutes"]
    tasks = [
        TrainTask(text, j["num_envs"], j["seed"], threads, _iterations(state, j, manifest, 0), minutes)
        for j in todo
    ]

    def landed(index: int, result: tuple[str, bytes]) -> None:
        job = todo[index]
        name, data = result
        unpack_run(name, data, lab_dir / "runs")
        job["run"], job["trained"] = name, True
        save_state(lab_dir, state)
        say(f"[lab] trained {job_label(job)} ({name}) on {executor.name}")

    say(f"[lab] training {len(tasks)} job(s) on {executor.name}, budget {_budget_text(state)} each")
    cpus = threads if threads is not None else manifest.sim.threads
    executor.map(train_packed, tasks, on_result=landed, cpus=max(1, cpus))


def _train(lab_dir: Path, state: dict, job: dict, manifest, device: str, force: bool) -> None:
    from locoaudit.train import session

    threads = state["settings"].get("threads")
    path = run_dir(lab_dir, job)
    if path is None:
        trainer = session.start(manifest, job["num_envs"], job["seed"], lab_dir / "runs", device, threads)
        job["run"] = trainer.run_dir.name
        save_state(lab_dir, state)  # recorded before training, so an interruption can resume it
    else:
        trainer = session.resume(path, None, force, device)
    budget = state["budget"]
    if budget["minutes"] is not None:
        left_s = 60.0 * budget["minutes"] - trainer.counters.wall_clock_s
        result = (
            session.run(trainer, 10**9, minutes=left_s / 60.0) if left_s > 0 else {"stopped_early": False}
        )
    else:
        left = _iterations(state, job, manifest, trainer.counters.iteration)
        result = session.run(trainer, left) if left > 0 else {"stopped_early": False}
    if result["stopped_early"]:
        raise Interrupted(f"lab interrupted during {job_label(job)}; continue with --resume {lab_dir}")
    job["trained"] = True
    save_state(lab_dir, state)


def _cannot_transfer(lab_dir: Path, job: dict, panel_name: str) -> str | None:
    """Why Genesis can run no cell of the panel for this job's run, or None when it can run some."""
    from locoaudit.evaluate.conditions import plan_batches
    from locoaudit.evaluate.panel import load_panel
    from locoaudit.train.rundir import load_run_manifest
    from locoaudit.transfer.genesis_env import unsupported

    path = run_dir(lab_dir, job)
    assert path is not None
    panel = load_panel(panel_name)
    reasons = [unsupported(b.manifest) for b in plan_batches(load_run_manifest(path), panel, 1)]
    return reasons[0] if all(reasons) else None


def _evaluate(lab_dir: Path, state: dict, job: dict, panel: str, kind: str, say: Say, executor) -> str:
    from locoaudit.evaluate.run import evaluate_run

    settings, path = state["settings"], run_dir(lab_dir, job)
    assert path is not None

    def progress(done: int, total: int) -> None:
        say(f"    shard {done}/{total}")

    if kind == "transfer":
        from locoaudit.transfer.run import evaluate_transfer

        _, file = evaluate_transfer(
            path,
            panel,
            episodes=settings.get("episodes"),
            allow_overlap=settings.get("allow_overlap", False),
            progress=progress,
            episode_s=settings.get("episode_s"),
            shard_episodes=settings.get("shard_episodes"),  # the held-out evaluation's seeds
        )
        return file.name
    _, file = evaluate_run(
        path,
        panel,
        episodes=settings.get("episodes"),
        allow_overlap=settings.get("allow_overlap", False),
        threads=settings.get("threads"),
        progress=progress,
        transfer=kind == "solver_sensitivity",  # MuJoCo with perturbed solver settings
        episode_s=settings.get("episode_s"),
        executor=executor,
        shard_episodes=settings.get("shard_episodes"),
    )
    return file.name
