"""What the transfer leg costs: Genesis next to MuJoCo on the same panel, measured in one run.

Evaluates one run's policy on a panel twice, in the same process: held-out in MuJoCo (torch
policy) and as a transfer evaluation in Genesis (exported ONNX policy, after the contract, policy,
model and state read-backs). Prints each wall clock, each engine's env-steps/s and their ratio,
and whether Genesis' kernel cache was warm. The Genesis wall clock includes its scene build and
kernel loading; the first run on a machine also compiles the kernels (minutes), so run it twice
to see the cached figure the issue's 5-minute goal is about.

Without --run it trains nothing: it evaluates an untrained quadruped_flat policy, which stands
(mean actions near zero), so episodes run their full length, as a walking policy's do.

Run: PYTHONPATH=src .venv/bin/python bench/transfer_cost.py [--run RUN_DIR] [--episodes 32]
Writes bench/out/transfer_cost.json.
"""

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def _cache_warm() -> bool:
    root = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
    return (root / "genesis").is_dir() and any((root / "genesis").iterdir())


def _untrained_run(folder: Path) -> Path:
    import torch

    from locoaudit.manifest import load_manifest
    from locoaudit.train import session

    torch.set_num_threads(1)
    trainer = session.start(load_manifest("quadruped_flat"), 16, 0, folder, "cpu", threads=1)
    trainer.save()
    return trainer.run_dir


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", help="run directory (default: an untrained quadruped_flat policy)")
    parser.add_argument("--panel", default="disturbance")
    parser.add_argument("--episodes", type=int, default=32, help="episodes per cell (default 32)")
    args = parser.parse_args()

    from locoaudit.evaluate.run import evaluate_run
    from locoaudit.transfer.run import evaluate_transfer

    warm = _cache_warm()
    with tempfile.TemporaryDirectory() as tmp:
        run = Path(args.run) if args.run else _untrained_run(Path(tmp))
        begin = time.perf_counter()
        mujoco = evaluate_run(run, args.panel, args.episodes, allow_overlap=True)[0].to_json()
        mujoco_s = time.perf_counter() - begin
        begin = time.perf_counter()
        genesis = evaluate_transfer(run, args.panel, args.episodes, allow_overlap=True)[0].to_json()
        genesis_s = time.perf_counter() - begin
    row = {
        "panel": args.panel,
        "episodes_per_cell": args.episodes,
        "cells": len(mujoco["cells"]),
        "cpu_count": os.cpu_count(),
        "genesis_kernel_cache_warm_at_start": warm,
        "mujoco": {
            "simulator": mujoco["simulator"],
            "wall_s": mujoco_s,
            "env_steps_per_s": mujoco["env_steps_per_s"],
        },
        "genesis": {
            "simulator": genesis["simulator"],
            "wall_s": genesis_s,
            "env_steps_per_s": genesis["env_steps_per_s"],
            "skipped_cells": genesis.get("skipped_cells", []),
        },
    }
    row["genesis_over_mujoco_env_steps_per_s"] = (
        row["genesis"]["env_steps_per_s"] / row["mujoco"]["env_steps_per_s"]
    )
    out = HERE / "out"
    out.mkdir(exist_ok=True)
    (out / "transfer_cost.json").write_text(json.dumps(row, indent=2) + "\n")
    m, g = row["mujoco"], row["genesis"]
    print(f"{args.panel}, {args.episodes} episodes x {row['cells']} cells, kernel cache warm: {warm}")
    print(f"  mujoco  {m['wall_s']:7.1f} s  {m['env_steps_per_s']:9.0f} env-steps/s  ({m['simulator']})")
    print(f"  genesis {g['wall_s']:7.1f} s  {g['env_steps_per_s']:9.0f} env-steps/s  ({g['simulator']})")
    print(f"  genesis / mujoco env-steps/s: {row['genesis_over_mujoco_env_steps_per_s']:.2f}")


if __name__ == "__main__":
    main()
