"""Write a run's actor as ONNX with its deployment contract; read it back; run it with onnxruntime.

The graph is rsl-rl's export module (observation normaliser, MLP, mean action), traced by the
TorchScript-based exporter (`dynamo=False`: no onnxscript needed, one self-contained file),
with a dynamic batch axis. The contract is JSON under the metadata key `locoaudit.contract`.
"""

from __future__ import annotations

import datetime as dt
import io
import json
from pathlib import Path
from typing import Any

import numpy as np

from locoaudit.errors import LocoauditError
from locoaudit.export.contract import CONTRACT_KEY, deployment_contract

INPUT, OUTPUT = "obs", "actions"


def export_policy(loaded, out: Path) -> dict[str, Any]:
    """Export a LoadedPolicy's actor to `out` (written atomically); returns the contract it carries."""
    import warnings

    import onnx
    import torch

    from locoaudit import __version__
    from locoaudit.fileio import atomic_write_bytes

    module = loaded.actor.as_onnx(verbose=False).to("cpu").eval()
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the TorchScript exporter's deprecation notice
        torch.onnx.export(
            module,
            module.get_dummy_inputs(),
            buffer,
            opset_version=18,
            input_names=[INPUT],
            output_names=[OUTPUT],
            dynamic_axes={INPUT: {0: "batch"}, OUTPUT: {0: "batch"}},
            dynamo=False,
        )
    model = onnx.load_from_string(buffer.getvalue())
    contract = deployment_contract(loaded.manifest) | {
        "run_id": loaded.run_id,
        "checkpoint_iteration": loaded.iteration,
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "exporter": f"locoaudit {__version__}, torch {torch.__version__}, onnx opset 18",
    }
    entry = model.metadata_props.add()
    entry.key, entry.value = CONTRACT_KEY, json.dumps(contract, sort_keys=True)
    out.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(out, model.SerializeToString())
    return contract


def read_contract(path: Path) -> dict[str, Any]:
    """The contract stored in an ONNX file; a clear error when the file is not one of ours."""
    import onnx

    try:
        model = onnx.load(str(path), load_external_data=False)
    except Exception as exc:  # not a file, not protobuf
        raise LocoauditError(f"{path}: not a readable ONNX file ({exc.__class__.__name__})") from None
    props = {p.key: p.value for p in model.metadata_props}
    if CONTRACT_KEY not in props:
        raise LocoauditError(f"{path}: metadata: no {CONTRACT_KEY!r} entry (not exported by locoaudit)")
    try:
        contract = json.loads(props[CONTRACT_KEY])
    except json.JSONDecodeError as exc:
        raise LocoauditError(f"{path}: metadata.{CONTRACT_KEY}: invalid JSON ({exc.msg})") from None
    if not isinstance(contract, dict):
        raise LocoauditError(f"{path}: metadata.{CONTRACT_KEY}: not a JSON object")
    return contract


class OnnxPolicy:
    """An exported policy under onnxruntime (one thread: deterministic): actor obs (N, A) -> (N, J)."""

    def __init__(self, path: Path):
        import onnxruntime as ort

        self.path = Path(path)
        self.contract = read_contract(self.path)
        options = ort.SessionOptions()
        options.intra_op_num_threads = options.inter_op_num_threads = 1
        self._session = ort.InferenceSession(str(self.path), options, providers=["CPUExecutionProvider"])

    def actions(self, actor_obs: np.ndarray) -> np.ndarray:
        """Mean actions for a batch of actor observations."""
        feed = {INPUT: np.ascontiguousarray(actor_obs, dtype=np.float32)}
        return self._session.run([OUTPUT], feed)[0]

    def __call__(self, obs: dict[str, np.ndarray]) -> np.ndarray:
        """The evaluation Policy interface: observation groups in, actions out."""
        return self.actions(obs["actor"])
