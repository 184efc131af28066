"""Observation audit: non-finite and dead features, scale against the normaliser, privileged leakage.

Checks:
  non_finite       any NaN / inf in the actor observation of a rollout (error)
  dead_feature     an actor feature with std < DEAD_STD over the rollout (warning)
  normaliser       the actor's EmpiricalNormalization: std < DEAD_STD (dead in training), |mean|/std >
                   OFFSET_RATIO, or a rollout mean more than DRIFT_Z normalised units from the mean (warning)
  leakage          a privileged term in the actor observation by name, or linearly decodable from it: a
                   ridge probe (actor features minus the command, standardised, lambda RIDGE) fit on 3/4 of
                   the envs, scored on the other 1/4. friction R^2 > FRICTION_R2: error; base_lin_vel (any
                   axis) R^2 > LIN_VEL_R2: warning (partly estimable from proprioception, so only near-exact
                   decoding counts); terrain kind accuracy > chance + TERRAIN_MARGIN x (1 - chance): error
                   (info when the actor has its own height scan, which legitimately sees the terrain)
"""

from __future__ import annotations

import numpy as np

from locoaudit.audit.diagnostics import Rollout
from locoaudit.findings import Finding
from locoaudit.manifest.schema import PRIVILEGED_TERMS

DEAD_STD = 1e-6
OFFSET_RATIO = 1e3
DRIFT_Z = 5.0
NORMALISER_EPS = 1e-2  # rsl-rl's EmpiricalNormalization divides by std + eps
RIDGE = 1.0
FRICTION_R2 = 0.5
LIN_VEL_R2 = 0.95
TERRAIN_MARGIN = 0.5
PROBE_LIMITS = {"friction": (FRICTION_R2, "error"), "base_lin_vel": (LIN_VEL_R2, "warning")}
SHOWN = 8
AUDIT = "observations"


def feature_names(layout: dict[str, slice]) -> list[str]:
    """'term[i]' per actor column ('term' for one-wide terms), in column order."""
    names = []
    for term, s in layout.items():
        width = s.stop - s.start
        names += [term] if width == 1 else [f"{term}[{i}]" for i in range(width)]
    return names


def _listed(names: list[str]) -> str:
    return ", ".join(names[:SHOWN]) + (f" (+{len(names) - SHOWN} more)" if len(names) > SHOWN else "")


def nonfinite(roll: Rollout, where: str) -> list[Finding]:
    """Actor features with NaN or inf anywhere in the rollout."""
    bad = ~np.isfinite(roll.actor_obs).all(axis=(0, 1))
    if not bad.any():
        return []
    names = [n for n, b in zip(feature_names(roll.actor_layout), bad, strict=True) if b]
    msg = f"non-finite actor observations {where}: {_listed(names)}"
    return [Finding(AUDIT, "non_finite", "error", msg, {"features": names})]


def dead_features(roll: Rollout, where: str) -> list[Finding]:
    """Actor features constant over the whole rollout."""
    flat = roll.actor_obs.reshape(-1, roll.actor_obs.shape[-1]).astype(np.float64)
    std = np.nanstd(flat, axis=0)
    names = [n for n, s in zip(feature_names(roll.actor_layout), std, strict=True) if s < DEAD_STD]
    if not names:
        return []
    msg = f"{len(names)} constant actor features {where}: {_listed(names)}"
    return [Finding(AUDIT, "dead_feature", "warning", msg, {"features": names, "threshold_std": DEAD_STD})]


def normaliser(
    mean: np.ndarray, std: np.ndarray, names: list[str], rollout_mean: np.ndarray
) -> list[Finding]:
    """Dead, offset and drifting features of the actor's normaliser (mean, std per feature)."""
    z = np.abs(rollout_mean - mean) / (std + NORMALISER_EPS)
    checks = {
        "dead in training": std < DEAD_STD,
        "huge |mean|/std": (std >= DEAD_STD) & (np.abs(mean) > OFFSET_RATIO * np.maximum(std, DEAD_STD)),
        f"rollout mean > {DRIFT_Z:g} normalised units off": (z > DRIFT_Z) & (std >= DEAD_STD),
    }
    out = []
    for label, mask in checks.items():
        picked = [n for n, m in zip(names, mask, strict=True) if m]
        if picked:
            numbers = {"features": picked, "max_z": float(z[mask].max()), "dead_std": DEAD_STD}
            numbers |= {"offset_ratio": OFFSET_RATIO, "drift_z": DRIFT_Z}
            msg = f"normaliser: {len(picked)} features {label}: {_listed(picked)}"
            out.append(Finding(AUDIT, "normaliser", "warning", msg, numbers))
    return out


