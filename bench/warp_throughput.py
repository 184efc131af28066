"""MuJoCo Warp against MuJoCo C on this machine: physics env-steps/s and end-to-end training samples/s.

For each --num-envs, in one process and one run (so the ratios share the machine's load):
  physics   the backend alone stepping N envs with random held joint targets (decimation substeps
            per env-step): Warp on --device (one captured graph, one copy each way per step) and
            MuJoCo C (mujoco.batch on --threads threads), same model, same controls;
  env step  the whole env step (physics, rewards, terminations, resets, observations) on Warp,
            with the task on the device (torch tensors, what training runs) and on host numpy
            mirrors (what evaluation runs: one copy each way per step); device / host is the
            round trip's cost;
  training  `locoaudit train`'s loop (collect + PPO update) for --iterations iterations with
            sim.backend = warp (physics, task and policy on --device) and with MuJoCo C (task in
            numpy, policy on the CPU); samples/s = samples / training wall clock.
The first Warp iteration of each size also captures its graphs (and, on a cold kernel cache,
compiles the kernels): it is run once before timing and not counted.

Run: PYTHONPATH=src python bench/warp_throughput.py --num-envs 4096 8192 16384 32768 --device cuda
     (on the CPU only tiny sizes are sensible: Warp runs its kernels serially there)
Writes bench/out/warp_throughput-<device>.json.
"""

from __future__ import annotations

import argparse
import json
import platform
import tempfile
import time
from importlib import metadata
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent


def _controls(env, rng: np.random.Generator, count: int) -> list[np.ndarray]:
    """(N, decimation, nu) joint targets from uniform random actions, as the env applies them."""
    out = []
    for _ in range(count):
        action = rng.uniform(-1, 1, (env.num_envs, env.num_actions))
        target = env.default_joint_pos + env.manifest.robot.action_scale * action
        control = np.zeros((env.num_envs, env.manifest.sim.decimation, env.built.model.nu))
        control[:, :, env.built.actuators] = target[:, None, :]
        out.append(control)
    return out


def physics_rate(backend, controls: list[np.ndarray], steps: int) -> float:
    """Env-steps/s of backend.step over `steps` policy steps (after one untimed step)."""
    backend.step(controls[0])
    start = time.perf_counter()
    for i in range(steps):
        backend.step(controls[i % len(controls)])
    return backend.num_envs * steps / (time.perf_counter() - start)


def env_step_rate(manifest, num_envs: int, device: str, steps: int, on_device: bool) -> float:
    """Env-steps/s of LocoEnv.step on Warp with zero actions, after one untimed step (graph capture)."""
    import torch

    from locoaudit.task.env import LocoEnv

    env = LocoEnv(manifest, num_envs, seed=0, sim_device=device, on_device=on_device)
    zeros = np.zeros((num_envs, env.num_actions))
    action = torch.as_tensor(zeros, dtype=torch.float32, device=device) if on_device else zeros
    env.step(action)
    sync = torch.cuda.synchronize if device.startswith("cuda") else (lambda: None)
    sync()
    start = time.perf_counter()
    for _ in range(steps):
        env.step(action)
    sync()
    return num_envs * steps / (time.perf_counter() - start)


def training_rate(manifest, num_envs: int, device: str, iterations: int, threads: int) -> dict:
    """Samples/s of `iterations` training iterations after one untimed one (graphs, compilation)."""
    from locoaudit.train import session

    with tempfile.TemporaryDirectory() as folder:
        trainer = session.start(manifest, num_envs, 0, Path(folder), device, threads)
        session.run(trainer, 1, quiet=True)
        before = trainer.counters.samples, trainer.counters.wall_clock_s
        last = session.run(trainer, iterations, quiet=True)["last"]
        samples = trainer.counters.samples - before[0]
        seconds = trainer.counters.wall_clock_s - before[1]
    return {
        "samples": samples,
        "seconds": seconds,
        "samples_per_s": samples / seconds,
        "collect_env_steps_per_s": last["env_steps_per_s"] if last else None,
    }


