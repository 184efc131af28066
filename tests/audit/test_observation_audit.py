"""Observation audit on constructed data: ridge probes with planted leaks, normaliser checks, bad features."""

import numpy as np
from audit_helpers import fake_rollout

from locoaudit.audit import observations

STEPS, ENVS = 50, 40


def test_ridge_probe_scores_a_planted_linear_leak_on_held_out_rows():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(4000, 10))
    test = np.arange(4000) % 4 == 3
    leak = x @ rng.normal(size=10) + 0.05 * rng.normal(size=4000)
    r2 = observations.ridge_r2(x, np.c_[leak, rng.normal(size=4000)], test)
    assert r2[0] > 0.99 and abs(r2[1]) < 0.02


def probe_rollout(target_r2: float, term: str, seed: int = 0):
    """Actor features (4 per env-step); `term` = feature 0 plus noise so its R^2 is about target_r2."""
    rng = np.random.default_rng(seed)
    obs = rng.normal(size=(STEPS, ENVS, 4))
    noise = np.sqrt(1 / target_r2 - 1)
    value = obs[:, :, :1] + noise * rng.normal(size=(STEPS, ENVS, 1))
    other = "friction" if term == "base_lin_vel" else "base_lin_vel"
    privileged = {
        term: np.repeat(value, 3 if term == "base_lin_vel" else 1, axis=2),
        other: rng.normal(size=(STEPS, ENVS, 1)),
    }
    roll = fake_rollout(steps=STEPS, envs=ENVS, actor_obs=obs.astype(np.float32), privileged=privileged)
    return observations.leakage(roll, "")


def flagged(findings):
    return [(f.numbers["term"], f.severity) for f in findings if f.check == "leakage"]


def test_leakage_thresholds_per_quantity():
    assert flagged(probe_rollout(0.6, "friction")) == [("friction", "error")]
    assert flagged(probe_rollout(0.4, "friction")) == []
    assert flagged(probe_rollout(0.98, "base_lin_vel")) == [("base_lin_vel", "warning")]
    assert flagged(probe_rollout(0.9, "base_lin_vel")) == []
    summary = probe_rollout(0.4, "friction")[-1]
    assert summary.check == "leakage_probes" and 0.3 < summary.numbers["r2"]["friction"][0] < 0.5


def test_terrain_kind_decodable_from_the_actor_is_an_error():
    rng = np.random.default_rng(1)
    cols = np.broadcast_to((np.arange(ENVS) // 4) % 4, (STEPS, ENVS))  # every kind among the held-out envs
    kinds = ("flat", "stairs_up", "stairs_down", "random_rough")
    quiet = rng.normal(size=(STEPS, ENVS, 6))
    leaked = quiet.copy()
    leaked[:, :, :4] = np.eye(4)[cols] + 0.3 * quiet[:, :, :4]  # a noisy one-hot of the terrain kind
    for obs, expected in ((leaked, ["error"]), (quiet, [])):
        roll = fake_rollout(
            steps=STEPS, envs=ENVS, actor_obs=obs.astype(np.float32), tile_col=cols, col_kinds=kinds
        )
        assert [f.severity for f in observations.leakage(roll, "") if f.check == "leakage"] == expected


def test_non_finite_and_dead_features():
    obs = np.random.default_rng(2).normal(size=(STEPS, 4, 3)).astype(np.float32)
    obs[:, :, 2] = 0.5
    obs[7, 1, 0] = np.nan
    found = observations.audit_rollout(fake_rollout(steps=STEPS, envs=4, actor_obs=obs), "")
    by_check = {f.check: f for f in found}
    assert by_check["non_finite"].severity == "error" and by_check["non_finite"].numbers["features"] == [
        "joint_pos[0]"
    ]
    assert by_check["dead_feature"].numbers["features"] == ["joint_pos[2]"]


def test_normaliser_dead_offset_and_drift():
    names = ["a", "b", "c", "d"]
    mean, std = np.array([0.0, 5000.0, 0.0, 1.0]), np.array([0.0, 1.0, 1.0, 1.0])
    rollout_mean = np.array([0.0, 5000.0, 6.0, 1.0])
    found = observations.normaliser(mean, std, names, rollout_mean)
    assert [f.numbers["features"] for f in found] == [["a"], ["b"], ["c"]]
    assert all(f.severity == "warning" for f in found)
    assert observations.normaliser(np.zeros(2), np.ones(2), ["a", "b"], np.full(2, 4.9)) == []


def test_a_privileged_term_present_by_name_is_an_error_even_without_a_probe():
    import dataclasses

    roll = fake_rollout(
        steps=STEPS, envs=ENVS, actor_obs=np.random.default_rng(3).normal(size=(STEPS, ENVS, 3))
    )
    roll = dataclasses.replace(roll, actor_layout={"joint_pos": slice(0, 2), "height_scan": slice(2, 3)})
    (found,) = [f for f in observations.leakage(roll, "") if f.check == "leakage"]
    assert (found.severity, found.numbers["term"], found.numbers["r2"]) == ("error", "height_scan", None)
