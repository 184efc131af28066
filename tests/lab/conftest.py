"""A tiny parallelism lab: two levels (4 and 8 envs), one seed, 64 samples each, a 2-cell panel."""

from importlib import resources

import pytest

from locoaudit.cli import main

TINY_EDITS = [
    ("num_steps_per_env = 24", "num_steps_per_env = 8"),
    ("num_mini_batches = 4", "num_mini_batches = 2"),
    ("num_learning_epochs = 5", "num_learning_epochs = 2"),
    ("actor_hidden_dims = [256, 128, 64]", "actor_hidden_dims = [16]"),
    ("critic_hidden_dims = [256, 128, 64]", "critic_hidden_dims = [16]"),
    ("save_interval = 50", "save_interval = 1"),
    ("threads = 2", "threads = 1"),
]
PANEL = """
name = "tiny"
episodes = 2
seed = 7
episode_s = 0.6
recovery_window_s = 0.3

[[cells]]
name = "shove"
push = { velocity = 4.0, time_s = 0.1, direction_deg = 90.0 }

[[cells]]
name = "limp"
motor_strength = 0.05
"""


@pytest.fixture(scope="session")
def lab_inputs(tmp_path_factory):
    """(manifest path, panel path) of the tiny configuration."""
    folder = tmp_path_factory.mktemp("lab_inputs")
    text = resources.files("locoaudit.manifests").joinpath("quadruped_flat.toml").read_text()
    for old, new in TINY_EDITS:
        assert old in text
        text = text.replace(old, new)
    (folder / "tiny.toml").write_text(text)
    (folder / "panel.toml").write_text(PANEL)
    return folder / "tiny.toml", folder / "panel.toml"


def lab_args(lab_inputs, out, *extra):
    manifest, panel = lab_inputs
    return [
        "lab",
        "parallelism",
        "--manifest",
        str(manifest),
        "--num-envs",
        "4",
        "8",
        "--seeds",
        "1",
        "--samples",
        "64",
        "--panel",
        str(panel),
        "--allow-overlap",
        "--threads",
        "1",
        "--out",
        str(out),
        *extra,
    ]


@pytest.fixture(scope="session")
def finished_lab(lab_inputs, tmp_path_factory):
    """The lab directory of a completed tiny lab (held-out and transfer evaluations)."""
    out = tmp_path_factory.mktemp("labs")
    assert main(lab_args(lab_inputs, out)) == 0
    (lab_dir,) = [p for p in out.iterdir() if p.is_dir()]
    return lab_dir
