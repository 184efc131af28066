"""Policy export: ONNX with the deployment contract in its metadata."""
