"""`locoaudit lab parallelism`: one task at several num_envs levels, an equal budget, held-out evidence."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from locoaudit import argtypes
from locoaudit.argtypes import positive_int
from locoaudit.errors import LocoauditError
from locoaudit.options import Common


def _say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def _cmd_parallelism(args: argparse.Namespace) -> int:
    from locoaudit.parallel import executor

    if args.resume:
        lab_dir = Path(args.resume)
    else:
        if not args.manifest:
            raise LocoauditError(
                "lab parallelism: give --manifest, --num-envs (2+ levels) and --panel, or --resume"
            )
        lab_dir = _new_lab(args, args.manifest, "lab parallelism")
    return finish(lab_dir, args.ledger, args.force, executor(args.ray))


def _cmd_sweep(args: argparse.Namespace) -> int:
    """One parallelism lab per manifest; every (manifest, level, seed) job trains as its own task."""
    from locoaudit.parallel import executor

    run = executor(args.ray)
    lab_dirs = [_new_lab(args, name, "sweep") for name in args.manifest]
    for lab_dir in lab_dirs:
        finish(lab_dir, args.ledger, False, run)
    print("sweep labs: " + " ".join(str(d) for d in lab_dirs))
    return 0


def _new_lab(args: argparse.Namespace, manifest_name: str, verb: str) -> Path:
    """A fresh lab directory for one manifest from the command line's plan."""
    from locoaudit.lab.plan import Budget, create_lab
    from locoaudit.manifest import load_manifest

    if not args.num_envs or not args.panel:
        raise LocoauditError(f"{verb}: give --manifest, --num-envs (2+ levels) and --panel")
    if len(set(args.num_envs)) < 2:
        raise LocoauditError(f"{verb}: --num-envs needs at least two different levels")
    if (args.minutes is None) == (args.samples is None):
        raise LocoauditError(f"{verb}: give exactly one budget: --minutes N or --samples N")
    settings = {
        "episodes": args.episodes,
        "episode_s": args.episode_s,
        "threads": args.threads,
        "transfer": not args.no_transfer,
        "transfer_kind": "transfer",  # the exported policy in Genesis (older labs: solver_sensitivity)
        "allow_overlap": args.allow_overlap,
        "shard_episodes": args.shard_episodes,
    }
    budget = Budget(args.minutes, args.samples)
    seeds = list(range(1, args.seeds + 1))
    lab_dir = create_lab(
        Path(args.out), load_manifest(manifest_name), args.num_envs, seeds, budget, args.panel, settings
    )
    _say(f"lab {lab_dir}")
    return lab_dir


def finish(lab_dir: Path, ledger_url: str | None, force: bool, executor=None) -> int:
    """Run what is left, summarise, record the lab in the ledger, print the results."""
    from locoaudit.lab.plan import save_state
    from locoaudit.lab.results import summarize
    from locoaudit.lab.run import run_lab

    state = run_lab(lab_dir, _say, force=force, executor=executor)
    state["results"] = summarize(lab_dir, state)
    save_state(lab_dir, state)
    _record(lab_dir, state, ledger_url)
    print(format_results(state))
    print(f"\nlab record: {lab_dir / 'lab.json'}")
    print(f"next: locoaudit report {lab_dir}")
    return 0


def _record(lab_dir: Path, state: dict[str, Any], ledger_url: str | None) -> None:
    from locoaudit.lab.plan import run_dir
    from locoaudit.ledger import actions
    from locoaudit.ledger.store import open_ledger

    ledger = open_ledger(ledger_url, lab_dir.parent, create=True)
    try:
        for job in state["jobs"]:
            actions.add_run(ledger, run_dir(lab_dir, job))
        ledger.add_lab(state["lab_id"], state["kind"], state["manifest_hash"], str(lab_dir.resolve()), state)
    finally:
        ledger.close()
    _say(f"[lab] recorded in {ledger.url}")


def _estimate(e: dict[str, Any] | None) -> str:
    if not e or e.get("value") is None:
        return "n/a"
    ci = e.get("ci") or [None, None]
    return f"{e['value']:.3g} [{ci[0]:.3g}, {ci[1]:.3g}]" if ci[0] is not None else f"{e['value']:.3g}"


