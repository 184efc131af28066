"""Logs with known answers: one short simulated episode with planted parameters, written as logs."""

import dataclasses

import numpy as np
import pytest
from hw_logs import LOG_S, PLANTED

from locoaudit.manifest import load_manifest
from locoaudit.robots.adapters import get_robot
from locoaudit.traces import synthlog
from locoaudit.train import session


@pytest.fixture(scope="session")
def manifest():
    return load_manifest("quadruped_flat")


@pytest.fixture(scope="session")
def sim_log(manifest):
    """The planted episode: substep states and policy-step targets, model (= SDK) joint order."""
    default = np.asarray(get_robot(manifest.robot.name).default_joint_pos)
    targets = synthlog.splits_targets(default, round(LOG_S / manifest.policy_dt), manifest.policy_dt)
    return synthlog.record(manifest, PLANTED, targets)


@pytest.fixture(scope="session")
def mcap_bag(sim_log, tmp_path_factory):
    path = tmp_path_factory.mktemp("logs") / "planted_mcap"
    synthlog.write_bag(path, sim_log, "mcap")
    return path


@pytest.fixture(scope="session")
def csv_log(sim_log, tmp_path_factory):
    path = tmp_path_factory.mktemp("logs") / "planted.csv"
    synthlog.write_csv(path, sim_log)
    return path


@pytest.fixture(scope="session")
def hardware_trace(mcap_bag, manifest, tmp_path_factory):
    from locoaudit.traces.hardware import import_log

    out = tmp_path_factory.mktemp("traces") / "planted.npz"
    import_log(mcap_bag, "unitree_go_lowstate", manifest, out)
    return out


@pytest.fixture(scope="session")
def tiny_run(tmp_path_factory):
    """A run of one tiny PPO iteration on quadruped_flat (a policy, metrics and a checkpoint)."""
    m = load_manifest("quadruped_flat")
    m = dataclasses.replace(
        m,
        ppo=dataclasses.replace(
            m.ppo, actor_hidden_dims=(16,), critic_hidden_dims=(16,), num_steps_per_env=4
        ),
    )
    trainer = session.start(m, 4, 0, tmp_path_factory.mktemp("runs"), "cpu", threads=1)
    session.run(trainer, 1, quiet=True)
    return trainer.run_dir
