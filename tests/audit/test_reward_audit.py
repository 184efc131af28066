"""Reward decomposition on constructed metrics records: thresholds checked on both sides."""

import numpy as np
from audit_helpers import fixture_manifest

from locoaudit.audit import rewards
from locoaudit.audit.preflight import expected_sign, wrong_signs
from locoaudit.evaluate.record import parse_evaluation


def make_records(terms: dict[str, list[float]], lin_error=None, returns=None) -> list[dict]:
    """Metrics records with per-second term contributions (and tracking errors, returns) per iteration."""
    n = len(next(iter(terms.values())))
    lin_error = lin_error or [0.5] * n
    return [
        {
            "iteration": i + 1,
            "reward_terms": {k: {"per_second": v[i], "per_episode": None} for k, v in terms.items()},
            "tracking": {"lin_vel_error": lin_error[i], "yaw_rate_error": 0.6},
            "mean_episode_return": None if returns is None else returns[i],
        }
        for i in range(n)
    ]


def checks(findings):
    return [(f.name, f.severity) for f in findings]


def test_dominant_term_threshold_is_70_percent_of_the_last_20_percent():
    early = [0.1] * 8  # the first 8 of 10 iterations do not count
    flagged = rewards.dominant_term(make_records({"a": early + [0.71] * 2, "b": early + [-0.29] * 2}))
    assert checks(flagged) == [("rewards.dominant_term", "warning")]
    assert flagged[0].numbers["term"] == "a" and abs(flagged[0].numbers["share"] - 0.71) < 1e-9
    assert rewards.dominant_term(make_records({"a": early + [0.69] * 2, "b": early + [-0.31] * 2})) == []


def test_exploit_needs_growth_of_a_positive_term_without_tracking_gains():
    m = fixture_manifest("hopping_pays")
    weights = {k: t.weight for k, t in m.rewards.terms.items()}
    rng = np.random.default_rng(0)
    grow = list(np.linspace(1.0, 1.5, 16) + rng.normal(0, 0.01, 16))
    shrink = list(np.linspace(-0.5, -0.1, 16))
    terms = {"base_height": grow, "track_lin_vel_xy": grow, "action_rate_l2": shrink}
    found = rewards.exploit(make_records(terms), weights)
    assert checks(found) == [("rewards.exploit", "warning")]  # not the tracking term, not the penalty
    assert found[0].numbers["term"] == "base_height"
    improving = list(np.linspace(0.6, 0.5, 16))  # tracking error improves by more than 5%
    assert rewards.exploit(make_records(terms, lin_error=improving), weights) == []
    flat = {"base_height": [1.0 + 0.01 * (i % 2) for i in range(16)], "track_lin_vel_xy": grow}
    assert rewards.exploit(make_records(flat), weights) == []


def test_non_task_pay_is_25_percent_of_the_tracking_maximum():
    m = fixture_manifest("hopping_pays")  # tracking maximum 1.0 + 0.5 = 1.5 per second
    assert rewards.tracking_max_per_second(m) == 1.5
    assert checks(rewards.non_task_pay({"base_height": 0.38}, m, "")) == [("rewards.non_task_pay", "warning")]
    assert rewards.non_task_pay({"base_height": 0.37, "feet_air_time": 0.2}, m, "") == []


def test_dead_event_terms_are_info_and_saturated_terms_warn():
    found = rewards.dead_or_saturated(
        make_records(
            {"termination": [0.0] * 4, "feet_air_time": [0.0] * 4, "x": [0.5] * 4, "y": [0.1, 0.2, 0, 1]}
        )
    )
    assert checks(found) == [
        ("rewards.dead_term", "info"),
        ("rewards.dead_term", "warning"),
        ("rewards.saturated_term", "warning"),
    ]


def _evaluation(iteration: int, fall: tuple[float, float, float]):
    metrics = {
        "fall_rate": {"value": fall[0], "ci": list(fall[1:])},
        "lin_vel_error": {"value": 0.2, "ci": [0.1, 0.3]},
    }
    body = {
        "run_id": "r",
        "panel": "disturbance",
        "panel_hash": "a" * 64,
        "manifest_hash": "0" * 64,
        "seed": 0,
        "kind": "heldout",
        "simulator": "mujoco_cpu",
        "held_out": True,
        "checkpoint_iteration": iteration,
        "created": "2026-11-25T10:00:00+00:00",
        "cells": [{"name": "push_1.0", "episodes": 64, "metrics": metrics}],
        "summary": metrics,
    }
    return parse_evaluation(body, "test")


def test_return_rising_while_heldout_falls_needs_two_checkpoints():
    recs = make_records({"a": [1.0] * 10}, returns=list(range(10)))
    early, late = _evaluation(2, (0.1, 0.05, 0.15)), _evaluation(9, (0.4, 0.3, 0.5))
    assert checks(rewards.return_vs_heldout(recs, [early, late])) == [
        ("rewards.return_vs_heldout", "warning")
    ]
    assert checks(rewards.return_vs_heldout(recs, [late])) == [("rewards.return_vs_heldout", "info")]
    same = _evaluation(9, (0.12, 0.05, 0.2))  # within the intervals: not worse
    assert rewards.return_vs_heldout(recs, [early, same]) == []


def test_weight_signs_follow_term_names():
    assert [expected_sign(t) for t in ("action_rate_l2", "undesired_contacts", "termination")] == [-1, -1, -1]
    assert [expected_sign(t) for t in ("track_lin_vel_xy", "feet_air_time", "base_height")] == [1, 1, 0]
    assert wrong_signs(fixture_manifest("quadruped_flat")) == []
    (found,) = wrong_signs(fixture_manifest("wrong_sign"))
    assert (found.severity, found.numbers["term"], found.numbers["weight"]) == (
        "error",
        "action_rate_l2",
        0.01,
    )
