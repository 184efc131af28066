"""Gait audit on contact sequences with a known pattern: trot, pronk, a dragged foot, standing."""

import numpy as np
from audit_helpers import fake_rollout

from locoaudit.audit import gait

STEPS, ENVS, PERIOD = 225, 4, 20  # feet FR, FL, RR, RL; 0.4 s strides at dt 0.02; 200 settled steps


def pattern(on: dict[str, tuple[float, float]]) -> tuple[np.ndarray, np.ndarray]:
    """(contact, touchdown) (T, N, 4): each foot on the ground over a phase interval [a, b) of the stride."""
    phase = (np.arange(STEPS) % PERIOD) / PERIOD
    contact = np.zeros((STEPS, ENVS, 4), dtype=bool)
    for i, foot in enumerate(("FR", "FL", "RR", "RL")):
        a, b = on[foot]
        contact[:, :, i] = (((phase - a) % 1.0) < (b - a))[:, None]
    touchdown = contact & ~np.roll(contact, 1, axis=0)
    return contact, touchdown


def audit(on):
    contact, touchdown = pattern(on)
    return gait.audit(fake_rollout(steps=STEPS, envs=ENVS, contact=contact, touchdown=touchdown))


def names(findings):
    return [(f.name, f.severity) for f in findings]


def test_trot_is_clean_with_diagonal_pairs_in_phase():
    found = audit({"FR": (0, 0.55), "RL": (0, 0.55), "FL": (0.5, 1.05), "RR": (0.5, 1.05)})
    assert names(found) == [("gait.summary", "info")]
    stats = found[0].numbers
    assert stats["flight"] == 0.0 and abs(stats["duty"]["FR"] - 0.55) < 0.01
    assert abs(stats["stride_hz"] - 1 / (PERIOD * 0.02)) < 0.1  # one touchdown per foot per stride
    assert stats["in_phase"] < 0 and stats["left_right"] == 0.0


def test_pronk_with_flight_is_flagged_as_hopping():
    found = audit({foot: (0, 0.5) for foot in ("FR", "FL", "RR", "RL")})
    assert ("gait.hopping", "warning") in names(found)
    hop = next(f for f in found if f.check == "hopping")
    assert hop.numbers["flight"] == 0.5 and abs(hop.numbers["in_phase"] - 1.0) < 1e-9


def test_a_dragged_foot_and_standing():
    dragged = audit({"FR": (0, 1.0), "RL": (0, 0.55), "FL": (0.5, 1.05), "RR": (0.5, 1.05)})
    assert ("gait.dragging", "warning") in names(dragged)
    assert next(f for f in dragged if f.check == "dragging").numbers["foot"] == "FR"
    standing = gait.audit(fake_rollout(steps=STEPS, envs=ENVS))
    assert names(standing) == [("gait.summary", "info"), ("gait.standing", "error")]


def test_settling_steps_after_a_reset_are_ignored():
    contact, touchdown = pattern({"FR": (0, 0.55), "RL": (0, 0.55), "FL": (0.5, 1.05), "RR": (0.5, 1.05)})
    contact[:25] = False  # the spawn drop: all feet in the air, but within 0.5 s of the reset
    roll = fake_rollout(steps=STEPS, envs=ENVS, contact=contact, touchdown=touchdown)
    assert names(gait.audit(roll)) == [("gait.summary", "info")]
