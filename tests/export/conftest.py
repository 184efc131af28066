import pytest
import torch

from locoaudit.demo import quick_manifest
from locoaudit.manifest import load_manifest
from locoaudit.train import session


@pytest.fixture(scope="session")
def trained_run(tmp_path_factory):
    """quadruped_flat, tiny PPO, two iterations: the observation normaliser holds real statistics."""
    torch.set_num_threads(1)
    m = quick_manifest(load_manifest("quadruped_flat"))
    trainer = session.start(m, 8, 0, tmp_path_factory.mktemp("runs"), "cpu", threads=1)
    session.run(trainer, 2, quiet=True)
    return trainer.run_dir


@pytest.fixture(scope="session")
def exported(trained_run, tmp_path_factory):
    """(path, loaded policy) of the trained run exported to ONNX."""
    from locoaudit.export.onnx_policy import export_policy
    from locoaudit.train.policy import load_policy

    loaded = load_policy(trained_run)
    path = tmp_path_factory.mktemp("export") / "policy.onnx"
    export_policy(loaded, path)
    return path, loaded
