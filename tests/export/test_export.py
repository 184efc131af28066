import json

import numpy as np
import onnx
import pytest

from locoaudit.cli import main
from locoaudit.errors import LocoauditError
from locoaudit.evaluate.rollout import torch_policy
from locoaudit.export.contract import CONTRACT_KEY, compare_contracts, deployment_contract
from locoaudit.export.onnx_policy import OnnxPolicy, read_contract
from locoaudit.manifest import manifest_hash
from locoaudit.task.env import LocoEnv


def _recorded_observations(manifest, policy, steps=30, n=8):
    """Actor observations of an env driven by the torch policy: what the robot would see."""
    env = LocoEnv(manifest, n, seed=3, threads=1)
    obs, seen = env.observe(), []
    for _ in range(steps):
        seen.append(obs["actor"])
        obs = env.step(policy(obs)).obs
    return np.concatenate(seen)


def test_onnxruntime_matches_torch_on_recorded_observations(exported):
    path, loaded = exported
    torch_act = torch_policy(loaded.actor)
    obs = _recorded_observations(loaded.manifest, torch_act)
    normalizer = loaded.actor.obs_normalizer
    assert not np.allclose(normalizer.mean.numpy(), 0.0)  # the normaliser is exercised, not the identity
    expected = torch_act({"actor": obs})
    got = OnnxPolicy(path).actions(obs)
    assert got.shape == expected.shape == (len(obs), 12)
    np.testing.assert_allclose(got, expected, atol=1e-5, rtol=0)


def test_contract_in_metadata_describes_the_run(exported):
    path, loaded = exported
    c = read_contract(path)
    assert c["run_id"] == loaded.run_id and c["checkpoint_iteration"] == loaded.iteration
    assert c["manifest_hash"] == manifest_hash(loaded.manifest)
    assert c["joint_names"][:3] == ["FR_hip_joint", "FR_thigh_joint", "FR_calf_joint"]
    assert c["kp"] == [20.0] * 12 and c["kd"] == [0.5] * 12
    assert c["action"]["scale"] == 0.25 and c["decimation"] == 4 and c["policy_dt"] == pytest.approx(0.02)
    terms = [(t["name"], t["size"]) for t in c["observation"]["terms"]]
    assert terms[:3] == [("base_ang_vel", 3), ("projected_gravity", 3), ("command", 3)]
    assert sum(size for _, size in terms) == c["observation"]["size"] == 47  # with the gait clock
    assert c["normalizer"] == "folded into the graph"
    assert compare_contracts(c, deployment_contract(loaded.manifest)) == []


def _rewrite(path, out, edit):
    model = onnx.load(str(path))
    entry = next(p for p in model.metadata_props if p.key == CONTRACT_KEY)
    contract = json.loads(entry.value)
    edit(contract)
    entry.value = json.dumps(contract)
    onnx.save(model, str(out))


def test_check_names_each_mismatch_on_its_own_line(exported, trained_run, tmp_path, capsys):
    path, _ = exported
    manifest_file = trained_run  # a run directory stands for its frozen manifest
    assert main(["export", "--check", str(path), "--manifest", str(manifest_file)]) == 0
    assert "matches" in capsys.readouterr().out

    def scramble(c):
        c["joint_names"][0], c["joint_names"][1] = c["joint_names"][1], c["joint_names"][0]
        c["action"]["scale"] = 0.5
        c["kp"][4] = 25.0

    bad = tmp_path / "bad.onnx"
    _rewrite(path, bad, scramble)
    assert main(["export", "--check", str(bad), "--manifest", str(manifest_file)]) == 1
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 4
    assert any("joint_names[0]: file 'FR_thigh_joint', manifest 'FR_hip_joint'" in x for x in lines)
    assert any("action.scale: file 0.5, manifest 0.25" in x for x in lines)
    assert any("kp[4]: file 25.0, manifest 20.0" in x for x in lines)


def test_export_cli_writes_a_file_and_refuses_bad_input(trained_run, tmp_path, capsys):
    out = tmp_path / "p.onnx"
    assert main(["export", str(trained_run), "--checkpoint", "2", "-o", str(out)]) == 0
    assert read_contract(out)["checkpoint_iteration"] == 2
    assert main(["export", str(trained_run), "--checkpoint", "999"]) == 2
    assert "model_999.pt: no such checkpoint" in capsys.readouterr().err
    junk = tmp_path / "junk.onnx"
    junk.write_bytes(b"not onnx")
    with pytest.raises(LocoauditError, match=r"junk\.onnx"):
        read_contract(junk)
