"""Term dispatch for the step: terminations and rewards by name, and the episode sums rewards feed.

As mjlab's RewardManager: `compute` calls each term of the manifest with its parameters, weights it and
adds it to the running episode sums; `reset` hands back the sums of the episodes that ended and zeroes them.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from locoaudit.manifest.schema import RewardsSection, TermSpec
from locoaudit.task.episodes import EndedEpisodes, EpisodeBook
from locoaudit.terms.rewards import REWARDS
from locoaudit.terms.terminations import NON_FINITE, TERMINATIONS
from locoaudit.terms.view import StepView


class TerminationManager:
    """Named failure reasons; the first listed term that fires wins, non-finite physics overrides all."""

    def __init__(self, terms: Mapping[str, TermSpec]):
        self.terms = [(k, TERMINATIONS[k], dict(t.params)) for k, t in terms.items()]

    def compute(self, view: StepView, failed: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(terminated (N,) bool, reason (N,) object: '' where none) for this step's view."""
        reasons = np.full(len(failed), "", dtype=object)
        with np.errstate(invalid="ignore"):
            for name, fn, params in reversed(self.terms):
                reasons[fn(view, **params) & ~failed] = name
        reasons[failed] = NON_FINITE
        return reasons != "", reasons


class RewardManager:
    """Weighted reward terms (times dt when scale_by_dt, clipped when only_positive) and episode sums."""

    def __init__(self, cfg: RewardsSection, dt: float, num_envs: int):
        self.cfg, self.num_envs = cfg, num_envs
        self.scale = dt if cfg.scale_by_dt else 1.0
        self.terms = [(k, REWARDS[k], t.weight, dict(t.params)) for k, t in cfg.terms.items()]
        self.book = EpisodeBook(num_envs, tuple(cfg.terms))

    def compute(self, view: StepView, failed: np.ndarray) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """(reward (N,), term -> weighted contribution (N,)); zero for non-finite envs; adds to the sums."""
        contributions = {}
        with np.errstate(invalid="ignore", over="ignore"):
            for name, fn, weight, params in self.terms:
                value = weight * self.scale * fn(view, **params)
                contributions[name] = np.where(failed, 0.0, value)
        reward = np.zeros(self.num_envs)
        for value in contributions.values():  # a fixed order per env: identical in a batch of 1 or N (replay)
            reward += value
        if self.cfg.only_positive:
            reward = np.clip(reward, 0.0, None)
        self.book.add(reward, contributions)
        return reward, contributions

    def reset(self, ids: np.ndarray, reason: np.ndarray, final_xy: np.ndarray) -> EndedEpisodes:
        """The log of the episodes of envs `ids` that ended (length, return, term sums); zeroes their sums."""
        return self.book.flush(ids, reason, final_xy)

    def state_dict(self) -> dict:
        """The running sums (a checkpoint's "book")."""
        b = self.book
        return {
            "length": b.length.copy(),
            "ret": b.ret.copy(),
            "term_sums": {k: v.copy() for k, v in b.term_sums.items()},
        }

    def load_state_dict(self, state: dict) -> None:
        """Restore the running sums from state_dict()."""
        self.book.length[:], self.book.ret[:] = state["length"], state["ret"]
        for key, value in state["term_sums"].items():
            self.book.term_sums[key][:] = value
