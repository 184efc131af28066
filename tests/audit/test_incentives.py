"""Incentive audits: planted-bug manifests of their own flagged by their check; shipped manifests clean."""

from pathlib import Path

import numpy as np
import pytest

from locoaudit.audit.behaviours import References, Trace, run_references, trot_actions
from locoaudit.audit.incentives import (
    audit_references,
    discounted_value,
    first_episodes,
    inert_terms,
    longest_dwell,
)
from locoaudit.findings import at_least
from locoaudit.manifest import load_manifest

FIXTURES = Path(__file__).parent / "incentive_fixtures"
PLANTED = {  # fixture -> {finding at warning or above: the behaviours / terms / states it names}
    "penalty_swamps": {
        "incentives.degenerate_pays": {"stand", "collapse", "fall"},
        "incentives.outweighs_task": {"joint_acc_l2"},
    },
    "early_exit": {
        "incentives.degenerate_pays": {"collapse", "fall"},  # standing still still costs more
        "incentives.outweighs_task": {"joint_acc_l2", "action_rate_l2"},  # each > half the task reward
    },
    "wide_kernel": {"incentives.not_discriminating": set()},
    "no_fall_end": {
        "incentives.failure_lives": {"collapse", "fall", "lying on the ground", "tipped over"},
        "incentives.inert_term": {"termination"},  # nothing ends an episode, so it never pays
    },
    "dead_gate": {"incentives.inert_term": {"feet_air_time"}},
}
SEVERE = {  # fixture -> the finding that must be an error
    "penalty_swamps": "incentives.outweighs_task",
    "early_exit": "incentives.degenerate_pays",
    "wide_kernel": "incentives.not_discriminating",
    "no_fall_end": "incentives.failure_lives",
}


def _named(finding) -> set[str]:
    n = finding.numbers
    return {v for k in ("behaviour", "term", "state") if isinstance(v := n.get(k), str)}


@pytest.mark.parametrize("name", sorted(PLANTED))
def test_each_planted_incentive_bug_is_flagged(name):
    refs = run_references(load_manifest(FIXTURES / f"{name}.toml"), threads=1)
    raised = at_least(audit_references(refs), "warning")
    named: dict[str, set[str]] = {}
    for f in raised:
        named.setdefault(f.name, set()).update(_named(f) - {"competent", "random"})
    assert named == PLANTED[name]
    if name in SEVERE:
        assert "error" in {f.severity for f in raised if f.name == SEVERE[name]}


@pytest.mark.parametrize("name", ["quadruped_flat", "go1_flat", "go1_rough"])
def test_shipped_manifests_pay_walking_best(name):
    findings = audit_references(run_references(load_manifest(name), threads=1))
    assert at_least(findings, "warning") == []
    (table,) = findings
    assert table.name == "incentives.references"
    assert set(table.numbers["competent"]["endings"]) == {"time_out"}
    assert table.numbers["competent"]["discounted"] > table.numbers["stand"]["discounted"]


def test_reference_behaviours_do_what_they_say():
    refs = run_references(load_manifest("quadruped_flat"), threads=1, seconds=3.0)
    t = refs.traces
    assert t["stand"].done.sum() == 0 and t["random"].done.sum() == 0
    assert t["fall"].done[:20].any(axis=0).all()  # every falling env ends within 0.4 s
    assert t["collapse"].done[:25].any(axis=0).all()  # limp robots reach the base_too_low limit
    competent = t["competent"]
    assert np.allclose(competent.speed, competent.command_speed, atol=1e-6)
    assert competent.tilt.max() < 1e-6
    assert np.ptp(competent.contributions["track_lin_vel_xy"]) < 1e-6


