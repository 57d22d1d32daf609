"""Triton's platforms and backends: which backend serves a platform, which file it opens.

Read by the model-folder source (which files to look for) and by the checks (what a model
needs); Triton's own tables, from its model_config_utils and the backends' defaults.
"""

from __future__ import annotations

# platform -> (backend, default model file, what it must be: "file" | "dir" | "any")
PLATFORMS: dict[str, tuple[str, str, str]] = {
    "tensorrt_plan": ("tensorrt", "model.plan", "file"),
    "onnxruntime_onnx": ("onnxruntime", "model.onnx", "any"),
    "pytorch_libtorch": ("pytorch", "model.pt", "any"),
    "libtorch": ("pytorch", "model.pt", "any"),
    "torch_aoti": ("pytorch", "model.pt2", "any"),
    "tensorflow_savedmodel": ("tensorflow", "model.savedmodel", "dir"),
    "tensorflow_graphdef": ("tensorflow", "model.graphdef", "file"),
}

# backend -> (default model file, what it must be) when no platform says otherwise
BACKENDS: dict[str, tuple[str, str]] = {
    "tensorrt": ("model.plan", "file"),
    "onnxruntime": ("model.onnx", "any"),
    "pytorch": ("model.pt", "any"),
    "tensorflow": ("model.savedmodel", "dir"),
    "openvino": ("model.xml", "file"),
    "python": ("model.py", "file"),
}

# Files Triton's autofill recognises in the first version folder when config.pbtxt is absent.
# model.py: a real server loads a Python model without config.pbtxt (backend guessed from the
# file; tests/agreement variant lenient_missing_config).
AUTOFILL_FILES = ("model.plan", "model.onnx", "model.savedmodel", "model.graphdef", "model.py")

# Subfolders of a model folder Triton does not read as versions.
NOT_VERSIONS = ("warmup", "initial_state", "configs")
