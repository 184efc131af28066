"""`locoaudit reproduce`: replay a hardware trace under N model variants at once and rank them.

Every env starts from the logged initial state (traces/logstate.py) with its own parameters
(traces/variants.py) and replays the logged joint targets open loop, or with a policy closed loop
under the logged commands. A variant is compared with the log step by step until it or the log
fails (the state after a failing step is lost to the env's reset and is not compared):

  joint_rmse    RMS joint-angle error [rad]
  orientation   mean angle between simulated and logged gravity directions [rad] (roll/pitch only)
  contact       fraction of (step, foot) where simulated and logged foot contact agree
(these three weight step t by exp(-t dt / discount_s), discount_s = 1 s by default: an open-loop
replay through contact events diverges chaotically within a second or two, so a run's first second
carries the parameters' signature and later steps mostly noise; the failure terms cover the rest)
  fail_time     |failure step of the variant - of the log| x dt [s] (no failure counts as the end)
  fell_match    both fell or neither did

distance = joint_rmse / 0.1 + orientation / 0.1 + (1 - contact) + fail_time / 0.5 + 2 (1 - fell_match):
each term in units of a difference that matters (0.1 rad, half a second, any disagreement in falling).
A variant reproduces the log when fell_match holds and fail_time <= the tolerance.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from locoaudit.errors import LocoauditError
from locoaudit.manifest import manifest_from_canonical
from locoaudit.sim.mujoco_cpu import PARAM_FIELDS
from locoaudit.task.env import LocoEnv
from locoaudit.task.kinematics import rotate_inverse
from locoaudit.traces import logstate

WEIGHTS = {
    "joint_rmse": 1 / 0.1,
    "orientation": 1 / 0.1,
    "contact": -1.0,
    "fail_time": 1 / 0.5,
    "fell_match": -2.0,
}
GRAVITY = np.array([0.0, 0.0, -1.0])
DISCOUNT_S = 1.0  # time constant of the step weights [s]; 0 weights every step alike
Policy = Callable[[dict[str, np.ndarray]], np.ndarray]


@dataclass
class Scores:
    """Per-variant results (N,) of one batched replay."""

    joint_rmse: np.ndarray
    orientation: np.ndarray
    contact: np.ndarray
    fail_step: np.ndarray  # -1: no failure within the replay
    fail_reason: np.ndarray  # str, '' without a failure
    compared: np.ndarray  # steps compared
    steps_run: int = 0  # policy steps the batch was stepped

    def distance(self, log_fail: int, run_steps: int, dt: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(distance, fail_time [s], fell_match) per variant."""
        sim = np.where(self.fail_step >= 0, self.fail_step, run_steps)
        log = log_fail if log_fail >= 0 else run_steps
        fail_time = np.abs(sim - log) * dt
        fell_match = (self.fail_step >= 0) == (log_fail >= 0)
        rmse = np.where(self.compared > 0, self.joint_rmse, np.pi)
        orient = np.where(self.compared > 0, self.orientation, np.pi)
        d = (
            WEIGHTS["joint_rmse"] * rmse
            + WEIGHTS["orientation"] * orient
            - WEIGHTS["contact"] * (1.0 - self.contact)
            + WEIGHTS["fail_time"] * fail_time
            - WEIGHTS["fell_match"] * (~fell_match)
        )
        return d, fail_time, fell_match


def run_steps(header: dict) -> int:
    """Steps to replay: the whole log, or up to one second past the log's failure."""
    fail, steps = header["failure_step"], header["steps"]
    return steps if fail < 0 else min(steps, fail + 1 + round(1.0 / header["dt"]))


def make_env(
    header: dict, arrays: dict, values: dict[str, np.ndarray], threads: int | None, seed: int = 0
) -> LocoEnv:
    """A batch of len(values) envs at the logged start, one variant each."""
    manifest = manifest_from_canonical(header["eval_manifest"], "trace eval_manifest")
    n = len(next(iter(values.values())))
    env = LocoEnv(logstate.reproduce_manifest(manifest, header["steps"]), n, seed=seed, threads=threads)
    logstate.start(env, arrays, values)
    return env


