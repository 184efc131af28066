"""Audit a run directory (metrics, checkpoint, diagnostic rollouts) or a manifest; write audit.json.

A run audit reads metrics.jsonl (reward decomposition, terminations, reset statistics) and the latest
checkpoint: the actor's observation normaliser, plus two diagnostic rollouts of the deterministic
policy: one on the run's own manifest (skimming, resets, observations, leakage) and one with forward
commands (gait); and the policy's rollout next to the scripted reference behaviours (incentives).
RUN_DIR/audit.json holds {"findings", "created", "manifest_hash", ...}; each new audit replaces it, so
resolutions (a "resolution" note on a finding) must be written again after re-auditing.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import numpy as np

from locoaudit.audit import gait, incentives, observations, preflight, resets, rewards, terminations
from locoaudit.audit.behaviours import DEFAULT_SETTINGS, ReferenceSettings, run_references
from locoaudit.audit.diagnostics import Rollout, forward_commands, rollout
from locoaudit.fileio import atomic_write_json
from locoaudit.findings import Finding
from locoaudit.manifest import Manifest, manifest_hash
from locoaudit.safety import inside

AUDIT_FILE = "audit.json"
WHERE = "in a rollout of the policy"


def actor_normaliser(actor: Any) -> tuple[np.ndarray, np.ndarray] | None:
    """(mean, std) of an rsl-rl actor's EmpiricalNormalization; None without one (or never updated)."""
    norm = getattr(actor, "obs_normalizer", None)
    if norm is None or not hasattr(norm, "std") or int(getattr(norm, "count", 0)) == 0:
        return None
    return norm.mean.detach().cpu().numpy(), norm.std.detach().cpu().numpy()


def normaliser_findings(actor: Any, roll: Rollout) -> list[Finding]:
    """Normaliser checks of an actor against the mean of a rollout of it."""
    stats = actor_normaliser(actor)
    if stats is None:
        msg = "the actor has no (updated) observation normaliser: scale checks use the rollout only"
        return [Finding("observations", "normaliser", "info", msg, {})]
    names = observations.feature_names(roll.actor_layout)
    rollout_mean = roll.actor_obs.reshape(-1, roll.actor_obs.shape[-1]).astype(np.float64).mean(axis=0)
    return observations.normaliser(stats[0], stats[1], names, rollout_mean)


def metrics_findings(run_dir: Path, run: dict, manifest: Manifest) -> list[Finding]:
    """Reward, termination and reset checks on metrics.jsonl (and evaluations/)."""
    from locoaudit.ledger.evaluation import load_evaluations
    from locoaudit.ledger.record import read_metrics

    records = read_metrics(run_dir / "metrics.jsonl")
    evaluations = load_evaluations(run_dir, run["run_id"])
    horizon, dt_s = manifest.ppo.num_steps_per_env, manifest.policy_dt
    return [
        *rewards.audit_metrics(records, manifest, evaluations),
        *terminations.audit_metrics(records, manifest),
        *resets.audit_metrics(records, run["num_envs"], horizon, dt_s),
    ]


def audit_run(
    run_dir: Path,
    num_envs: int = 64,
    steps: int = 250,
    seed: int = 0,
    threads: int | None = None,
    reference: ReferenceSettings = DEFAULT_SETTINGS,
) -> tuple[list[Finding], dict[str, Any]]:
    """All run-level audits; returns (findings, audit.json header fields)."""
    from locoaudit.evaluate.rollout import torch_policy
    from locoaudit.train.policy import load_policy
    from locoaudit.train.rundir import read_run

    run = read_run(run_dir)
    loaded = load_policy(run_dir)
    manifest, policy = loaded.manifest, torch_policy(loaded.actor)
    nominal = rollout(manifest, policy, num_envs, steps, seed, threads)
    forward = rollout(forward_commands(manifest), policy, num_envs, steps, seed, threads)
    refs = run_references(manifest, policy, reference.envs, seed, threads, reference.seconds)
    findings = [
        *preflight.wrong_signs(manifest),
        *metrics_findings(run_dir, run, manifest),
        *terminations.skimming(nominal, WHERE),
        *resets.audit_rollout(nominal, WHERE),
        *observations.audit_rollout(nominal, WHERE),
        *normaliser_findings(loaded.actor, nominal),
        *gait.audit(forward),
        *incentives.audit_references(refs),
    ]
    header = {"mode": "run", "run_id": run["run_id"], "checkpoint_iteration": loaded.iteration}
    return findings, header | {"manifest_hash": manifest_hash(manifest)}


def audit_file(findings: list[Finding], header: dict[str, Any], settings: dict[str, Any]) -> dict[str, Any]:
    """The audit.json body: findings, when, the manifest hash audited, and the rollout settings."""
    created = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    body = {"findings": [f.to_json() for f in findings], "created": created, "settings": settings}
    return body | header


def write_audit(run_dir: Path, body: dict[str, Any]) -> Path:
    """Write RUN_DIR/audit.json atomically; returns its path."""
    path = inside(run_dir, AUDIT_FILE)
    atomic_write_json(path, body)
    return path
