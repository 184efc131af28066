"""The deployment path (contract + ONNX) against the torch policy, and the bugs it catches."""

import json

import onnx
import pytest

from locoaudit.errors import LocoauditError
from locoaudit.evaluate.conditions import nominal_manifest
from locoaudit.evaluate.panel import load_panel
from locoaudit.evaluate.rollout import torch_policy
from locoaudit.export.contract import CONTRACT_KEY
from locoaudit.export.onnx_policy import OnnxPolicy
from locoaudit.train.policy import load_policy
from locoaudit.transfer import readback
from locoaudit.transfer.policy import ContractPolicy
from locoaudit.transfer.run import deployment, policy_file, recorded_observations


def _edited(path, out, edit):
    model = onnx.load(str(path))
    entry = next(p for p in model.metadata_props if p.key == CONTRACT_KEY)
    contract = json.loads(entry.value)
    edit(contract)
    entry.value = json.dumps(contract)
    onnx.save(model, str(out))
    return out


@pytest.fixture(scope="module")
def setup(trained_run):
    loaded = load_policy(trained_run)
    manifest = nominal_manifest(loaded.manifest, load_panel("disturbance"))
    path = policy_file(trained_run, None)
    return trained_run, loaded, manifest, path


def test_deployment_path_matches_torch(setup):
    run, _, manifest, path = setup
    _, evidence = deployment(run, path, manifest)
    assert evidence["checked"][0] == "contract" and len(evidence["policy_sha256"]) == 64


def test_observation_scale_applied_twice_is_caught(setup, tmp_path):
    """A scale the policy's observations already carry, applied again on the robot side."""
    run, loaded, manifest, path = setup

    def rescale(c):
        next(t for t in c["observation"]["terms"] if t["name"] == "joint_vel")["scale"] = 0.05

    bad = _edited(path, tmp_path / "scaled.onnx", rescale)
    with pytest.raises(LocoauditError) as info:  # the contract check refuses first
        deployment(run, bad, manifest)
    assert "observation.terms[5].scale: file 0.05, manifest 1.0" in str(info.value)
    from locoaudit.task.env import LocoEnv

    probe = LocoEnv(manifest, 1, seed=0, threads=1)
    deploy = ContractPolicy(OnnxPolicy(bad), probe.obs_layout()["actor"], list(probe.built.robot.joints))
    reference = torch_policy(loaded.actor)
    lines = readback.policy_readback(deploy, reference, recorded_observations(manifest, reference))
    assert len(lines) == 1 and lines[0].startswith("policy: max |onnx deployment path - torch policy|")


def test_action_scale_mismatch_is_refused(setup, tmp_path):
    run, _, manifest, path = setup

    def rescale(c):
        c["action"]["scale"] = 0.5

    bad = _edited(path, tmp_path / "action.onnx", rescale)
    with pytest.raises(LocoauditError, match=r"action\.scale: file 0\.5, manifest 0\.25"):
        deployment(run, bad, manifest)
