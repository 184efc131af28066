"""Per-env episode bookkeeping: lengths, returns, per-term sums, termination reasons, reset phases."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from locoaudit.arrays import Array, to_numpy, zeros


@dataclass(frozen=True)
class EndedEpisodes:
    """Episodes that ended in one step. n = number of ended envs; arrays of the env's kind (numpy or device).

    The termination reasons stay codes (`reason_code` into `reason_names`) so that nothing leaves the
    device per step; `reason` spells them out on the host.
    """

    env_ids: Array  # (n,)
    length: Array  # (n,) policy steps
    ret: Array  # (n,) undiscounted return
    term_sums: dict[str, Array]  # term -> (n,) summed weighted contribution
    reason_code: Array  # (n,) int64 index into reason_names
    reason_names: tuple[str, ...]  # termination reasons, time_out among them
    final_xy: Array  # (n, 2) base position at the end, before the reset

    @classmethod
    def of_reasons(cls, env_ids, length, ret, term_sums, reason, final_xy) -> EndedEpisodes:
        """Episodes given their reasons as strings (host arrays)."""
        names = tuple(sorted(set(np.asarray(reason).tolist())))
        code = np.asarray([names.index(r) for r in np.asarray(reason).tolist()], dtype=np.int64)
        return cls(env_ids, length, ret, term_sums, code, names, final_xy)

    @property
    def reason(self) -> np.ndarray:
        """(n,) str: termination reason or time_out, on the host."""
        return np.asarray(self.reason_names)[to_numpy(self.reason_code)]


class EpisodeBook:
    """Running per-env sums, flushed into EndedEpisodes when envs reset."""

    def __init__(self, num_envs: int, term_names: tuple[str, ...], ref: Array):
        self.length = zeros(num_envs, ref, "int")
        self.ret = zeros(num_envs, ref)
        self.term_sums = {name: zeros(num_envs, ref) for name in term_names}

    def add(self, reward: Array, contributions: dict[str, Array]) -> None:
        self.length += 1
        self.ret += reward
        for name, value in contributions.items():
            self.term_sums[name] += value

    def flush(self, ids: Array, reason: Array, names: tuple[str, ...], final_xy: Array) -> EndedEpisodes:
        ended = EndedEpisodes(
            env_ids=ids,
            final_xy=final_xy,
            length=self.length[ids],  # advanced indexing copies
            ret=self.ret[ids],
            term_sums={k: v[ids] for k, v in self.term_sums.items()},
            reason_code=reason,
            reason_names=names,
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