def format_results(state: dict[str, Any]) -> str:
    """The per-job table, the deltas (or refusals) and the closing sentences."""
    res = state["results"]
    lines = [
        f"lab {state['lab_id']}: {state['manifest_name']}, levels {state['levels']}, seeds {state['seeds']}"
    ]
    for j in res["jobs"]:
        walk = j["time_to_walk"]
        walk_text = (
            "not reached" if walk is None else f"{walk['wall_clock_s']:.0f} s / {walk['samples']} samples"
        )
        lines.append(
            f"  {j['label']:<14} wall {j['wall_clock_s']:.1f} s, {j['samples']} samples, "
            f"{j['samples_per_s']:.0f} samples/s, {j['iterations']} updates, time to walk {walk_text}"
        )
        for key, ev in j["evaluations"].items():
            s = ev["summary"]
            lines.append(
                f"      {key:<28} fall rate {_estimate(s.get('fall_rate'))}, "
                f"vel err {_estimate(s.get('lin_vel_error'))}, failures {ev['failures_by_reason']}"
            )
    lines.append("construct-matched deltas (B - A, interval, verdict):")
    for p in res["deltas"]:
        head = f"  {p['panel']} {p['kind']} seed {p['seed']}: {p['b']} vs {p['a']} envs"
        if "refused" in p:
            lines.append(f"{head}: REFUSED, {p['refused']}")
            continue
        body = "; ".join(
            f"{d['metric']} {_num(d['delta'])} [{_num(d['ci'][0])}, {_num(d['ci'][1])}] {d['verdict']}"
            for d in p["deltas"]
        )
        lines.append(f"{head}: {body}")
    lines += ["", res["throughput"], *res["conclusions"]]
    return "\n".join(lines)


def _num(x: float | None) -> str:
    return "n/a" if x is None else f"{x:+.3g}"


def _plan_options(p: argparse.ArgumentParser) -> None:
    """The plan of a lab or sweep: levels, seeds, budget, panels, evaluation settings, output."""
    p.add_argument("--num-envs", type=argtypes.num_envs, nargs="+", help="levels, e.g. 256 2048")
    p.add_argument("--seeds", type=positive_int, default=2, help="seeds per level: 1..N (default 2)")
    p.add_argument("--minutes", type=argtypes.positive_float, help="training wall clock per job")
    p.add_argument(
        "--samples", type=positive_int, help="env samples per job (rounded up to whole iterations)"
    )
    p.add_argument("--panel", action="append", help="panel (repeatable): disturbance, heldout_terrain, .toml")
    p.add_argument("--episodes", type=positive_int, default=None, help="episodes per cell (default: panel's)")
    p.add_argument(
        "--episode-s",
        type=argtypes.positive_float,
        default=None,
        help="shorter evaluation episodes (changes the hash)",
    )
    p.add_argument(
        "--no-transfer",
        action="store_true",
        help="skip the transfer evaluations (the exported policy in Genesis)",
    )
    p.add_argument(
        "--shard-episodes",
        type=positive_int,
        default=None,
        help="evaluate in shards of at most N episodes (see `eval --shard-episodes`)",
    )
    p.add_argument("--allow-overlap", action="store_true", help="evaluate panels that overlap training")
    p.add_argument(
        "--out",
        type=argtypes.out_dir,
        default="labs",
        help="folder for lab directories and their ledger (default labs/)",
    )
    p.add_argument(
        "--ledger",
        default=None,
        help="ledger URL: a path, sqlite:///path or postgresql://... (default OUT/ledger.sqlite)",
    )


def register(verbs: argparse._SubParsersAction, common: Common) -> None:
    lab = verbs.add_parser("lab", help="controlled experiments over several runs (parallelism)")
    sub = lab.add_subparsers(dest="action", required=True, metavar="LAB")
    p = sub.add_parser(
        "parallelism",
        parents=[common.threads, common.ray],
        help="train at several num_envs levels under an equal budget and compare held-out evidence",
        description="Train the same manifest at each --num-envs level and seed under an equal wall-clock "
        "(--minutes) or sample (--samples) budget, evaluate each on the panels (held-out in MuJoCo, and the "
        "exported ONNX policy in Genesis as the transfer check), record the lab in the ledger and say, "
        "per panel, whether extra parallelism improved locomotion. Ctrl-C stops cleanly; --resume LAB_DIR "
        "continues where it stopped.",
    )
    p.add_argument("--manifest", help="manifest name or .toml path")
    _plan_options(p)
    p.add_argument("--resume", metavar="LAB_DIR", help="continue an interrupted lab")
    p.add_argument("--force", action="store_true", help="resume runs even if the code changed (recorded)")
    p.set_defaults(func=_cmd_parallelism)
    sweep = verbs.add_parser(
        "sweep",
        parents=[common.threads, common.ray],
        help="seeds x num_envs levels x manifests: one parallelism lab per manifest, jobs in parallel on Ray",
        description="For each --manifest, a parallelism lab (see `lab parallelism`) over the --num-envs "
        "levels and --seeds. With --ray every training job and evaluation shard is a Ray task; this process "
        "writes the run directories, lab.json files and the ledger, once per result. Without --ray the same "
        "jobs run one after another here. An interrupted sweep continues with `lab parallelism --resume`.",
    )
    sweep.add_argument("--manifest", action="append", required=True, help="manifest (repeatable)")
    _plan_options(sweep)
    sweep.set_defaults(func=_cmd_sweep)