def measure(
    manifest_name: str, num_envs: int, device: str, steps: int, iterations: int, threads: int
) -> dict:
    from locoaudit.manifest import load_manifest
    from locoaudit.manifest.load import with_backend
    from locoaudit.sim.mjwarp import MujocoWarpBackend
    from locoaudit.sim.mujoco_cpu import MujocoCpuBackend
    from locoaudit.task.env import LocoEnv

    manifest = load_manifest(manifest_name)
    env = LocoEnv(manifest, num_envs, seed=0, threads=threads)  # MuJoCo C, spawned robots
    controls = _controls(env, np.random.default_rng(0), 4)
    state = env.backend.get_state(np.arange(num_envs))
    cpu = MujocoCpuBackend(env.built.model, num_envs, threads)
    warp = MujocoWarpBackend(env.built.model, num_envs, device)
    for backend in (cpu, warp):
        backend.set_state(np.arange(num_envs), state)
    t = time.perf_counter()
    warp.step(controls[0])  # captures the step graph
    capture_s = time.perf_counter() - t
    phys_warp, phys_cpu = physics_rate(warp, controls, steps), physics_rate(cpu, controls, steps)
    on_warp = with_backend(manifest, "warp")
    step_device = env_step_rate(on_warp, num_envs, device, steps, on_device=True)
    step_host = env_step_rate(on_warp, num_envs, device, steps, on_device=False)
    train_warp = training_rate(with_backend(manifest, "warp"), num_envs, device, iterations, threads)
    train_cpu = training_rate(manifest, num_envs, "cpu", iterations, threads)
    return {
        "num_envs": num_envs,
        "decimation": manifest.sim.decimation,
        "warp_first_step_s": capture_s,
        "physics_env_steps_per_s": {"warp": phys_warp, "mujoco_c": phys_cpu, "ratio": phys_warp / phys_cpu},
        "env_step_env_steps_per_s": {
            "warp_task_on_device": step_device,
            "warp_task_on_host": step_host,
            "ratio": step_device / step_host,
        },
        "training_samples_per_s": {
            "warp": train_warp,
            "mujoco_c": train_cpu,
            "ratio": train_warp["samples_per_s"] / train_cpu["samples_per_s"],
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--num-envs", type=int, nargs="+", default=[4096, 8192, 16384, 32768])
    parser.add_argument("--device", default=None, help="Warp's device: cuda (default when present) or cpu")
    parser.add_argument("--manifest", default="quadruped_flat")
    parser.add_argument("--steps", type=int, default=20, help="timed policy steps of the physics")
    parser.add_argument("--iterations", type=int, default=3, help="timed training iterations")
    parser.add_argument("--threads", type=int, default=2, help="MuJoCo C threads")
    args = parser.parse_args()
    from locoaudit.sim.mjwarp import load_warp

    wp, _ = load_warp()
    device = args.device or ("cuda" if wp.is_cuda_available() else "cpu")
    rows = []
    for n in args.num_envs:
        row = measure(args.manifest, n, device, args.steps, args.iterations, args.threads)
        rows.append(row)
        p, e, t = (
            row["physics_env_steps_per_s"],
            row["env_step_env_steps_per_s"],
            row["training_samples_per_s"],
        )
        print(
            f"{n:6d} envs  physics {p['warp']:10.0f} vs {p['mujoco_c']:8.0f} env-steps/s "
            f"(x{p['ratio']:.2f})  env step, task on device {e['warp_task_on_device']:9.0f} vs on host "
            f"{e['warp_task_on_host']:9.0f} (x{e['ratio']:.2f})  training {t['warp']['samples_per_s']:9.0f} "
            f"vs {t['mujoco_c']['samples_per_s']:7.0f} samples/s (x{t['ratio']:.2f})",
            flush=True,
        )
    out = {
        "manifest": args.manifest,
        "device": device,
        "device_name": str(wp.get_device(device).name),
        "threads_mujoco_c": args.threads,
        "machine": {"platform": platform.platform(), "cpu": platform.processor()},
        "versions": {p: metadata.version(p) for p in ("mujoco", "mujoco-warp", "warp-lang", "torch")},
        "rows": rows,
    }
    path = HERE / "out" / f"warp_throughput-{device.replace(':', '')}.json"
    path.parent.mkdir(exist_ok=True)
    path.write_text(json.dumps(out, indent=1))
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
