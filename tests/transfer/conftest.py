"""One small Genesis env (8 envs) for every transfer test: building a scene costs tens of seconds."""

import pytest

from locoaudit.manifest import load_manifest
from locoaudit.task.env import LocoEnv


@pytest.fixture(scope="session")
def manifest():
    """quadruped_flat as an evaluation runs it: randomization at nominal values."""
    from locoaudit.evaluate.conditions import nominal_manifest
    from locoaudit.evaluate.panel import load_panel

    return nominal_manifest(load_manifest("quadruped_flat"), load_panel("disturbance"))


@pytest.fixture(scope="session")
def genesis(manifest):
    from locoaudit.transfer.genesis_env import genesis_env

    return genesis_env(manifest, 8, seed=5)


@pytest.fixture
def mujoco_env(manifest):
    """A MuJoCo env of the same manifest and seed as the Genesis env (same random draws)."""
    return LocoEnv(manifest, 8, seed=5, threads=1)


@pytest.fixture(scope="session")
def trained_run(tmp_path_factory):
    """quadruped_flat, tiny PPO, two iterations: the observation normaliser holds real statistics."""
    import torch

    from locoaudit.demo import quick_manifest
    from locoaudit.train import session

    torch.set_num_threads(1)
    m = quick_manifest(load_manifest("quadruped_flat"))
    trainer = session.start(m, 8, 0, tmp_path_factory.mktemp("runs"), "cpu", threads=1)
    session.run(trainer, 2, quiet=True)
    return trainer.run_dir
