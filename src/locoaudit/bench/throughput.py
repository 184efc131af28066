"""Env-steps/s of the full environment vs the raw `mujoco.rollout` physics rate of the same model.

Both are measured in the same process, interleaved in rounds, so the ratio is taken under the
same machine load; every physics round starts from the env's current states (where fallen robots
have been reset) and applies the same random-action distribution, so both see the same contacts;
each (manifest, num_envs) runs in a fresh process so its peak RSS is its own.
"""

from __future__ import annotations

import multiprocessing
import os
import resource
import statistics
import sys
import time
from dataclasses import asdict, dataclass

import mujoco
import numpy as np
from mujoco import rollout as mjrollout


@dataclass(frozen=True)
class ThroughputResult:
    manifest: str
    num_envs: int
    threads: int
    decimation: int
    env_steps_per_s: float  # median over rounds, random actions, full task step
    physics_env_steps_per_s: float  # median over rounds, mujoco.rollout, same model and decimation
    ratio: float  # env / physics
    rounds: int
    peak_rss_mb: float
    rss_per_env_kb: float  # (peak RSS - RSS before the env was built) / num_envs


def _rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def _physics_block(model, datas, roller, state, controls: list[np.ndarray], steps: int) -> float:
    """Run `steps` policy-step-sized rollouts, chaining final states, cycling controls; returns seconds."""
    n, dec = controls[0].shape[0], controls[0].shape[1]
    out = np.empty((n, dec, state.shape[1]))
    sens = np.empty((n, dec, model.nsensordata))
    models = [model] * n
    t = time.perf_counter()
    for i in range(steps):
        control = controls[i % len(controls)]
        roller.rollout(models, datas, state, control, skip_checks=True, nstep=dec, state=out, sensordata=sens)
        state[:] = out[:, -1]
    return time.perf_counter() - t


def _physics_state(env, data: mujoco.MjData) -> np.ndarray:
    """The env's current states as (N, nstate) FULLPHYSICS rows for mujoco.rollout."""
    model, ids = env.built.model, np.arange(env.num_envs)
    rows = env.backend.get_state(ids)
    out = np.empty((env.num_envs, mujoco.mj_stateSize(model, mujoco.mjtState.mjSTATE_FULLPHYSICS)))
    for i in ids:
        mujoco.mj_setState(model, data, rows[i], mujoco.mjtState.mjSTATE_INTEGRATION)
        mujoco.mj_getState(model, data, out[i], mujoco.mjtState.mjSTATE_FULLPHYSICS)
    return out


def _random_controls(env, rng: np.random.Generator, count: int) -> list[np.ndarray]:
    """Joint targets from uniform random actions, as the env applies them, held over the substeps."""
    model, dec = env.built.model, env.manifest.sim.decimation
    out = []
    for _ in range(count):
        target = env.default_joint_pos + env.manifest.robot.action_scale * rng.uniform(
            -1, 1, (env.num_envs, env.num_actions)
        )
        control = np.zeros((env.num_envs, dec, model.nu))
        control[:, :, env.built.actuators] = target[:, None, :]
        out.append(control)
    return out


def _steps_per_round(num_envs: int, seconds: float, step_s: float) -> int:
    """Env steps per timed round: about 20000 env-steps, but short enough that the three rounds
    (each an env block and a physics block of the same length) fit in --seconds."""
    fit = int(seconds / 6 / max(step_s, 1e-6))
    return max(2, min(int(20000 / num_envs), fit))


def measure(manifest_name: str, num_envs: int, seconds: float, threads: int | None, seed: int = 0) -> dict:
    """Measure one configuration in this process; returns a ThroughputResult as a dict."""
    from locoaudit.manifest import load_manifest
    from locoaudit.task.env import LocoEnv

    manifest = load_manifest(manifest_name)
    rss0 = _rss_mb()
    env = LocoEnv(manifest, num_envs, seed=seed, threads=threads)
    rng = np.random.default_rng(seed)
    model, dec, nthread = env.built.model, manifest.sim.decimation, env.backend.nthread
    roller = mjrollout.Rollout(nthread=nthread)
    datas = [mujoco.MjData(model) for _ in range(max(nthread, 1))]
    controls = _random_controls(env, rng, 8)
    actions = rng.uniform(-1, 1, size=(num_envs, env.num_actions))
    env.step(actions)
    state = _physics_state(env, datas[0])
    _physics_block(model, datas, roller, state, controls, 2)
    t = time.perf_counter()
    env.step(actions)
    steps = _steps_per_round(num_envs, seconds, time.perf_counter() - t)
    env_rates, phys_rates, deadline = [], [], time.perf_counter() + seconds
    while time.perf_counter() < deadline or len(env_rates) < 3:
        t = time.perf_counter()
        for _ in range(steps):
            env.step(rng.uniform(-1, 1, size=(num_envs, env.num_actions)))
        env_rates.append(num_envs * steps / (time.perf_counter() - t))
        state = _physics_state(env, datas[0])  # same states as the env: fallen robots are reset there too
        phys_rates.append(num_envs * steps / _physics_block(model, datas, roller, state, controls, steps))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    env_rate, phys_rate = statistics.median(env_rates), statistics.median(phys_rates)
    return asdict(
        ThroughputResult(
            manifest=manifest.name,
            num_envs=num_envs,
            threads=nthread,
            decimation=dec,
            env_steps_per_s=env_rate,
            physics_env_steps_per_s=phys_rate,
            ratio=env_rate / phys_rate,
            rounds=len(env_rates),
            peak_rss_mb=peak,
            rss_per_env_kb=max(peak - rss0, 0.0) * 1024 / num_envs,
        )
    )


def measure_isolated(manifest_name: str, num_envs: int, seconds: float, threads: int | None) -> dict:
    """`measure` in a fresh spawned process, so peak memory belongs to this configuration alone."""
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(1) as pool:
        return pool.apply(measure, (manifest_name, num_envs, seconds, threads))


def sweep(manifests: list[str], num_envs: list[int], seconds: float, threads: int | None) -> list[dict]:
    """Every manifest x batch size, each isolated; progress and rows go to stderr as they finish."""
    results = []
    for manifest in manifests:
        for n in num_envs:
            print(f"measuring {manifest} N={n} for {seconds:g} s ...", file=sys.stderr, flush=True)
            results.append(measure_isolated(manifest, n, seconds, threads))
            print(format_row(results[-1]), file=sys.stderr, flush=True)
    return results


def format_row(r: dict) -> str:
    """One result as an aligned text line."""
    return (
        f"{r['manifest']:<16} N={r['num_envs']:<5} threads={r['threads']} "
        f"env {r['env_steps_per_s']:>9.0f} steps/s | physics {r['physics_env_steps_per_s']:>9.0f} | "
        f"ratio {r['ratio']:.3f} | peak RSS {r['peak_rss_mb']:.0f} MB ({r['rss_per_env_kb']:.0f} kB/env)"
    )
