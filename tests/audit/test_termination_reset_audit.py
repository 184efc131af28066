"""Termination and reset audits on hand-built rollouts and metrics records."""

import numpy as np
from audit_helpers import fake_rollout, fixture_manifest

from locoaudit.audit import resets, terminations


def names(findings):
    return [(f.name, f.severity) for f in findings]


def test_skimming_counts_alive_steps_within_10_percent_above_min_height():
    def skim(band_steps: int):
        height = np.full((100, 1), 0.3)
        height[:band_steps] = 0.125  # base_too_low min_height 0.12: band [0.12, 0.132]
        terminated = np.zeros((100, 1), dtype=bool)
        terminated[90:] = True
        height[90:] = 0.125  # failure steps do not count
        return terminations.skimming(fake_rollout(envs=1, base_height=height, terminated=terminated), "")

    assert skim(13) == []  # 13 / 90 = 14% < 15%
    assert names(skim(14)) == [("terminations.skimming", "warning")]  # 16%
    assert names(skim(45)) == [("terminations.skimming", "error")]  # 50%
    tilt = np.full((100, 1), 0.95)  # within [0.9, 1.0] of bad_orientation's limit 1.0
    (found,) = terminations.skimming(fake_rollout(envs=1, tilt=tilt), "")
    assert found.numbers["term"] == "bad_orientation" and found.numbers["fraction"] == 1.0


def test_early_failure_share_of_first_episodes():
    def early(fails: int):
        terminated, time_out = np.zeros((100, 10), dtype=bool), np.zeros((100, 10), dtype=bool)
        terminated[10, :fails] = True  # fail after 0.22 s
        time_out[5, fails:] = True  # the others time out first: not failures
        terminated[20, fails:] = True
        return terminations.early_failures(fake_rollout(terminated=terminated, time_out=time_out, envs=10))

    assert early(1) == []
    assert names(early(2)) == [("terminations.early_failure", "warning")]
    assert names(early(5)) == [("terminations.early_failure", "error")]


def test_termination_metrics_distribution_never_fires_and_non_finite():
    records = [
        {"iteration": 1, "episodes": 10, "terminations": {"base_contact": 0.5, "time_out": 0.5}},
        {"iteration": 2, "episodes": 30, "terminations": {"time_out": 1.0}, "nonfinite_resets": 2},
    ]
    found = terminations.audit_metrics(records, fixture_manifest("quadruped_flat"))
    assert names(found) == [
        ("terminations.distribution", "info"),
        ("terminations.never_fires", "info"),
        ("terminations.non_finite", "warning"),
    ]
    assert found[0].numbers["shares"] == {"time_out": 35 / 40, "base_contact": 5 / 40}
    assert found[1].numbers["reasons"] == ["bad_orientation", "base_too_low"]


def reset_record(iteration: int, max_fraction: float, mean_fraction: float, entropy: float = 0.8) -> dict:
    reset = {"max_step_fraction": max_fraction, "mean_step_fraction": mean_fraction}
    return {"iteration": iteration, "reset": reset, "phase_entropy": entropy}


def test_reset_spikes_against_a_poisson_bound():
    # 16 envs, horizon 8: 14 envs on one step and 0 on the other 7 is a spike; 4 spread resets are not
    assert resets.spike_iterations(
        [reset_record(1, 0.0, 0.0), reset_record(2, 14 / 16, 14 / 128)], 16, 8
    ) == [2]
    assert resets.spike_iterations([reset_record(1, 0.0, 0.0), reset_record(2, 1 / 16, 4 / 128)], 16, 8) == []
    assert resets.is_spike(4, 0.0) and not resets.is_spike(3, 0.0)
    records = [
        reset_record(i, 14 / 16 if i in (13, 25) else 0.0, 14 / 128 if i in (13, 25) else 0.0)
        for i in range(1, 31)
    ]
    (found,) = resets.audit_metrics(records, 16, 8, 0.02)
    assert (found.severity, found.numbers["spike_iterations"], found.numbers["period_s"]) == (
        "warning",
        [13, 25],
        12 * 8 * 0.02,
    )
    one = [reset_record(i, 14 / 16 if i == 13 else 0.0, 14 / 128 if i == 13 else 0.0) for i in range(1, 31)]
    assert names(resets.audit_metrics(one, 16, 8, 0.02)) == [("resets.synchronised", "info")]
    bunched = [reset_record(i, 0.0, 0.0, entropy=0.3) for i in range(1, 31)]  # bound 0.5 x 0.80 for 16 envs
    assert abs(resets.uniform_entropy(16) - 0.8018) < 1e-3
    assert names(resets.audit_metrics(bunched, 16, 8, 0.02)) == [("resets.synchronised", "warning")]


def test_rollout_waves_and_synchronised_phases():
    time_out = np.zeros((200, 20), dtype=bool)
    time_out[19::40] = True  # every env times out together every 40 steps
    roll = fake_rollout(steps=200, envs=20, time_out=time_out, phase_entropy=np.full(200, 0.05))
    found = resets.audit_rollout(roll, "")
    assert names(found) == [("resets.synchronised", "warning"), ("resets.waves", "warning")]
    assert found[1].numbers["period_s"] == 40 * roll.dt
    spread = np.zeros((200, 20), dtype=bool)
    spread[np.arange(200), np.arange(200) % 20] = True  # one env per step
    assert resets.audit_rollout(fake_rollout(steps=200, envs=20, time_out=spread), "") == []


def test_failures_clustered_on_a_terrain_column():
    assert abs(resets.chi_square_p(18.307, 10) - 0.05) < 0.005  # chi-square table value
    cols = np.broadcast_to(np.arange(40) % 4, (200, 40))
    rng = np.random.default_rng(0)
    rate = np.where(cols == 3, 0.05, 0.005)  # column 3 fails 10x as often
    terminated = rng.random((200, 40)) < rate
    kinds = ("flat", "stairs_up", "stairs_down", "random_rough")
    roll = fake_rollout(steps=200, envs=40, terminated=terminated, tile_col=cols, col_kinds=kinds)
    (found,) = resets.terrain_tile(roll)
    assert found.numbers["worst_column"] == 3 and found.numbers["kind"] == "random_rough"
    even = fake_rollout(
        steps=200, envs=40, terminated=rng.random((200, 40)) < 0.01, tile_col=cols, col_kinds=kinds
    )
    assert resets.terrain_tile(even) == []
