"""Replay a failure trace in a one-env batch of the same environment family and check it reproduces.

The env is rebuilt from the trace's evaluation manifest, its single simulation is loaded with the
recorded start state (physics, model fields, task buffers), and each step applies the recorded
command, push and action. Reproduction is bit for bit: every qpos before the failing step (the
last qpos follows an internal reset that draws from the env's generator), every reward and the
termination reason must be identical.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from locoaudit.errors import LocoauditError
from locoaudit.manifest import manifest_from_canonical
from locoaudit.task.env import LocoEnv
from locoaudit.traces.format import read_trace


@dataclass(frozen=True)
class ReplayReport:
    reproduced: bool
    steps: int
    reason: str
    replay_reason: str
    first_divergence: int | None  # first step whose qpos or reward differs
    max_qpos_diff: float
    max_reward_diff: float

    def line(self) -> str:
        if self.reproduced:
            return f"reproduced bit for bit: {self.steps} steps, ended by {self.reason}"
        where = "" if self.first_divergence is None else f" from step {self.first_divergence}"
        return (
            f"NOT reproduced: diverged{where} (max |dqpos| {self.max_qpos_diff:.3g}, max |dreward| "
            f"{self.max_reward_diff:.3g}); recorded {self.reason}, replay {self.replay_reason}"
        )


def load_start(env: LocoEnv, arrays: dict[str, np.ndarray]) -> None:
    """Put env 0 into the recorded start state."""
    env.backend.set_state(np.array([0]), arrays["physics"][None])
    params = {k.split(".", 1)[1]: v[None] for k, v in arrays.items() if k.startswith("param.")}
    env.backend.set_params(np.array([0]), params)
    buffers = {k.split(".", 1)[1]: v for k, v in arrays.items() if k.startswith("buffer.")}
    env.state.load(buffers, np.array([0]))


def replay(path: Path, threads: int = 1) -> ReplayReport:
    header, arrays = read_trace(path)
    if header.get("source") == "hardware":
        raise LocoauditError(
            f"{path}: a hardware trace has no simulator start state to replay; "
            "find the model variants that reproduce it with `locoaudit reproduce`"
        )
    env = LocoEnv(manifest_from_canonical(header["eval_manifest"], str(path)), 1, seed=0, threads=threads)
    load_start(env, arrays)
    steps, reason = header["steps"], "time_out"
    qpos, rewards = np.empty_like(arrays["qpos"]), np.empty_like(arrays["rewards"])
    for t in range(steps):
        env.state.command[0] = arrays["commands"][t]
        if t == header["push_step"]:
            env.push(np.array([0]), np.asarray(header["push_dv"])[None])
        result = env.step(arrays["actions"][t][None].astype(np.float64))
        qpos[t], rewards[t] = env.backend.qpos[0], result.reward[0]
        if result.terminated[0] or result.time_out[0]:
            reason = str(result.ended.reason[0])
            break
    return _compare(header, arrays, qpos[: t + 1], rewards[: t + 1], reason)


def _compare(header, arrays, qpos, rewards, reason) -> ReplayReport:
    steps = header["steps"]
    n = min(len(qpos), steps) - 1  # qpos after the last (failing) step follows a reset
    dq = np.abs(qpos[:n] - arrays["qpos"][:n])
    dr = np.abs(rewards[: min(len(rewards), steps)] - arrays["rewards"][: len(rewards)])
    bad_steps = np.flatnonzero((dq.max(axis=1) if n > 0 else np.zeros(0)) > 0)
    bad_rewards = np.flatnonzero(dr > 0)
    first = min([int(x[0]) for x in (bad_steps, bad_rewards) if len(x)], default=None)
    same = first is None and len(rewards) == steps and reason == header["reason"]
    return ReplayReport(
        reproduced=bool(same),
        steps=steps,
        reason=header["reason"],
        replay_reason=reason,
        first_divergence=first,
        max_qpos_diff=float(dq.max()) if dq.size else 0.0,
        max_reward_diff=float(dr.max()) if dr.size else 0.0,
    )
