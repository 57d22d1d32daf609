"""``autocomplete.*``: the platform, backend and model file Triton settles on for one model.

Triton core fills ``backend``, ``platform`` and ``default_model_filename`` before it validates
anything (core ``src/model_config_utils.cc``: ``GetNormalizedModelConfig`` calls
``AutoCompleteBackendFields``, with or without ``--disable-auto-complete-config``): from the
config's own fields, else from the files in the model's first subfolder (byte order, whatever
its name), else from a folder named ``<name>.<backend>``. Every check that depends on the
backend reads these facts, so that a ``model.plan`` whose config names no platform is still a
TensorRT model.

Joins ``triton.config`` (the parsed config; an empty one when config.pbtxt is missing, as
Triton clears it), ``layout.*`` (the first subfolder's files, the folder name) and
``target.auto_complete`` (whether the backend may complete inputs and outputs afterwards).
"""

from __future__ import annotations

from typing import Any

from ..facts import value_of
from ..model import Fact, Facts, Location

NAMESPACES = ("autocomplete",)

# Backend -> what its own auto-complete fills from the model file (the backends'
# ModelState::AutoCompleteConfig): "entries" fills data_type and dims a listed tensor lacks
# (tensorrt_backend FixIO; a Python model's auto_complete_config), "lists" only an input or
# output list that is empty (onnxruntime_backend AutoCompleteConfig/AutoCompleteIO,
# openvino_backend AutoCompleteInputOrOutput). pytorch_backend completes nothing ("not
# supported for pytorch backend").
_COMPLETES = {"tensorrt": "entries", "onnxruntime": "lists", "openvino": "lists"}


def _field(config: dict[str, Any], key: str) -> str:
    value = config.get(key)
    return value if isinstance(value, str) else ""


def resolve(
    config: dict[str, Any], folder: str, first: dict[str, str], has_version: bool
) -> dict[str, Any]:
    """Port of core's ``AutoCompleteBackendFields`` (src/model_config_utils.cc, 2026-06).

    ``config``: the config as a plain dict; ``folder``: the model's name (its folder);
    ``first``: backend files of the first subfolder, name -> ``file``/``dir``/``other``;
    ``has_version``: the model folder has a subfolder at all. Returns platform, backend,
    default_model_filename, how the backend was found and ``name_error`` (Triton's "Invalid
    model name" error: nothing names a backend and the folder name has no dot).
    """
    platform = _field(config, "platform")
    backend = _field(config, "backend")
    filename = _field(config, "default_model_filename")
    how = "config" if backend else ""

    def has(name: str) -> bool:
        return has_version and name in first

    def is_dir(name: str) -> bool:
        return first.get(name) == "dir"

    def done(how_found: str = "") -> dict[str, Any]:
        return {
            "platform": platform,
            "backend": backend,
            "default_model_filename": filename,
            "how": how or how_found,
            "name_error": False,
        }

    # TensorFlow: the platform from the file name or the folder's content.
    if not platform and (not backend or backend == "tensorflow"):
        if filename == "model.savedmodel":
            platform = "tensorflow_savedmodel"
        elif filename == "model.graphdef":
            platform = "tensorflow_graphdef"
        elif not filename and has_version:
            if has("model.savedmodel") and is_dir("model.savedmodel"):
                platform, how = "tensorflow_savedmodel", how or "file model.savedmodel"
            if has("model.graphdef") and not is_dir("model.graphdef"):
                platform, how = "tensorflow_graphdef", how or "file model.graphdef"
    if platform in ("tensorflow_savedmodel", "tensorflow_graphdef"):
        if not backend:
            backend, how = "tensorflow", how or "platform"
        if not filename:
            filename = (
                "model.savedmodel" if platform == "tensorflow_savedmodel" else ("model.graphdef")
            )
        return done()

    # TensorRT
    if not backend:
        if platform == "tensorrt_plan" or filename == "model.plan":
            backend = "tensorrt"
            how = "platform" if platform == "tensorrt_plan" else "default_model_filename"
        elif not platform and not filename and has("model.plan") and not is_dir("model.plan"):
            backend, how = "tensorrt", "file model.plan"
    if backend == "tensorrt":
        platform = platform or "tensorrt_plan"
        filename = filename or "model.plan"
        return done()

    # ONNX Runtime (a model.onnx may be a folder: large models)
    if not backend:
        if platform == "onnxruntime_onnx" or filename == "model.onnx":
            backend = "onnxruntime"
            how = "platform" if platform == "onnxruntime_onnx" else "default_model_filename"
        elif not platform and not filename and has("model.onnx"):
            backend, how = "onnxruntime", "file model.onnx"
    if backend == "onnxruntime":
        platform = platform or "onnxruntime_onnx"
        filename = filename or "model.onnx"
        return done()

    # OpenVINO
    if not backend:
        if filename == "model.xml":
            backend, how = "openvino", "default_model_filename"
        elif not platform and not filename and has("model.xml"):
            backend, how = "openvino", "file model.xml"
    if backend == "openvino":
        filename = filename or "model.xml"
        return done()

    # PyTorch (LibTorch, and AOTInductor packages model.pt2)
    if not backend:
        # platform pytorch_libtorch / libtorch / torch_aoti, or model.pt / model.pt2 named
        if platform in ("pytorch_libtorch", "libtorch", "torch_aoti") or filename in (
            "model.pt",
            "model.pt2",
        ):
            backend, how = "pytorch", "platform" if platform else "default_model_filename"
        elif has_version and not filename and not platform:
            if has("model.pt"):
                if not is_dir("model.pt"):
                    backend, platform, how = "pytorch", "pytorch_libtorch", "file model.pt"
            elif has("model.pt2") and not is_dir("model.pt2"):
                backend, platform, how = "pytorch", "torch_aoti", "file model.pt2"
    if backend == "pytorch":
        if not platform:
            platform = "pytorch_libtorch"
            filename = filename or "model.pt"
        elif platform == "torch_aoti" and not filename:
            filename = "model.pt2"
        return done()

    # Python
    if not backend:
        if filename == "model.py":
            backend, how = "python", "default_model_filename"
        elif not platform and not filename and has("model.py"):
            backend, how = "python", "file model.py"
    if backend == "python":
        filename = filename or "model.py"
        return done()

    # A custom backend named by the folder: <name>.<backend>, model file model.<backend>.
    if not backend and not platform and not filename:
        if "." not in folder:
            out = done()
            out["name_error"] = True
            return out
        backend = folder.split(".", 1)[1]
        filename = "model." + backend
        return done("folder name")
    return done()


