"""A live progress line for training: iteration, env-steps/s, return, tracking error, falls, ETA."""

from __future__ import annotations

import sys

from tqdm import tqdm


class Progress:
    def __init__(self, start: int, total: int, disable: bool = False):
        self.bar = tqdm(
            total=total,
            initial=start,
            unit="it",
            dynamic_ncols=True,
            disable=disable,
            file=sys.stderr,
            desc="train",
        )

    def update(self, record: dict) -> None:
        ret = record["mean_episode_return"]
        fall = record["fall_fraction"]
        self.bar.set_postfix_str(
            f"{record['env_steps_per_s']:,.0f} steps/s | return {'-' if ret is None else f'{ret:.2f}'} | "
            f"vel err {record['tracking']['lin_vel_error']:.2f} m/s | "
            f"falls {'-' if fall is None else f'{fall:.0%}'}",
            refresh=False,
        )
        self.bar.update(1)

    def close(self) -> None:
        self.bar.close()
