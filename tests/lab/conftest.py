"""A tiny parallelism lab: two levels (4 and 8 envs), one seed, 64 samples each, a 2-cell panel."""

import pytest
from lab_helpers import PANEL, TINY_EDITS, lab_args

from locoaudit.cli import main
from tiny_manifest import quadruped_flat_toml


@pytest.fixture(scope="session")
def lab_inputs(tmp_path_factory):
    """(manifest path, panel path) of the tiny configuration."""
    folder = tmp_path_factory.mktemp("lab_inputs")
    (folder / "tiny.toml").write_text(quadruped_flat_toml(TINY_EDITS))
    (folder / "panel.toml").write_text(PANEL)
    return folder / "tiny.toml", folder / "panel.toml"


@pytest.fixture(scope="session")
def finished_lab(lab_inputs, tmp_path_factory):
    """The lab directory of a completed tiny lab (held-out and transfer evaluations)."""
    out = tmp_path_factory.mktemp("labs")
    assert main(lab_args(lab_inputs, out)) == 0
    (lab_dir,) = [p for p in out.iterdir() if p.is_dir()]
    return lab_dir
