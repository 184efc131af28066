"""Run one evaluation batch: every env one episode, disturbances applied, everything recorded.

The per-step record (actions as fed, commands, rewards, qpos, actor observations) is what
failure traces are cut from; the per-episode accumulators are what metrics are computed from.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from locoaudit.evaluate.conditions import Batch, cell_params
from locoaudit.evaluate.panel import Panel
from locoaudit.evaluate.rollout import Policy
from locoaudit.manifest import Manifest
from locoaudit.sim.mujoco_cpu import PARAM_FIELDS
from locoaudit.task.env import LocoEnv

MakeEnv = Callable[[Manifest, int, int], LocoEnv]


@dataclass
class BatchLog:
    """What one batch produced. n = envs of the batch, T = steps run."""

    steps: np.ndarray  # (n,) policy steps alive
    reason: np.ndarray  # (n,) str: failure reason or 'time_out'
    sums: dict[str, np.ndarray]  # accumulators over alive steps, (n,) each
    push_step: np.ndarray  # (n,) step index of the push, -1 without one
    push_dv: np.ndarray  # (n, 2)
    start: dict  # initial per-env state: 'physics', 'params', 'buffers'
    record: dict[str, np.ndarray] = field(default_factory=dict)  # per step (T, n, ...)
    env_steps_per_s: float = 0.0


def _start_state(env: LocoEnv) -> dict:
    ids = np.arange(env.num_envs)
    return {
        "physics": env.backend.get_state(ids),
        "params": {k: env.backend.param(k).copy() for k in PARAM_FIELDS},
        "buffers": env.state.arrays(),
    }


def _corrupt(obs: np.ndarray, cells, layout: dict, rng: np.random.Generator) -> np.ndarray:
    """Sensor corruption (noise, bias, dropout) on named actor terms of each cell's envs."""
    out = obs.copy()
    for cell, ids in cells:
        s = cell.sensor
        for term in s.terms:
            cols = layout[term]
            block = out[ids, cols]
            if s.noise > 0:
                block += rng.uniform(-s.noise, s.noise, size=block.shape)
            block += s.bias
            if s.dropout > 0:
                block[rng.random(block.shape) < s.dropout] = 0.0
            out[ids, cols] = block
    return out


def run_batch(
    batch: Batch,
    panel: Panel,
    policy: Policy,
    seed: int,
    threads: int | None,
    make_env: MakeEnv | None = None,
    sim_device: str = "cpu",
) -> BatchLog:
    """Evaluate one batch deterministically; seed fixes initial states, commands, noise and pushes.

    make_env builds the env from (manifest, num_envs, seed) when another engine runs the batch;
    sim_device is where MuJoCo Warp runs when the batch's manifest says sim.backend = warp.
    """
    if make_env is None:
        env = LocoEnv(batch.manifest, batch.num_envs, seed=seed, threads=threads, sim_device=sim_device)
    else:
        env = make_env(batch.manifest, batch.num_envs, seed)
    rng = np.random.default_rng([seed, 1])
    cells = [(panel.cells[i], np.arange(s, s + n)) for i, s, n in batch.slices]
    for cell, ids in cells:
        cell_params(env, cell, ids)
    log = _new_log(env, cells, rng)
    obs, alive = env.observe(), np.ones(env.num_envs, dtype=bool)
    layout = env.obs_layout()["actor"]
    model, built = env.built.model, env.built
    limits = model.jnt_range[model.actuator_trnid[built.actuators, 0]]
    force = np.abs(model.actuator_forcerange[built.actuators, 1])
    feet_prev = env.backend.geom_positions(np.arange(env.num_envs), built.foot_geoms)[:, :, :2]
    rec = log.record
    begin = time.perf_counter()
    for t in range(env.max_episode_steps):
        actor = _corrupt(obs["actor"], cells, layout, rng)
        actions = policy({**obs, "actor": actor})
        rec["obs"].append(actor)
        rec["actions"].append(actions.astype(np.float32))
        rec["commands"].append(env.state.command.copy())
        pushing = np.flatnonzero(alive & (log.push_step == t))
        if len(pushing):
            env.push(pushing, log.push_dv[pushing])
        result = env.step(actions)
        rec["rewards"].append(result.reward)
        rec["qpos"].append(env.backend.qpos.copy())
        feet = env.backend.feet_xy(built.foot_geoms)
        _accumulate(log, env, result, alive, limits, force, feet, feet_prev)
        feet_prev = feet
        failed = np.flatnonzero(alive & result.terminated)
        if len(failed):
            reasons = dict(zip(result.ended.env_ids.tolist(), result.ended.reason.tolist(), strict=True))
            log.reason[failed] = [reasons[i] for i in failed.tolist()]
        alive &= ~(result.terminated | result.time_out)
        obs = result.obs
        if not alive.any():
            break
    log.env_steps_per_s = float(log.steps.sum() / (time.perf_counter() - begin))
    log.record = {k: np.stack(v) for k, v in rec.items()}
    return log


