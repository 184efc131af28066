"""Velocity commands (vx, vy, yaw rate), resampled on a per-env timer."""

from __future__ import annotations

import numpy as np

from locoaudit.manifest.schema import CommandsSection


def sample_commands(cfg: CommandsSection, n: int, rng: np.random.Generator) -> np.ndarray:
    """(n, 3) commands uniform in the manifest ranges; a standing_fraction of them are zero."""
    lo = np.array([cfg.lin_vel_x[0], cfg.lin_vel_y[0], cfg.ang_vel_yaw[0]])
    hi = np.array([cfg.lin_vel_x[1], cfg.lin_vel_y[1], cfg.ang_vel_yaw[1]])
    cmd = rng.uniform(lo, hi, size=(n, 3))
    cmd[rng.random(n) < cfg.standing_fraction] = 0.0
    return cmd


def sample_resample_steps(cfg: CommandsSection, n: int, dt: float, rng: np.random.Generator) -> np.ndarray:
    """(n,) policy steps until the next resample, uniform in resample_time seconds."""
    seconds = rng.uniform(cfg.resample_time[0], cfg.resample_time[1], size=n)
    return np.maximum(1, np.round(seconds / dt)).astype(np.int64)
