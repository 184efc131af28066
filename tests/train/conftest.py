import dataclasses

import pytest

from locoaudit.demo import quick_manifest
from locoaudit.manifest import load_manifest
from tiny_manifest import quadruped_flat_toml

TINY_EDITS = [
    ("num_steps_per_env = 24", "num_steps_per_env = 8"),
    ("num_mini_batches = 4", "num_mini_batches = 2"),
    ("num_learning_epochs = 5", "num_learning_epochs = 2"),
    ("actor_hidden_dims = [128, 64, 32]", "actor_hidden_dims = [32, 32]"),
    ("critic_hidden_dims = [128, 64, 32]", "critic_hidden_dims = [32, 32]"),
    ("save_interval = 50", "save_interval = 2"),
    ("threads = 2", "threads = 1"),
]


@pytest.fixture(scope="session")
def tiny_manifest():
    """quadruped_flat with the demo's tiny PPO settings: well under a second per iteration."""
    m = quick_manifest(load_manifest("quadruped_flat"))
    return dataclasses.replace(
        m, ppo=dataclasses.replace(m.ppo, save_interval=2), sim=dataclasses.replace(m.sim, threads=1)
    )


@pytest.fixture
def tiny_toml(tmp_path):
    """The same tiny configuration as a TOML file, for command-line tests."""
    path = tmp_path / "tiny.toml"
    path.write_text(quadruped_flat_toml(TINY_EDITS))
    return path
