"""Pre-flight: each planted-bug manifest is flagged by its audit; the shipped quadruped_flat is clean."""

import pytest
from audit_helpers import fixture_manifest

from locoaudit.audit.preflight import audit_manifest
from locoaudit.findings import at_least

PLANTED = {  # fixture -> the findings (at warning or above) its bug must raise
    "synchronised_resets": {"resets.synchronised", "resets.waves"},
    "hopping_pays": {"rewards.non_task_pay"},
    "friction_leak": {"observations.leakage"},
    "skimmed_threshold": {"terminations.skimming"},
    "wrong_sign": {"rewards.wrong_sign"},
}
# true side effects of the same bug: robots sag below the limit together right after the spawn
ALSO = {"skimmed_threshold": {"terminations.early_failure", "resets.synchronised"}}


@pytest.mark.parametrize("name", sorted(PLANTED))
def test_each_planted_bug_is_flagged_by_its_audit(name):
    findings = audit_manifest(fixture_manifest(name), num_envs=48, steps=200, seed=0, threads=1)
    raised = {f.name for f in at_least(findings, "warning")}
    assert raised == PLANTED[name] | ALSO.get(name, set())


def test_shipped_quadruped_flat_has_no_finding_above_info():
    findings = audit_manifest(fixture_manifest("quadruped_flat"), threads=1)  # the CLI's 64 envs x 250 steps
    assert at_least(findings, "warning") == []
    assert sorted(f.name for f in findings) == ["incentives.references", "observations.leakage_probes"]
