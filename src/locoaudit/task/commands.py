"""Velocity commands (vx, vy, yaw rate), resampled on a per-env timer."""

from __future__ import annotations

import numpy as np

from locoaudit.arrays import Array, astype, xp
from locoaudit.manifest.schema import CommandsSection


def sample_commands(cfg: CommandsSection, n: int, rng) -> Array:
    """(n, 3) commands uniform in the manifest ranges; a standing_fraction of them are zero.

    rng: a numpy Generator, or an arrays.Random for tensors on its device.
    """
    lo = np.array([cfg.lin_vel_x[0], cfg.lin_vel_y[0], cfg.ang_vel_yaw[0]])
    hi = np.array([cfg.lin_vel_x[1], cfg.lin_vel_y[1], cfg.ang_vel_yaw[1]])
    cmd = rng.uniform(lo, hi, size=(n, 3))
    standing = rng.random(n) < cfg.standing_fraction
    return xp(cmd).where(standing[:, None], 0.0, cmd)  # not cmd[standing] = 0: no index count on a device


def sample_resample_steps(cfg: CommandsSection, n: int, dt: float, rng) -> Array:
    """(n,) policy steps until the next resample, uniform in resample_time seconds."""
    seconds = rng.uniform(cfg.resample_time[0], cfg.resample_time[1], size=n)
    return steps_of(seconds, dt)


def steps_of(seconds: Array, dt: float) -> Array:
    """Whole policy steps (int64, at least 1) nearest to `seconds`."""
    ns = xp(seconds)
    return astype(ns.clip(ns.round(seconds / dt), 1, None), seconds, "int")
