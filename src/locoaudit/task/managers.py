"""Term dispatch for the step: terminations and rewards by name, and the episode sums rewards feed.

As mjlab's RewardManager: `compute` calls each term of the manifest with its parameters, weights it and
adds it to the running episode sums; `reset` hands back the sums of the episodes that ended and zeroes them.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from locoaudit.arrays import Array, like, to_numpy, xp, zeros
from locoaudit.manifest.schema import RewardsSection, TermSpec
from locoaudit.task.episodes import EndedEpisodes, EpisodeBook
from locoaudit.terms.rewards import REWARDS
from locoaudit.terms.terminations import NON_FINITE, TERMINATIONS
from locoaudit.terms.view import StepView


class TerminationManager:
    """Named failure reasons; the first listed term that fires wins, non-finite physics overrides all."""

    def __init__(self, terms: Mapping[str, TermSpec]):
        self.terms = [(k, TERMINATIONS[k], dict(t.params)) for k, t in terms.items()]
        # reason codes: 0 none, i + 1 the i-th listed term, then non-finite (kept on the device)
        self.names: tuple[str, ...] = ("", *(k for k, _, _ in self.terms), NON_FINITE)

    def compute(self, view: StepView, failed: Array) -> tuple[Array, Array]:
        """(terminated (N,) bool, reason code (N,) int64: an index into `names`, 0 where none)."""
        code = zeros(len(failed), failed, "int")
        with np.errstate(invalid="ignore"):
            for i in reversed(range(len(self.terms))):
                _, fn, params = self.terms[i]
                code[fn(view, **params) & ~failed] = i + 1
        code[failed] = len(self.names) - 1
        return code != 0, code


class RewardManager:
    """Weighted reward terms (times dt when scale_by_dt, clipped when only_positive) and episode sums."""

    def __init__(self, cfg: RewardsSection, dt: float, num_envs: int, ref: Array):
        """ref: an array of the kind (numpy, or tensors on a device) the sums are kept in."""
        self.cfg, self.num_envs, self.ref = cfg, num_envs, ref
        self.scale = dt if cfg.scale_by_dt else 1.0
        self.terms = [(k, REWARDS[k], t.weight, dict(t.params)) for k, t in cfg.terms.items()]
        self.book = EpisodeBook(num_envs, tuple(cfg.terms), ref)

    def compute(self, view: StepView, failed: Array) -> tuple[Array, dict[str, Array]]:
        """(reward (N,), term -> weighted contribution (N,)); zero for non-finite envs; adds to the sums."""
        contributions, ns = {}, xp(failed)
        with np.errstate(invalid="ignore", over="ignore"):
            for name, fn, weight, params in self.terms:
                value = weight * self.scale * fn(view, **params)
                contributions[name] = ns.where(failed, 0.0, value)
        reward = zeros(self.num_envs, self.ref)
        for value in contributions.values():  # a fixed order per env: identical in a batch of 1 or N (replay)
            reward += value
        if self.cfg.only_positive:
            reward = ns.clip(reward, 0.0, None)
        self.book.add(reward, contributions)
        return reward, contributions

    def reset(self, ids: Array, reason: Array, names: tuple[str, ...], final_xy: Array) -> EndedEpisodes:
        """The log of the episodes of envs `ids` that ended (length, return, term sums); zeroes their sums.

        reason: (n,) codes into `names` (TerminationManager.names, with time_out)."""
        return self.book.flush(ids, reason, names, final_xy)

    def state_dict(self) -> dict:
        """The running sums (a checkpoint's "book"), on the host."""
        b = self.book
        return {
            "length": np.array(to_numpy(b.length)),
            "ret": np.array(to_numpy(b.ret)),
            "term_sums": {k: np.array(to_numpy(v)) for k, v in b.term_sums.items()},
        }

    def load_state_dict(self, state: dict) -> None:
        """Restore the running sums from state_dict()."""
        b = self.book
        b.length[:], b.ret[:] = like(state["length"], b.length, "int"), like(state["ret"], b.ret)
        for key, value in state["term_sums"].items():
            b.term_sums[key][:] = like(value, b.term_sums[key])
