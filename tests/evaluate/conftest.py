import pytest

from locoaudit.manifest import load_manifest
from locoaudit.train import session

TINY_PANEL = """
name = "tiny"
episodes = 4
seed = 7
episode_s = 1.0
recovery_window_s = 0.3

[[cells]]
name = "shove"
push = { velocity = 3.0, time_s = 0.1, direction_deg = 90.0 }

[[cells]]
name = "limp"
motor_strength = 0.05

[[cells]]
name = "curbs"
terrain = { type = "grid", kinds = ["curbs"], seeds = [11, 12], difficulty = 0.5, tile_size = 4.0 }
"""


@pytest.fixture(scope="session")
def untrained_run(tmp_path_factory):
    """A run directory holding an untrained policy checkpoint (quadruped_flat, tiny networks)."""
    import dataclasses

    m = load_manifest("quadruped_flat")
    m = dataclasses.replace(
        m, ppo=dataclasses.replace(m.ppo, actor_hidden_dims=(16,), critic_hidden_dims=(16,))
    )
    trainer = session.start(m, 4, 0, tmp_path_factory.mktemp("runs"), "cpu", threads=1)
    trainer.save()
    return trainer.run_dir


@pytest.fixture
def tiny_panel(tmp_path):
    path = tmp_path / "tiny.toml"
    path.write_text(TINY_PANEL)
    return path