def _new_log(env: LocoEnv, cells, rng: np.random.Generator) -> BatchLog:
    n = env.num_envs
    push_step = np.full(n, -1, dtype=np.int64)
    push_dv = np.zeros((n, 2))
    for cell, ids in cells:
        if cell.push.velocity > 0:
            push_step[ids] = round(cell.push.time_s / env.dt)
            if cell.push.direction_deg >= 0:
                angle = np.full(len(ids), np.deg2rad(cell.push.direction_deg))
            else:
                angle = rng.uniform(-np.pi, np.pi, size=len(ids))
            push_dv[ids] = cell.push.velocity * np.stack([np.cos(angle), np.sin(angle)], axis=1)
    names = ("lin_err", "yaw_err", "energy_j", "slip", "stance", "at_limit", "saturated", "joint_samples")
    record = {k: [] for k in ("obs", "actions", "commands", "rewards", "qpos")}
    return BatchLog(
        steps=np.zeros(n, dtype=np.int64),
        reason=np.full(n, "time_out", dtype=object),
        sums={k: np.zeros(n) for k in names}
        | {"start_xy": env.backend.qpos[:, :2].copy(), "end_xy": np.zeros((n, 2))},
        push_step=push_step,
        push_dv=push_dv,
        start=_start_state(env),
        record=record,
    )


def _accumulate(log: BatchLog, env: LocoEnv, result, alive, limits, force, feet, feet_prev) -> None:
    """Add this step's contributions of the envs that were alive before it."""
    s, b, built, dt = log.sums, env.backend, env.built, env.dt
    live = alive
    log.steps[live] += 1
    s["lin_err"][live] += result.tracking_error[live, 0]
    s["yaw_err"][live] += result.tracking_error[live, 1]
    q = b.qpos[:, built.qpos_joints]
    qd = b.qvel[:, built.dof_joints]
    tau = b.actuator_force[:, built.actuators]
    s["energy_j"][live] += (np.abs(tau * qd).sum(axis=1) * dt)[live]
    contact = b.sensordata[:, built.sensor_feet] > 0
    speed = np.linalg.norm(feet - feet_prev, axis=2) / dt
    s["slip"][live] += np.where(contact, speed, 0.0).sum(axis=1)[live]
    s["stance"][live] += contact.sum(axis=1)[live]
    margin = 0.02 * (limits[:, 1] - limits[:, 0])
    at_limit = (q < limits[:, 0] + margin) | (q > limits[:, 1] - margin)
    s["at_limit"][live] += at_limit.sum(axis=1)[live]
    s["saturated"][live] += (np.abs(tau) >= 0.99 * force).sum(axis=1)[live]
    s["joint_samples"][live] += q.shape[1]
    ending = live & (result.terminated | result.time_out)
    keep = live & ~ending
    s["end_xy"][keep] = b.qpos[keep, :2]
    ended = result.ended
    last = ending[ended.env_ids]  # envs reset inside step(): their position before the reset
    s["end_xy"][ended.env_ids[last]] = ended.final_xy[last]