def ridge_r2(x: np.ndarray, y: np.ndarray, test: np.ndarray, lam: float = RIDGE) -> np.ndarray:
    """(K,) held-out R^2 of a ridge fit y ~ x on rows ~test, scored on rows test. x (M, D), y (M, K)."""
    x, y, train = x.astype(np.float64), y.astype(np.float64), ~test
    mu, sd = x[train].mean(axis=0), x[train].std(axis=0)
    xs = (x - mu) / np.where(sd < 1e-8, 1.0, sd)
    ym = y[train].mean(axis=0)
    a = xs[train]
    w = np.linalg.solve(a.T @ a + lam * np.eye(a.shape[1]), a.T @ (y[train] - ym))
    resid = y[test] - (xs[test] @ w + ym)
    sst = np.sum((y[test] - y[test].mean(axis=0)) ** 2, axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(sst > 0, 1 - np.sum(resid**2, axis=0) / sst, np.nan)


def probe_accuracy(x: np.ndarray, labels: np.ndarray, test: np.ndarray) -> tuple[float, float]:
    """(held-out accuracy, chance) of a one-vs-rest ridge classifier; chance = test majority share."""
    classes, index = np.unique(labels, return_inverse=True)
    onehot = np.eye(len(classes))[index]
    x64, train = x.astype(np.float64), ~test
    mu, sd = x64[train].mean(axis=0), x64[train].std(axis=0)
    xs = np.c_[(x64 - mu) / np.where(sd < 1e-8, 1.0, sd), np.ones(len(x64))]
    a = xs[train]
    w = np.linalg.solve(a.T @ a + RIDGE * np.eye(a.shape[1]), a.T @ onehot[train])
    accuracy = float(np.mean(np.argmax(xs[test] @ w, axis=1) == index[test]))
    return accuracy, float(np.bincount(index[test]).max() / test.sum())


def _probe_inputs(roll: Rollout) -> tuple[np.ndarray, np.ndarray]:
    """Actor features without the command (rows = env-steps) and the held-out mask (every 4th env)."""
    keep = np.ones(roll.actor_obs.shape[-1], dtype=bool)
    if "command" in roll.actor_layout:
        keep[roll.actor_layout["command"]] = False
    t, n = roll.actor_obs.shape[:2]
    test = np.broadcast_to(np.arange(n) % 4 == 3, (t, n)).ravel()
    return np.nan_to_num(roll.actor_obs[:, :, keep].reshape(t * n, -1)), test


def leakage(roll: Rollout, where: str) -> list[Finding]:
    """Privileged quantities present in, or linearly decodable from, the actor observation."""
    own_scan = roll.manifest.observations.height_scan
    present = [
        t for t in PRIVILEGED_TERMS if t in roll.actor_layout and not (t == "height_scan" and own_scan)
    ]
    x, test = _probe_inputs(roll)
    scores = {
        k: ridge_r2(x, v.reshape(len(x), -1), test).tolist() for k, v in roll.privileged.items() if v.size
    }
    out = [_leak(term, scores.get(term), term in present, where) for term in PRIVILEGED_TERMS]
    out = [f for f in out if f is not None] + _terrain_leak(roll, x, test, own_scan)
    summary = "leakage probes (held-out R^2): " + ", ".join(f"{k} {_fmt(v)}" for k, v in scores.items())
    return [*out, Finding(AUDIT, "leakage_probes", "info", summary, {"r2": scores, "present": present})]


def _leak(term: str, r2s: list[float] | None, present: bool, where: str) -> Finding | None:
    """A leakage finding for one privileged term: present by name (error), or probed above its limit."""
    limit, severity = PROBE_LIMITS.get(term, (np.inf, "error"))
    r2 = float(max(np.nan_to_num(r2s, nan=0.0))) if r2s else None
    if not present and (r2 is None or r2 <= limit):
        return None
    how = "is in the actor observation" if present else "is linearly decodable from the actor"
    score = "" if r2 is None else f" (held-out R^2 {r2:.2f}, limit {limit})"
    numbers = {"term": term, "r2": r2, "threshold": None if np.isinf(limit) else limit, "present": present}
    return Finding(
        AUDIT, "leakage", "error" if present else severity, f"privileged {term} {how}{score} {where}", numbers
    )


def _fmt(values: list[float]) -> str:
    return "/".join(f"{v:.2f}" for v in values)


def _terrain_leak(roll: Rollout, x: np.ndarray, test: np.ndarray, own_scan: bool) -> list[Finding]:
    """Terrain kind decodable from the actor features (grid terrain only)."""
    if roll.tile_col is None:
        return []
    kinds = np.array(roll.col_kinds)[roll.tile_col.ravel()]
    if len(np.unique(kinds[~test])) < 2 or not test.any():
        return []
    accuracy, chance = probe_accuracy(x, kinds, test)
    if accuracy <= chance + TERRAIN_MARGIN * (1 - chance):
        return []
    severity = "info" if own_scan else "error"
    msg = f"terrain kind is decodable from the actor: accuracy {accuracy:.2f} vs chance {chance:.2f}"
    numbers = {
        "accuracy": accuracy,
        "chance": chance,
        "margin": TERRAIN_MARGIN,
        "actor_height_scan": own_scan,
    }
    return [Finding(AUDIT, "leakage", severity, msg, numbers)]


def audit_rollout(roll: Rollout, where: str) -> list[Finding]:
    """Non-finite and dead features and leakage probes on a diagnostic rollout."""
    return [*nonfinite(roll, where), *dead_features(roll, where), *leakage(roll, where)]
