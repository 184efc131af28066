"""The transfer leg: the exported ONNX policy in a second physics engine, after a contract read-back."""
