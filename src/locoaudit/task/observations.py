"""Observation groups: 'actor' (noisy, what a robot can sense) and 'critic' (noiseless + privileged).

Each group is a concatenation of named terms; `layout` records the slice of every term so that
audits and sensor-corruption panels can address them by name.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from locoaudit.arrays import Array, float32, xp
from locoaudit.manifest.schema import PRIVILEGED_TERMS, ObservationsSection

NOISY_TERMS = ("base_ang_vel", "projected_gravity", "joint_pos", "joint_vel", "height_scan")


@dataclass(frozen=True)
class ObsInputs:
    """Everything observations are made of, for N envs."""

    base_lin_vel: Array  # (N, 3) body frame
    base_ang_vel: Array  # (N, 3) body frame
    projected_gravity: Array  # (N, 3)
    command: Array  # (N, 3)
    joint_pos: Array  # (N, J) offsets from the default pose
    joint_vel: Array  # (N, J)
    last_action: Array  # (N, J)
    height_scan: Array  # (N, K) base height above each scan point, clipped to [-1, 1]; K may be 0
    friction: Array  # (N,)
    gait_phase: Array  # (N, 2) sin, cos of the gait clock's phase; (N, 0) without a clock


def scan_points(cfg: ObservationsSection) -> np.ndarray:
    """(K, 2) scan points in the yaw-aligned base frame, a regular grid of scan_size at scan_resolution."""
    nx = round(cfg.scan_size[0] / cfg.scan_resolution) + 1
    ny = round(cfg.scan_size[1] / cfg.scan_resolution) + 1
    xs = np.linspace(-cfg.scan_size[0] / 2, cfg.scan_size[0] / 2, nx)
    ys = np.linspace(-cfg.scan_size[1] / 2, cfg.scan_size[1] / 2, ny)
    gx, gy = np.meshgrid(xs, ys, indexing="ij")
    return np.stack([gx.ravel(), gy.ravel()], axis=1)


def leaked_terms(cfg: ObservationsSection) -> tuple[str, ...]:
    """Privileged terms the manifest also gives the actor (noiseless), beyond its own sensors."""
    own = ("height_scan",) if cfg.height_scan else ()
    return tuple(t for t in dict.fromkeys(cfg.actor_privileged) if t not in own)


def actor_terms(cfg: ObservationsSection) -> tuple[str, ...]:
    clock = ("gait_phase",) if cfg.gait_clock_hz > 0 else ()
    base = ("base_ang_vel", "projected_gravity", "command", *clock, "joint_pos", "joint_vel", "last_action")
    own = (*base, "height_scan") if cfg.height_scan else base
    return own + leaked_terms(cfg)


def critic_terms(cfg: ObservationsSection) -> tuple[str, ...]:
    """All actor terms, then each privileged term not already among them (never twice)."""
    actor = actor_terms(cfg)
    return actor + tuple(t for t in PRIVILEGED_TERMS if t not in actor)


def _term(inputs: ObsInputs, name: str) -> Array:
    value = getattr(inputs, name)
    return value[:, None] if value.ndim == 1 else value


def layout(cfg: ObservationsSection, inputs: ObsInputs) -> dict[str, dict[str, slice]]:
    """{group: {term: slice}} for the given shapes."""
    out = {}
    for group, terms in (("actor", actor_terms(cfg)), ("critic", critic_terms(cfg))):
        start, slices = 0, {}
        for name in terms:
            width = _term(inputs, name).shape[1]
            slices[name] = slice(start, start + width)
            start += width
        out[group] = slices
    return out


def compute(cfg: ObservationsSection, inputs: ObsInputs, rng) -> dict[str, Array]:
    """{'actor': (N, A), 'critic': (N, C)} float32; actor sensor terms get uniform noise, leaked ones none.

    rng: a numpy Generator (numpy inputs) or an arrays.Random on the inputs' device (tensors).
    """
    noise, leaked = cfg.noise, leaked_terms(cfg)
    actor = []
    for name in actor_terms(cfg):
        value = _term(inputs, name)
        if name in NOISY_TERMS and name not in leaked:
            scale = getattr(noise, name)
            value = value + rng.uniform(-scale, scale, size=value.shape) if scale > 0 else value
        actor.append(value)
    critic = [_term(inputs, name) for name in critic_terms(cfg)]
    ns = xp(inputs.command)
    return {
        "actor": float32(ns.clip(ns.concatenate(actor, axis=1), -cfg.clip, cfg.clip)),
        "critic": float32(ns.clip(ns.concatenate(critic, axis=1), -cfg.clip, cfg.clip)),
    }
