"""Termination terms: plain functions of a StepView returning a bool per environment.

`time_out` (episode length reached) and `non_finite` (the physics state blew up) are built in
and always active; time-outs are reported apart from failures so PPO can bootstrap on them.
"""

from __future__ import annotations

from collections.abc import Callable

from locoaudit.arrays import Array, xp
from locoaudit.terms.view import StepView

TIME_OUT = "time_out"
NON_FINITE = "non_finite"


def base_contact(v: StepView) -> Array:
    """Any termination-contact body (e.g. the trunk) touches the ground."""
    return xp(v.termination_contact).any(v.termination_contact, axis=1)


def bad_orientation(v: StepView, *, limit_angle: float = 1.0) -> Array:
    """The base tilts more than limit_angle [rad] from upright."""
    ns = xp(v.projected_gravity)
    return ns.arccos(ns.clip(-v.projected_gravity[:, 2], -1.0, 1.0)) > limit_angle


def base_too_low(v: StepView, *, min_height: float = 0.15) -> Array:
    """The terrain-relative base height falls below min_height [m]."""
    return v.base_height < min_height


TERMINATIONS: dict[str, Callable[..., Array]] = {
    "base_contact": base_contact,
    "bad_orientation": bad_orientation,
    "base_too_low": base_too_low,
}