def _location(facts: Facts) -> Location | None:
    for key in ("triton.backend", "triton.platform", "triton.config", "layout.config_file"):
        found = facts.get(key)
        if found is not None and found.location is not None:
            return found.location
    return None


def _completes_io(facts: Facts, backend: str, config: dict[str, Any]) -> str:
    """What the backend's own auto-complete fills in: ``entries``, ``lists`` or ``none``."""
    if value_of(facts, "target.auto_complete") is False:
        return "none"
    if backend == "python":
        return "entries" if value_of(facts, "layout.defines_auto_complete") is True else "none"
    if backend == "tensorrt":
        # tensorrt_backend ModelState::Create: only when the first instance group is KIND_GPU
        # (an unset or KIND_AUTO kind becomes KIND_GPU on a server with GPUs).
        groups = config.get("instance_group")
        first = groups[0] if isinstance(groups, list) and groups else None
        if isinstance(first, dict) and first.get("kind") in ("KIND_CPU", "KIND_MODEL"):
            return "none"
    return _COMPLETES.get(backend, "none")


def derive(facts: Facts) -> Facts:
    """``autocomplete.*`` of one model (its ``triton.*``, ``layout.*`` and ``target.*``):

    * ``autocomplete.platform``, ``autocomplete.backend``,
      ``autocomplete.default_model_filename``: the values after core's auto-complete ("" when
      none);
    * ``autocomplete.how``: ``config``, ``platform``, ``default_model_filename``, ``file
      <name>`` (found in the first subfolder), ``folder name`` or "" (none found);
    * ``autocomplete.name_error``: core refuses the model for want of a backend ("Invalid model
      name: Could not determine backend ...");
    * ``autocomplete.completes_io``: what the backend's own auto-complete fills in later
      (``entries``, ``lists``, ``none``; ``none`` when the target disables auto-complete).

    Nothing when config.pbtxt is there but does not parse.
    """
    config = value_of(facts, "triton.config")
    if not isinstance(config, dict):
        if value_of(facts, "layout.config_file") != "missing":
            return {}
        config = {}  # no config.pbtxt: Triton starts from an empty config
    folder = value_of(facts, "layout.folder_name")
    first = value_of(facts, "layout.first_subdir_files")
    found = resolve(
        config,
        folder if isinstance(folder, str) else "",
        first if isinstance(first, dict) else {},
        value_of(facts, "layout.first_subdir") is not None,
    )
    here = _location(facts)
    out: Facts = {f"autocomplete.{key}": Fact(value, here) for key, value in found.items()}
    out["autocomplete.completes_io"] = Fact(
        _completes_io(facts, str(found["backend"]), config), here
    )
    return out