def start_state(env: LocoEnv, i: int) -> dict[str, np.ndarray]:
    """Trace arrays of env i's current state: physics, param.*, buffer.*."""
    out = {"physics": env.backend.get_state(np.array([i]))[0]}
    out |= {f"param.{k}": env.backend.param(k)[i].copy() for k in PARAM_FIELDS}
    out |= {f"buffer.{k}": v for k, v in env.state.rows(i).items()}
    return out


class _Comparison:
    """Time-weighted sums of the per-step differences between the variants and the log."""

    def __init__(self, n: int, arrays: dict, discount_steps: float):
        self.sq, self.orient, self.agree, self.weight = (np.zeros(n) for _ in range(4))
        self.compared = np.zeros(n, dtype=np.int64)
        self.arrays, self.discount = arrays, discount_steps
        self.log_g = rotate_inverse(arrays["base_quat"], GRAVITY)

    def add(self, env: LocoEnv, live: np.ndarray, t: int) -> None:
        """Compare the state after step t (log row t + 1) of the envs in `live`."""
        built, a = env.built, self.arrays
        w = np.exp(-t / self.discount) if self.discount > 0 else 1.0
        q = env.backend.qpos[live]
        self.sq[live] += w * np.mean((q[:, built.qpos_joints] - a["joint_pos"][t + 1]) ** 2, axis=1)
        g = rotate_inverse(q[:, 3:7], GRAVITY)
        self.orient[live] += w * np.arccos(np.clip(g @ self.log_g[t + 1], -1.0, 1.0))
        contact = env.backend.sensordata[live][:, built.sensor_feet] > 0
        self.agree[live] += w * np.mean(contact == a["foot_contact"][t + 1], axis=1)
        self.weight[live] += w
        self.compared[live] += 1

    def scores(self, fail_step: np.ndarray, reason: np.ndarray, steps_run: int) -> Scores:
        w = np.maximum(self.weight, 1e-300)
        contact = np.where(self.compared > 0, self.agree / w, 0.0)
        return Scores(
            np.sqrt(self.sq / w), self.orient / w, contact, fail_step, reason, self.compared, steps_run
        )


def replay_batch(
    env: LocoEnv,
    arrays: dict,
    steps: int,
    log_fail: int,
    policy: Policy | None,
    on_step: Callable[[int, dict, np.ndarray, object], None] | None = None,
    discount_s: float = DISCOUNT_S,
) -> Scores:
    """Step all variants through the log; compare each with the log until it or the log fails.

    on_step(t, observations fed, actions fed, step result) is called after every step (for recording).
    """
    n = env.num_envs
    cmp = _Comparison(n, arrays, discount_s / env.dt)
    fail_step, reason = np.full(n, -1), np.full(n, "", dtype=object)
    alive = np.ones(n, dtype=bool)
    horizon = log_fail + 1 if log_fail >= 0 else steps
    obs: dict = {}
    for t in range(steps):
        env.state.command[:] = arrays["commands"][t]
        if policy is not None or on_step is not None:  # with the command in force during step t
            obs = env.observe()
        logged = np.broadcast_to(arrays["actions"][t].astype(np.float64), (n, env.num_actions))
        actions = logged if policy is None else policy(obs)
        result = env.step(actions)
        if on_step is not None:
            on_step(t, obs, actions, result)
        ended = result.terminated | result.time_out
        live = alive & ~ended
        if t < horizon and live.any():
            cmp.add(env, live, t)
        failing = alive & result.terminated
        if failing.any():
            fail_step[failing] = t
            why = dict(zip(result.ended.env_ids.tolist(), result.ended.reason.tolist(), strict=True))
            reason[failing] = [why[i] for i in np.flatnonzero(failing).tolist()]
        alive &= ~ended
        if not alive.any():
            break
    return cmp.scores(fail_step, reason, t + 1)


def check_hardware(header: dict, path) -> None:
    if header.get("source") != "hardware":
        raise LocoauditError(
            f"{path}: not a hardware trace (source {header.get('source', 'simulation')!r}); import a log"
        )
