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

# The files Triton core's AutoCompleteBackendFields looks for in a model's first subfolder
# (src/constants.h: kTensorFlowSavedModelFilename ... kPythonFilename).
CORE_AUTOFILL_FILES = (
    "model.savedmodel",
    "model.graphdef",
    "model.plan",
    "model.onnx",
    "model.xml",
    "model.pt",
    "model.pt2",
    "model.py",
)

# Every backend name a Triton container release has shipped in /opt/tritonserver/backends (the
# backends build.py builds for NGC images, the flavoured images' own backends, Triton's test
# backends). A `backend:` outside this set is a typo or a custom backend, which the model folder
# must then hold (libtriton_<name>.so) or the image must add.
KNOWN_BACKENDS = frozenset(
    {
        "tensorrt", "onnxruntime", "pytorch", "tensorflow", "openvino", "python", "fil",
        "dali", "tensorrtllm", "vllm", "identity", "repeat", "square",
    }
)  # fmt: skip

# Backends a container flavour does not ship: flavour -> {backend: evidence}. Only what a
# source says is listed; a backend not listed is not judged.
FLAVOR_LACKS: dict[str, dict[str, str]] = {
    "trtllm": {
        # "trt_llm container is a container exclusively with TensorRT-LLM ... please use our
        # base container" (NVIDIA, server#6708, 23.11-trtllm); server#8342 (25.06-trtllm)
        **{
            name: "https://github.com/triton-inference-server/server/issues/6708"
            for name in ("onnxruntime", "pytorch", "tensorflow", "openvino", "fil", "dali")
        },
        "vllm": "the vLLM backend ships in the -vllm-python-py3 image (compatibility.md)",
    },
    "plain": {
        "tensorrtllm": "the tensorrtllm backend ships in the -trtllm-python-py3 image only "
        "(compatibility.md lists it per image; server#6708)",
        "vllm": "the vLLM backend ships in the -vllm-python-py3 image (compatibility.md)",
    },
    "vllm": {"tensorrtllm": "the tensorrtllm backend ships in the -trtllm-python-py3 image"},
    "pyt": {
        "onnxruntime": "https://github.com/triton-inference-server/server/issues/7445",
        "tensorrtllm": "the tensorrtllm backend ships in the -trtllm-python-py3 image",
    },
}

# A release whose image left a backend out: (flavour, YY.MM) -> {backend: evidence}.
RELEASE_LACKS: dict[tuple[str, str], dict[str, str]] = {
    # "ONNX Runtime backend is not included with 24.02 release" (NVIDIA, server#6991)
    ("plain", "24.02"): {
        "onnxruntime": "https://github.com/triton-inference-server/server/issues/6991"
    },
}

# The first container with the tensorrtllm backend: 23.10-trtllm-python-py3 (server RELEASE.md
# on r23.10: tensorrtllm_backend release/0.5.0, "a new container"; release_tables.md T2).
FIRST_TRTLLM = "23.10"
