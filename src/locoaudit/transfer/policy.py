"""The deployment path of an exported policy: observations assembled as its contract says, ONNX, actions.

This is what a robot-side program does with the file: it takes each observation term the
contract lists, in the contract's order, size and scale, with joint terms in the contract's
joint order, runs the graph, and maps the actions back onto the joints by name.
"""

from __future__ import annotations

import numpy as np

from locoaudit.errors import LocoauditError
from locoaudit.export.onnx_policy import OnnxPolicy

JOINT_TERMS = ("joint_pos", "joint_vel", "last_action")


class ContractPolicy:
    """An OnnxPolicy driven through its contract, for an env with the given actor layout and joints."""

    def __init__(self, onnx: OnnxPolicy, layout: dict[str, slice], joint_names: list[str]):
        c = onnx.contract
        self.onnx = onnx
        missing = [j for j in c["joint_names"] if j not in joint_names]
        if missing or len(c["joint_names"]) != len(joint_names):
            raise LocoauditError(f"{onnx.path}: joint_names do not match the robot's joints {missing}")
        self._to_contract = np.array([joint_names.index(j) for j in c["joint_names"]])
        self._to_env = np.argsort(self._to_contract)
        self._terms = []
        for term in c["observation"]["terms"]:
            if term["name"] not in layout:
                raise LocoauditError(f"{onnx.path}: observation term {term['name']!r} is not observed")
            self._terms.append((term["name"], layout[term["name"]], int(term["size"]), float(term["scale"])))

    def observation(self, actor: np.ndarray) -> np.ndarray:
        """The graph's input built from the env's actor observation, term by term."""
        parts = []
        for name, cols, size, scale in self._terms:
            block = actor[:, cols]
            if block.shape[1] != size:
                raise LocoauditError(
                    f"{self.onnx.path}: term {name!r} has size {block.shape[1]}, contract {size}"
                )
            if name in JOINT_TERMS:
                block = block[:, self._to_contract]
            parts.append(block * scale)
        return np.concatenate(parts, axis=1)

    def __call__(self, obs: dict[str, np.ndarray]) -> np.ndarray:
        actions = self.onnx.actions(self.observation(obs["actor"]))
        return actions[:, self._to_env]
