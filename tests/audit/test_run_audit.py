"""Run audits of tiny training runs: planted bugs found from metrics, checkpoints and policy rollouts."""

import numpy as np
import pytest

from locoaudit.audit.diagnostics import rollout
from locoaudit.audit.run import audit_run, normaliser_findings
from locoaudit.evaluate.rollout import torch_policy
from locoaudit.findings import at_least
from locoaudit.train.policy import load_policy

ENVS, STEPS = 32, 150

PLANTED = {  # fixture -> (training iterations, findings at warning or above)
    "quadruped_flat": (6, set()),
    "friction_leak": (6, {"observations.leakage"}),
    "hopping_pays": (6, {"rewards.non_task_pay"}),
    "synchronised_resets": (26, {"resets.synchronised"}),  # 1.2 s episodes: time-out waves every 7.5 its
    # robots sag below the limit together right after the spawn: their resets synchronise too
    "skimmed_threshold": (6, {"terminations.skimming", "resets.synchronised"}),
    "wrong_sign": (6, {"rewards.wrong_sign"}),
}


@pytest.mark.parametrize("name", sorted(PLANTED))
def test_run_audit_flags_the_planted_bug(name, tiny_runs):
    iterations, expected = PLANTED[name]
    findings, header = audit_run(tiny_runs(name, iterations), ENVS, STEPS, seed=0, threads=1)
    # a few iterations rarely teach stepping: gait.standing (an error since issue 9) may join any run
    assert {f.name for f in at_least(findings, "warning")} - {"gait.standing"} == expected
    assert {"gait.summary", "observations.leakage_probes"} <= {f.name for f in findings}
    assert header["mode"] == "run" and header["checkpoint_iteration"] == iterations


def test_normaliser_of_a_real_checkpoint(tiny_runs):
    loaded = load_policy(tiny_runs("quadruped_flat"))
    roll = rollout(loaded.manifest, torch_policy(loaded.actor), 8, 20, seed=0, threads=1)
    assert normaliser_findings(loaded.actor, roll) == []
    loaded.actor.obs_normalizer._std[0, 4] = 0.0  # projected_gravity[1] dead in training
    (found,) = normaliser_findings(loaded.actor, roll)
    assert found.numbers["features"] == ["projected_gravity[1]"]
    assert np.isfinite(found.numbers["max_z"])
