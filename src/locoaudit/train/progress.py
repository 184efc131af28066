"""A live progress line for training: iteration, env-steps/s, return, tracking error, falls, ETA.

With a wall-clock budget (--minutes) the bar counts training seconds, so its ETA is the budget's.
"""

from __future__ import annotations

import sys

from tqdm import tqdm


class Progress:
    def __init__(self, start: int, total: int, disable: bool = False, seconds: float | None = None):
        self.timed = seconds is not None
        self.bar = tqdm(
            total=round(seconds) if self.timed else total,
            initial=0 if self.timed else start,
            unit="s" if self.timed else "it",
            dynamic_ncols=True,
            disable=disable,
            file=sys.stderr,
            desc="train",
        )

    def update(self, record: dict) -> None:
        ret = record["mean_episode_return"]
        fall = record["fall_fraction"]
        self.bar.set_postfix_str(
            f"it {record['iteration']} | {record['env_steps_per_s']:,.0f} steps/s | "
            f"return {'-' if ret is None else f'{ret:.2f}'} | "
            f"vel err {record['tracking']['lin_vel_error']:.2f} m/s | "
            f"falls {'-' if fall is None else f'{fall:.0%}'}",
            refresh=False,
        )
        step = record["collect_s"] + record["update_s"] if self.timed else 1
        self.bar.update(min(step, self.bar.total - self.bar.n) if self.timed else step)

    def close(self) -> None:
        self.bar.close()
