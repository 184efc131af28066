"""Every reward and termination term computes the same on torch tensors (the device task) as on numpy.

The device task runs the numpy task's code on float32 tensors: from one random StepView (a batch of
64 envs, four feet, contacts and touchdowns on and off, half of them commanded to stand) each term
must agree with its numpy value to float32 rounding.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import torch

from locoaudit.terms.rewards import REWARDS
from locoaudit.terms.terminations import TERMINATIONS
from locoaudit.terms.view import StepView

N, J, F = 64, 12, 4
PARAMS = {"joint_pos_limits": {"lower": -0.5, "upper": 0.5}}  # the defaults never bind


def random_view(rng: np.random.Generator) -> StepView:
    gravity = rng.normal(size=(N, 3)) * [0.3, 0.3, 1.0] - [0, 0, 2.0]
    command = rng.uniform(-1, 1, (N, 3))
    command[: N // 2] *= 0.05  # below min_command: standing envs
    return StepView(
        dt=0.02,
        command=command,
        base_lin_vel=rng.normal(size=(N, 3)),
        base_ang_vel=rng.normal(size=(N, 3)),
        projected_gravity=gravity / np.linalg.norm(gravity, axis=1, keepdims=True),
        base_height=rng.uniform(0.05, 0.45, N),
        joint_angle=rng.normal(size=(N, J)),
        joint_vel=rng.normal(size=(N, J)),
        joint_acc=rng.normal(scale=50.0, size=(N, J)),
        joint_torque=rng.normal(scale=10.0, size=(N, J)),
        default_joint_angle=rng.normal(size=J),
        action=rng.normal(size=(N, J)),
        last_action=rng.normal(size=(N, J)),
        foot_contact=rng.random((N, F)) < 0.5,
        foot_air_time=rng.uniform(0, 0.8, (N, F)),
        first_contact=rng.random((N, F)) < 0.3,
        undesired_contact=rng.random((N, 4)) < 0.2,
        termination_contact=rng.random((N, 1)) < 0.2,
        qpos=rng.normal(size=(N, 19)),
        gait_phase=rng.random(N),
        terminated=rng.random(N) < 0.2,
    )


def on_device(view: StepView) -> StepView:
    """The view as the device task builds it: float32 tensors, bools as bools."""
    convert = lambda a: torch.as_tensor(a, dtype=torch.bool if a.dtype == bool else torch.float32)  # noqa: E731
    fields = {f.name: getattr(view, f.name) for f in dataclasses.fields(view)}
    return StepView(**{k: v if k == "dt" else convert(np.asarray(v)) for k, v in fields.items()})


def test_every_term_agrees_on_numpy_and_torch():
    view = random_view(np.random.default_rng(0))
    tview = on_device(view)
    for name, fn in REWARDS.items():
        host, dev = fn(view, **PARAMS.get(name, {})), fn(tview, **PARAMS.get(name, {}))
        assert isinstance(dev, torch.Tensor) and dev.shape == (N,), name
        np.testing.assert_allclose(dev.double().numpy(), host, rtol=2e-5, atol=1e-5, err_msg=name)
        assert np.ptp(np.asarray(host, dtype=float)) > 0, name  # the batch exercised the term
    for name, fn in TERMINATIONS.items():
        host, dev = fn(view), fn(tview)
        assert dev.dtype == torch.bool, name
        np.testing.assert_array_equal(dev.numpy(), host, err_msg=name)
        assert 0 < host.sum() < N, name