def test_trot_swings_diagonal_pairs_in_turn():
    joints = tuple(f"{leg}_{p}_joint" for leg in ("FR", "FL", "RR", "RL") for p in ("hip", "thigh", "calf"))
    a = trot_actions(joints, 0.25, np.array([0.25, 0.75]))  # mid-swing of FR+RL, then of FL+RR
    thigh = a[:, [1, 4, 7, 10]]
    assert np.allclose(thigh[0], [1.6, 0, 0, 1.6]) and np.allclose(thigh[1], [0, 1.6, 1.6, 0])
    assert np.allclose(a[:, [2, 5, 8, 11]], -2 * thigh) and np.all(a[:, [0, 3, 6, 9]] == 0)


def test_first_episodes_and_discounted_value_by_hand():
    done = np.array([[0, 0], [1, 0], [0, 0]], dtype=bool)
    length, ended = first_episodes(done)
    assert length.tolist() == [2, 3] and ended.tolist() == [True, False]
    reward = np.array([[1.0, 1.0], [2.0, 1.0], [5.0, 1.0]])
    value = discounted_value(reward, length, np.array([False, True]), gamma=0.5)
    # env 0: 1 + 0.5 * 2, no bootstrap; env 1: 1 + 0.5 + 0.25, then 0.5^3 * 1 / (1 - 0.5)
    assert np.allclose(value, [2.0, 1.75 + 0.25])


def test_longest_dwell_stops_at_episode_ends():
    state = np.array([[1, 1], [1, 1], [1, 1], [1, 0]], dtype=bool)
    done = np.array([[0, 0], [1, 0], [0, 0], [0, 0]], dtype=bool)
    assert longest_dwell(state, done).tolist() == [2, 3]


def _refs_with_terms(**terms) -> References:
    t, n = 4, 2
    blank = np.zeros((t, n))

    def trace(name):
        return Trace(
            name, 0.02, blank, {k: v.copy() for k, v in terms.items()}, blank.astype(bool),
            np.full((t, n), ""), blank + 0.3, blank, blank, blank,
        )  # fmt: skip

    traces = {k: trace(k) for k in ("stand", "competent")}
    return References(load_manifest("quadruped_flat"), traces, 0.3, 1000, 0.99)


def test_inert_terms_nonfinite_zero_and_constant():
    live = np.arange(8.0).reshape(4, 2)
    nan = live.copy()
    nan[2, 1] = np.nan
    refs = _refs_with_terms(live=live, nan=nan, zero=np.zeros((4, 2)), const=np.full((4, 2), -0.02))
    found = {f.numbers["term"]: f.severity for f in inert_terms(refs)}
    assert found == {"nan": "error", "zero": "warning", "const": "warning"}


def test_run_audit_names_what_the_policy_found(tmp_path):
    from audit_helpers import tiny

    from locoaudit.audit.behaviours import ReferenceSettings
    from locoaudit.audit.run import audit_run
    from locoaudit.train import session

    manifest = tiny(load_manifest(FIXTURES / "penalty_swamps.toml"))
    trainer = session.start(manifest, 16, 1, tmp_path, "cpu", threads=1)
    session.run(trainer, 3, quiet=True)
    short = ReferenceSettings(envs=2, seconds=4.0)
    findings, _ = audit_run(trainer.run_dir, 16, 40, seed=0, threads=1, reference=short)
    found = {f.name: f for f in findings if f.audit == "incentives"}
    assert found["incentives.policy_behaviour"].numbers["behaviour"] != "walking"
    exploit = found["incentives.policy_found"]
    assert exploit.severity == "error" and exploit.message.startswith("the policy found ")
    assert "pays more than walking" in exploit.message


def test_cli_preflight_reports_incentives(capsys):
    from locoaudit.cli import main

    path = str(FIXTURES / "wide_kernel.toml")
    small = ["--envs", "8", "--steps", "30", "--threads", "1", "--reference-envs", "2"]
    assert main(["audit", "--manifest", path, *small, "--reference-seconds", "3"]) == 1
    out = capsys.readouterr().out
    assert "ERROR   incentives.not_discriminating: standing still earns" in out
    assert "incentives.references: returns: stand" in out
    with pytest.raises(SystemExit) as stop:
        main(["audit", "--manifest", path, "--reference-seconds", "0"])
    assert stop.value.code == 2
