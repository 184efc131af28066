"""Pre-flight: audit an environment manifest before training, with no policy.

Static checks read the manifest; the rest run one diagnostic rollout in which half the envs stand
(zero actions) and half send uniform random actions. Checks:
  rewards.wrong_sign      a penalty (*_l2, *_contacts, *_limits, termination, stand_still) with a
                          positive weight, or a task reward (track_*, feet_air_time) with a negative
                          one (error)
  rewards.falling_pays    the failure step's mean reward exceeds the mean alive step's (error); a
                          termination weight >= 0 (or none) while episodes fail (error when the alive
                          reward is negative, so ending early pays; else warning)
  rewards.non_task_pay    a positive non-tracking term pays a standing robot > 25% of the tracking maximum
  rewards.absurd_magnitude a term whose per-step contribution is non-finite or above 1e4 in size
                          (e.g. base_height_l2 with target = 1e48 pays 1e96): PPO cannot learn from it
  terminations.early_failure, terminations.skimming, resets.*, observations.* (see those modules)
  incentives.*            what the reward and terminations pay scripted reference behaviours
                          (stand, collapse, fall, random, competent): see audit/incentives.py
"""

from __future__ import annotations

import numpy as np

from locoaudit.audit import incentives, observations, resets, terminations
from locoaudit.audit.behaviours import DEFAULT_SETTINGS, ReferenceSettings, run_references
from locoaudit.audit.diagnostics import Rollout, rollout
from locoaudit.audit.rewards import non_task_pay
from locoaudit.findings import Finding
from locoaudit.manifest import Manifest

PENALTY_SUFFIXES = ("_l2", "_contacts", "_limits")
PENALTY_NAMES = ("termination", "stand_still")
REWARD_PREFIXES = ("track_",)
REWARD_NAMES = ("feet_air_time",)
WHERE = "in pre-flight (zero / random actions)"


def expected_sign(term: str) -> int:
    """-1 for a penalty, +1 for a task reward, 0 when the name does not say."""
    if term in PENALTY_NAMES or term.endswith(PENALTY_SUFFIXES):
        return -1
    if term in REWARD_NAMES or term.startswith(REWARD_PREFIXES):
        return 1
    return 0


def wrong_signs(manifest: Manifest) -> list[Finding]:
    """Reward terms whose weight has the opposite sign to what their name says."""
    out = []
    for term, spec in manifest.rewards.terms.items():
        sign = expected_sign(term)
        if sign and spec.weight * sign < 0:
            kind = "a penalty" if sign < 0 else "a task reward"
            msg = f"{term} is {kind} by name but has weight {spec.weight:g}"
            numbers = {"term": term, "weight": spec.weight, "expected_sign": sign}
            out.append(Finding("rewards", "wrong_sign", "error", msg, numbers))
    return out


def falling_pays(roll: Rollout) -> list[Finding]:
    """Failure steps that pay more than living, or no termination penalty while episodes fail."""
    fell, alive = roll.terminated, ~roll.terminated
    if not fell.any() or not alive.any():
        return []
    alive_reward, fall_reward = float(roll.reward[alive].mean()), float(roll.reward[fell].mean())
    spec = roll.manifest.rewards.terms.get("termination")
    weight = 0.0 if spec is None else spec.weight
    numbers = {"alive_step_reward": alive_reward, "fall_step_reward": fall_reward, "falls": int(fell.sum())}
    numbers["termination_weight"] = None if spec is None else weight
    out = []
    if fall_reward > alive_reward:
        msg = f"a failure step pays {fall_reward:.3g}, more than an alive step ({alive_reward:.3g})"
        out.append(Finding("rewards", "falling_pays", "error", msg, numbers))
    if weight >= 0:
        severity = "error" if alive_reward < 0 else "warning"
        msg = f"termination weight is {weight:g} while {int(fell.sum())} episodes failed {WHERE}"
        out.append(Finding("rewards", "no_fall_penalty", severity, msg, numbers))
    return out


def standing_pay(roll: Rollout) -> list[Finding]:
    """non_task_pay on the standing (zero-action) half of the envs."""
    half = roll.reward.shape[1] // 2
    alive = ~roll.terminated[:, :half]
    if not alive.any():
        return []
    per_second = {k: float(v[:, :half][alive].mean() / roll.dt) for k, v in roll.contributions.items()}
    return non_task_pay(per_second, roll.manifest, "to a robot standing still (zero actions)")


MAX_STEP_REWARD = 1e4  # per term and step; shipped terms stay below ~1 with random actions


def absurd_magnitudes(roll: Rollout) -> list[Finding]:
    """Reward terms whose per-step contributions are non-finite or absurdly large."""
    out = []
    for term, values in roll.contributions.items():
        finite = np.isfinite(values)
        largest = float(np.abs(values[finite]).max()) if finite.any() else 0.0
        if finite.all() and largest <= MAX_STEP_REWARD:
            continue
        what = "non-finite values" if not finite.all() else f"|contribution| up to {largest:.3g} per step"
        msg = f"{term} gives {what} {WHERE} (limit {MAX_STEP_REWARD:g}): check its weight and parameters"
        numbers = {"term": term, "max_abs_per_step": largest, "non_finite_steps": int((~finite).sum())}
        out.append(Finding("rewards", "absurd_magnitude", "error", msg, numbers))
    return out


def audit_manifest(
    manifest: Manifest,
    num_envs: int = 64,
    steps: int = 250,
    seed: int = 0,
    threads: int | None = None,
    reference: ReferenceSettings = DEFAULT_SETTINGS,
) -> list[Finding]:
    """All pre-flight checks of a manifest: static, on one zero / random-action rollout, and incentives."""
    roll = rollout(manifest, None, num_envs, steps, seed, threads)
    refs = run_references(manifest, None, reference.envs, seed, threads, reference.seconds)
    return [
        *incentives.audit_references(refs),
        *wrong_signs(manifest),
        *absurd_magnitudes(roll),
        *falling_pays(roll),
        *standing_pay(roll),
        *terminations.early_failures(roll),
        *terminations.skimming(roll, WHERE),
        *resets.audit_rollout(roll, WHERE),
        *observations.audit_rollout(roll, WHERE),
    ]
