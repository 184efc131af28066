"""Per-env episode bookkeeping: lengths, returns, per-term sums, termination reasons, reset phases."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class EndedEpisodes:
    """Episodes that ended in one step. n = number of ended envs."""

    env_ids: np.ndarray  # (n,)
    length: np.ndarray  # (n,) policy steps
    ret: np.ndarray  # (n,) undiscounted return
    term_sums: dict[str, np.ndarray]  # term -> (n,) summed weighted contribution
    reason: np.ndarray  # (n,) str: termination reason or time_out
    final_xy: np.ndarray  # (n, 2) base position at the end, before the reset


class EpisodeBook:
    """Running per-env sums, flushed into EndedEpisodes when envs reset."""

    def __init__(self, num_envs: int, term_names: tuple[str, ...]):
        self.length = np.zeros(num_envs, dtype=np.int64)
        self.ret = np.zeros(num_envs)
        self.term_sums = {name: np.zeros(num_envs) for name in term_names}

    def add(self, reward: np.ndarray, contributions: dict[str, np.ndarray]) -> None:
        self.length += 1
        self.ret += reward
        for name, value in contributions.items():
            self.term_sums[name] += value

    def flush(self, ids: np.ndarray, reason: np.ndarray, final_xy: np.ndarray) -> EndedEpisodes:
        ended = EndedEpisodes(
            env_ids=ids,
            final_xy=final_xy,
            length=self.length[ids].copy(),
            ret=self.ret[ids].copy(),
            term_sums={k: v[ids].copy() for k, v in self.term_sums.items()},
            reason=reason,
        )
        self.length[ids] = 0
        self.ret[ids] = 0.0
        for v in self.term_sums.values():
            v[ids] = 0.0
        return ended


def phase_entropy(episode_step: np.ndarray, max_steps: int, bins: int = 20) -> float:
    """Normalised entropy in [0, 1] of episode phases (step / max_steps) over envs.

    1 means phases spread evenly (desynchronised resets); near 0 means envs reset together.
    Shapes: episode_step (N,) ints.
    """
    phase = np.clip(episode_step / max(max_steps, 1), 0.0, 1.0 - 1e-9)
    counts = np.bincount((phase * bins).astype(np.int64), minlength=bins).astype(np.float64)
    p = counts[counts > 0] / counts.sum()
    return float(-(p * np.log(p)).sum() / np.log(bins))
