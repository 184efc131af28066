"""No code from checkpoints, no writes outside their folder, checksums verified on load."""

import io
import os
import pickle
import re
from pathlib import Path

import numpy as np
import pytest
import torch

from locoaudit.cli import main
from locoaudit.errors import LocoauditError, ManifestError
from locoaudit.fileio import atomic_write_checked
from locoaudit.manifest import load_manifest
from locoaudit.safety import checksum_path, inside, name_problem
from locoaudit.traces.format import read_trace, write_trace
from locoaudit.train.checkpoint import from_storable, load_checkpoint, save_checkpoint, to_storable


class Planted:
    """Unpickling this runs code: it creates the file named by `marker`."""

    def __init__(self, marker: str):
        self.marker = marker

    def __reduce__(self):
        return (open, (self.marker, "w"))


def test_a_checkpoint_that_would_run_code_is_refused_and_runs_nothing(tmp_path):
    marker = tmp_path / "pwned"
    buffer = io.BytesIO()
    torch.save({"alg": Planted(str(marker))}, buffer, _use_new_zipfile_serialization=True)
    path = tmp_path / "latest.pt"
    atomic_write_checked(path, buffer.getvalue())  # a valid checksum: the refusal is the unpickler's
    with pytest.raises(LocoauditError, match="refusing to load: it holds objects other than tensors"):
        load_checkpoint(path)
    assert not marker.exists()


def test_a_plain_pickle_checkpoint_is_refused_too(tmp_path):
    path = tmp_path / "old.pt"
    atomic_write_checked(path, pickle.dumps({"rng": np.zeros(3)}, protocol=2))
    with pytest.raises(LocoauditError, match=r"old\.pt: "):
        load_checkpoint(path)


def test_checkpoint_state_round_trips_numpy_and_rng_state(tmp_path):
    rng = np.random.default_rng(3)
    state = {
        "a": np.arange(4, dtype=np.int32),
        "b": [np.bool_(True), (np.float64(0.5),)],
        "rng": rng.bit_generator.state,
    }
    (tmp_path / "checkpoints").mkdir()
    save_checkpoint(tmp_path, state, 1)
    back = load_checkpoint(tmp_path)
    assert back["a"].dtype == np.int32 and back["a"].tolist() == [0, 1, 2, 3]
    assert back["b"] == [True, (0.5,)] and back["rng"] == rng.bit_generator.state
    assert from_storable(to_storable(state))["rng"] == state["rng"]


def test_a_damaged_or_unchecked_checkpoint_is_refused(tmp_path):
    (tmp_path / "checkpoints").mkdir()
    path = save_checkpoint(tmp_path, {"w": torch.ones(64)}, 3)
    data = bytearray(path.read_bytes())
    data[200:300] = bytes(100)  # 100 bytes zeroed
    path.write_bytes(bytes(data))
    with pytest.raises(LocoauditError, match="sha256 does not match"):
        load_checkpoint(path)
    latest = tmp_path / "checkpoints" / "latest.pt"
    checksum_path(latest).unlink()
    with pytest.raises(LocoauditError, match=r"no checksum file latest\.pt\.sha256"):
        load_checkpoint(tmp_path)


@pytest.mark.parametrize("name", ["../../escape", "a/b", "..", ".hidden", "a\\b", "", "x" * 65, "ü", "a b"])
def test_unsafe_names_are_refused(name):
    assert name_problem(name) is not None
    with pytest.raises(LocoauditError, match="not a safe name"):
        inside(Path("/tmp"), name)


def test_safe_names_pass():
    assert name_problem("push_1.0") is None and name_problem("go1-flat") is None


def test_inside_refuses_a_symlink_that_leaves_the_folder(tmp_path):
    (tmp_path / "box").mkdir()
    os.symlink(tmp_path, tmp_path / "box" / "up")
    with pytest.raises(LocoauditError, match="resolves outside"):
        inside(tmp_path / "box", "up")


def test_a_manifest_name_with_separators_is_refused_at_parse_time(write_toml, tmp_path, capsys):
    path = write_toml('name = "../../escape"\n[rewards.terms.tracking_lin_vel]\nweight = 1.0\n')
    with pytest.raises(ManifestError, match=r"name: '\.\./\.\./escape' is not a safe name"):
        load_manifest(path)
    assert main(["manifest", "check", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"{path}: name:" in err


@pytest.mark.parametrize(
    "edit, key",
    [
        (('name = "tiny"', 'name = "../tiny"'), "name"),
        (('name = "shove"', 'name = "../../shove"'), "cells[0].name"),
        (('name = "limp"', 'name = "/tmp/limp"'), "cells[1].name"),
    ],
)
def test_panel_and_cell_names_with_separators_are_refused(edit, key, tmp_path):
    from locoaudit.evaluate.panel import load_panel

    text = 'name = "tiny"\n[[cells]]\nname = "shove"\n[[cells]]\nname = "limp"\n'
    path = tmp_path / "p.toml"
    path.write_text(text.replace(*edit))
    with pytest.raises(ManifestError, match=rf"{re.escape(key)}: .* is not a safe name"):
        load_panel(str(path))


def test_trace_checksum_is_verified_and_old_traces_load_with_a_warning(tmp_path, capsys):
    header = {"eval_manifest": {}, "steps": 1, "reason": "fall", "push_step": -1, "push_dv": [0, 0]}
    arrays = {k: np.zeros((1, 2)) for k in ("actions", "commands", "rewards", "qpos", "obs", "physics")}
    path = tmp_path / "t.npz"
    write_trace(path, header, arrays)
    assert read_trace(path)[0]["reason"] == "fall"
    assert capsys.readouterr().err == ""
    checksum_path(path).unlink()
    assert read_trace(path)[0]["steps"] == 1
    assert "no checksum file" in capsys.readouterr().err
    write_trace(path, header | {"reason": "other"}, arrays)
    data = bytearray(path.read_bytes())
    data[-30] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(LocoauditError, match="sha256 does not match"):
        read_trace(path)
