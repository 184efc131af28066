"""Menagerie's Go1 in Genesis, on our generator's heightfield: every read-back passes, and it runs."""

import numpy as np

from locoaudit.evaluate.conditions import nominal_manifest, plan_batches
from locoaudit.evaluate.panel import load_panel
from locoaudit.manifest import load_manifest
from locoaudit.transfer.genesis_env import unsupported
from locoaudit.transfer.run import checked_genesis_env


def test_go1_on_curbs_passes_the_read_backs_and_stands():
    panel = load_panel("heldout_terrain")
    batch = plan_batches(nominal_manifest(load_manifest("go1_flat"), panel), panel, 2)[0]
    assert batch.manifest.robot.name == "unitree_go1" and batch.manifest.terrain.type == "grid"
    assert unsupported(batch.manifest) is None
    env = checked_genesis_env(
        batch.manifest, 2, seed=3
    )  # model, terrain and state read-backs: refuses on any line
    assert env.backend.robot.n_dofs == 18 and env.built.grid is not None
    for _ in range(25):
        result = env.step(np.zeros((2, env.num_actions)))
    assert not result.terminated.any()
    x, y, z = env.backend.qpos[:, :3].T
    assert np.all(z - env.ground_height(x, y) > 0.15)  # m: standing on the terrain, not lying on it
