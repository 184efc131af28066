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


def test_an_absurd_reward_magnitude_is_an_error(tmp_path):
    from importlib import resources

    text = resources.files("locoaudit.manifests").joinpath("quadruped_flat.toml").read_text()
    path = tmp_path / "absurd.toml"
    path.write_text(text + "\n[rewards.terms.base_height_l2]\nweight = -1.0\ntarget = 1e48\n")
    findings = audit_manifest(fixture_manifest(str(path)), num_envs=8, steps=20, seed=0, threads=1)
    absurd = [f for f in findings if f.name == "rewards.absurd_magnitude"]
    assert [f.numbers["term"] for f in absurd] == ["base_height_l2"] and absurd[0].severity == "error"
    assert absurd[0].numbers["max_abs_per_step"] > 1e90
