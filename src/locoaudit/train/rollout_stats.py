"""Rollout statistics of one training iteration (a line of metrics.jsonl), accumulated from env steps.

Termination reasons are fractions of the episodes that ended in the iteration (they sum to 1
over reasons, `time_out` included), never per-step rates. Reward terms are reported per episode
(mean summed contribution over the episodes that ended; null when none did) and per second (mean
contribution of every collected env-step divided by the step length). `reset.max_step_fraction`
is the largest share of envs that reset on one step of the iteration: desynchronised resets keep
it near 1/(episode steps), synchronised ones push it towards 1. `phase_entropy` (in the record)
is the normalised entropy of episode phases (1 = evenly spread).
"""

from __future__ import annotations

from collections import Counter, defaultdict

import numpy as np

from locoaudit.arrays import Array, to_numpy, xp
from locoaudit.task.env import StepResult
from locoaudit.terms.terminations import TIME_OUT


class RolloutStats:
    """Accumulates StepResults of one iteration's rollout.

    Sums stay in the env's array kind (on the device for a device env) until `record`, so adding a
    step never waits for the device.
    """

    def __init__(self, dt: float):
        self.dt = dt
        self.steps = 0
        self.returns: list[Array] = []
        self.lengths: list[Array] = []
        self.term_sums: dict[str, list[Array]] = defaultdict(list)
        self.reason_counts: dict[tuple[str, ...], Array] = {}  # reason names -> counts per code
        self.reset_fractions: list[float] = []
        self.step_sums: dict[str, Array | float] = defaultdict(float)
        self.tracking_sum: Array | float = 0.0
        self.tracking_count = 0

    def add(self, result: StepResult) -> None:
        self.steps += 1
        n = len(result.reward)
        ended = result.ended
        self.reset_fractions.append(len(ended.env_ids) / n)
        self.tracking_sum = self.tracking_sum + result.tracking_error.sum(axis=0)
        for name, values in result.contributions.items():
            self.step_sums[name] = self.step_sums[name] + values.sum()
        self.tracking_count += n
        if len(ended.env_ids) == 0:
            return
        self.returns.append(ended.ret)
        self.lengths.append(ended.length)
        for name, values in ended.term_sums.items():
            self.term_sums[name].append(values)
        names = ended.reason_names
        counts = xp(ended.ret).bincount(ended.reason_code, minlength=len(names))
        self.reason_counts[names] = self.reason_counts.get(names, 0) + counts

    @property
    def reasons(self) -> Counter[str]:
        """Episodes that ended in the iteration, by termination reason (read from the device once)."""
        out: Counter[str] = Counter()
        for names, counts in self.reason_counts.items():
            out.update({r: int(c) for r, c in zip(names, to_numpy(counts).tolist(), strict=True) if c})
        return out

    def record(self) -> dict:
        """Episode, reward-term, termination, reset and tracking statistics of the iteration."""
        reasons = self.reasons
        episodes = int(sum(reasons.values()))
        lengths = np.concatenate([to_numpy(a) for a in self.lengths]) if self.lengths else np.zeros(0)
        seconds = np.maximum(lengths, 1) * self.dt
        samples = max(self.tracking_count, 1)
        terms = {
            name: {
                "per_episode": _mean(self.term_sums[name]) if episodes else None,
                "per_second": float(to_numpy(total)) / samples / self.dt,
            }
            for name, total in self.step_sums.items()
        }
        failures = episodes - reasons.get(TIME_OUT, 0)
        track = np.broadcast_to(to_numpy(self.tracking_sum), (2,)) / samples
        return {
            "episodes": episodes,
            "mean_episode_return": _mean(self.returns) if episodes else None,
            "mean_episode_length_s": float(seconds.mean()) if episodes else None,
            "reward_terms": terms,
            "terminations": {k: v / episodes for k, v in sorted(reasons.items())} if episodes else {},
            "fall_fraction": failures / episodes if episodes else None,
            "reset": {
                "max_step_fraction": max(self.reset_fractions, default=0.0),
                "mean_step_fraction": float(np.mean(self.reset_fractions)) if self.reset_fractions else 0.0,
            },
            "tracking": {"lin_vel_error": float(track[0]), "yaw_rate_error": float(track[1])},
        }


def _mean(parts: list[Array]) -> float:
    """Mean over the concatenated parts, on the host."""
    return float(np.concatenate([to_numpy(a) for a in parts]).mean())
