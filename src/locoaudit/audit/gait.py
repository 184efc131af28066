"""Gait audit: foot-contact patterns of the trained deterministic policy under forward commands.

Measured over alive steps at least SETTLE_S after a reset: duty factor per foot, flight fraction (no
foot on the ground), stride frequency (touchdowns per foot per second), left/right and front/back duty
differences, and the mean pairwise correlation of the four contact signals (trot ~ -1/3, pronk ~ 1).
Checks:
  summary     the numbers above (info)
  standing    a policy that does not step under forward commands (error: it blocks promotion until
              resolved in audit.json or overridden with --override-findings, both recorded)
  hopping     in-phase feet (mean pairwise correlation > IN_PHASE) with flight > PRONK_FLIGHT, or flight
              > HOP_FLIGHT: a brittle hopping / pronking gait (warning)
  dragging    a foot with duty > DRAG_DUTY while the other feet average < CYCLE_DUTY (warning)
  asymmetry   left/right or front/back duty difference > ASYMMETRY (warning)
"""

from __future__ import annotations

import numpy as np

from locoaudit.audit.diagnostics import Rollout
from locoaudit.findings import Finding

SETTLE_S = 0.5
IN_PHASE = 0.6
PRONK_FLIGHT = 0.05
HOP_FLIGHT = 0.3
DRAG_DUTY = 0.95
CYCLE_DUTY = 0.8
STILL_HZ = 0.2
ASYMMETRY = 0.3
AUDIT = "gait"


def mean_pair_correlation(contact: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """(F, F) correlation of foot-contact signals over valid steps, per env, averaged over envs where defined.

    Shapes: contact (T, N, F) bool, valid (T, N) bool. Undefined pairs (a constant foot) are NaN.
    """
    c = contact.astype(np.float64)
    w = valid.astype(np.float64)[:, :, None]
    count = np.maximum(w.sum(axis=0), 1.0)  # (N, 1)
    d = (c - (c * w).sum(axis=0) / count) * w
    cov = np.einsum("tnf,tng->nfg", d, d) / count[:, :, None]
    var = np.diagonal(cov, axis1=1, axis2=2)
    denom = np.sqrt(var[:, :, None] * var[:, None, :])
    ok = denom > 1e-12
    corr = np.where(ok, cov / np.where(ok, denom, 1.0), 0.0)
    n_ok = ok.sum(axis=0)
    return np.where(n_ok > 0, corr.sum(axis=0) / np.maximum(n_ok, 1), np.nan)


def contact_stats(
    contact: np.ndarray, touchdown: np.ndarray, valid: np.ndarray, dt: float, feet: tuple[str, ...]
) -> dict:
    """Gait numbers from contacts and touchdowns (T, N, F) over valid (T, N) steps."""
    steps = max(int(valid.sum()), 1)
    duty = {f: float(contact[:, :, i][valid].mean()) if valid.any() else 0.0 for i, f in enumerate(feet)}
    flight = float((~contact.any(axis=2))[valid].mean()) if valid.any() else 0.0
    stride = float((touchdown & valid[:, :, None]).sum() / len(feet) / (steps * dt))
    corr = mean_pair_correlation(contact, valid)
    pairs = corr[np.triu_indices(len(feet), 1)]
    in_phase = float(np.nanmean(pairs)) if np.isfinite(pairs).any() else None
    return {"duty": duty, "flight": flight, "stride_hz": stride, "in_phase": in_phase} | symmetry(duty)


def symmetry(duty: dict[str, float]) -> dict[str, float | None]:
    """Largest left/right and front/back duty differences, for feet named like FR, FL, RR, RL."""
    names = set(duty)
    lr = [abs(duty[f"{e}L"] - duty[f"{e}R"]) for e in "FRH" if {f"{e}L", f"{e}R"} <= names]
    front = [v for k, v in duty.items() if k.startswith("F")]
    back = [v for k, v in duty.items() if k[0] in "RH"]
    fb = abs(np.mean(front) - np.mean(back)) if front and back else None
    return {"left_right": max(lr) if lr else None, "front_back": None if fb is None else float(fb)}


def judge(stats: dict) -> list[Finding]:
    """Warnings for hopping, a dragged foot and asymmetry; an error when the policy does not step."""
    out = []
    duty, flight, in_phase = stats["duty"], stats["flight"], stats["in_phase"]
    pronk = in_phase is not None and in_phase > IN_PHASE and flight > PRONK_FLIGHT
    if pronk or flight > HOP_FLIGHT:
        msg = f"hopping / pronking gait: flight {flight:.0%}, feet correlation {in_phase or 0:.2f}"
        numbers = {"flight": flight, "in_phase": in_phase, "in_phase_threshold": IN_PHASE}
        out.append(Finding(AUDIT, "hopping", "warning", msg, numbers | {"flight_threshold": HOP_FLIGHT}))
    for foot, d in duty.items():
        others = [v for k, v in duty.items() if k != foot]
        if d > DRAG_DUTY and others and np.mean(others) < CYCLE_DUTY:
            msg = f"foot {foot} stays down ({d:.0%} duty) while the others cycle ({np.mean(others):.0%})"
            out.append(Finding(AUDIT, "dragging", "warning", msg, {"foot": foot, "duty": duty}))
    worst = max((v for v in (stats["left_right"], stats["front_back"]) if v is not None), default=0.0)
    if worst > ASYMMETRY:
        msg = f"asymmetric gait: duty factors differ by {worst:.0%} between sides or ends"
        out.append(Finding(AUDIT, "asymmetry", "warning", msg, {"duty": duty, "threshold": ASYMMETRY}))
    if all(d > DRAG_DUTY for d in duty.values()) and stats["stride_hz"] < STILL_HZ:
        msg = f"the policy does not step under forward commands ({stats['stride_hz']:.2f} touchdowns/s)"
        out.append(Finding(AUDIT, "standing", "error", msg, {"stride_hz": stats["stride_hz"], "duty": duty}))
    return out


def audit(roll: Rollout) -> list[Finding]:
    """Gait numbers and checks for a rollout of forward commands (see diagnostics.forward_commands)."""
    valid = (roll.age >= round(SETTLE_S / roll.dt)) & ~roll.terminated
    if not valid.any():
        return [Finding(AUDIT, "summary", "info", "no settled alive steps to measure a gait on", {})]
    stats = contact_stats(roll.contact, roll.touchdown, valid, roll.dt, roll.feet)
    duty = " ".join(f"{k} {v:.2f}" for k, v in stats["duty"].items())
    low, high = roll.manifest.commands.lin_vel_x
    msg = (
        f"forward {low:g}-{high:g} m/s: duty {duty}, flight {stats['flight']:.0%}, "
        f"{stats['stride_hz']:.2f} touchdowns/s per foot"
    )
    return [Finding(AUDIT, "summary", "info", msg, stats), *judge(stats)]
