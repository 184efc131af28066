"""The deployment contract: everything a robot-side program must match to run an exported policy.

It is derived from a manifest and the MuJoCo model that manifest compiles to (gains, limits and
joint order are read back from the compiled model, not copied from the TOML), stored as JSON in
the ONNX file's metadata, and compared field by field with the contract of another manifest.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from locoaudit.manifest import Manifest, manifest_hash

CONTRACT_KEY = "locoaudit.contract"
CONTRACT_FORMAT = 1
# Not part of a comparison: where the file came from, not what the robot side must do.
PROVENANCE = ("run_id", "checkpoint_iteration", "created", "exporter")


def deployment_contract(manifest: Manifest) -> dict[str, Any]:
    """The contract of a manifest: joint order, gains, limits, actions, observation layout, timing."""
    from locoaudit.task.env import LocoEnv

    env = LocoEnv(manifest, 1, seed=0, threads=1)
    model, built = env.built.model, env.built
    acts = built.actuators
    joints = model.actuator_trnid[acts, 0]
    layout = env.obs_layout()["actor"]
    obs = manifest.observations
    return {
        "format": CONTRACT_FORMAT,
        "manifest_hash": manifest_hash(manifest),
        "robot": manifest.robot.name,
        "joint_names": list(built.robot.joints),
        "default_joint_pos": [float(x) for x in built.robot.default_joint_pos],
        "kp": [float(x) for x in model.actuator_gainprm[acts, 0]],
        "kd": [float(-x) for x in model.actuator_biasprm[acts, 2]],
        "effort_limit": [float(x) for x in np.abs(model.actuator_forcerange[acts, 1])],
        "joint_limits": [[float(a), float(b)] for a, b in model.jnt_range[joints]],
        "action": {
            "target": "default_joint_pos + scale * clip(action, -clip, clip)",
            "scale": manifest.robot.action_scale,
            "clip": manifest.robot.action_clip,
            "hold": "zero-order hold for decimation physics steps",
        },
        "observation": {
            "input": "obs",
            "size": sum(s.stop - s.start for s in layout.values()),
            "terms": [{"name": name, "size": s.stop - s.start, "scale": 1.0} for name, s in layout.items()],
            "clip": obs.clip,
            "frames": "base_ang_vel, projected_gravity: base frame; joint terms: joint_names order",
            "quaternion": "wxyz",
        },
        "normalizer": "folded into the graph" if manifest.ppo.obs_normalization else "none",
        "policy_dt": manifest.policy_dt,
        "physics_dt": manifest.sim.timestep,
        "decimation": manifest.sim.decimation,
    }


def compare_contracts(found: dict[str, Any], expected: dict[str, Any], prefix: str = "") -> list[str]:
    """One line per differing field, 'key.path: file X, manifest Y'; provenance keys are skipped."""
    lines = []
    for key in sorted(set(found) | set(expected)):
        if not prefix and key in PROVENANCE:
            continue
        path = f"{prefix}{key}"
        if key not in found:
            lines.append(f"{path}: missing in the file (manifest {expected[key]!r})")
        elif key not in expected:
            lines.append(f"{path}: unexpected in the file ({found[key]!r})")
        else:
            lines += _compare_values(found[key], expected[key], path)
    return lines


def _compare_values(a: Any, b: Any, path: str) -> list[str]:
    if isinstance(a, dict) and isinstance(b, dict):
        return compare_contracts(a, b, f"{path}.")
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return [f"{path}: file has {len(a)} entries, manifest {len(b)}"]
        out = []
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            out += _compare_values(x, y, f"{path}[{i}]")
        return out
    if _same(a, b):
        return []
    return [f"{path}: file {a!r}, manifest {b!r}"]


def _same(a: Any, b: Any) -> bool:
    numbers = (int, float)
    if isinstance(a, numbers) and isinstance(b, numbers) and not isinstance(a, bool):
        return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-12)
    return a == b
