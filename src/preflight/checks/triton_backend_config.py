"""What the backend side of a load refuses from config.pbtxt alone: a ``runtime`` that leaves
its search folder (core ``TritonModel::GetBackendLibraryProperties``), a PyTorch model without
inputs or outputs (pytorch_backend ``ValidateInputs``/``ValidateOutputs``) and TensorRT
backend parameters it cannot parse (tensorrt_backend ``ModelState::ParseParameters``)."""

from __future__ import annotations

import posixpath
from collections.abc import Mapping
from typing import Any

from ..facts import value_of
from ..model import Facts, Problem
from . import check, problem
from ._model_config import config, is_tensorrt, resolved

# Triton's name of a Python-based backend's runtime (core constants.h kPythonFilename).
_PYTHON_RUNTIME = "model.py"
_ALLOCATION_STRATEGIES = ("STATIC", "ON_PROFILE_CHANGE")


def _escapes(runtime: str, base: str) -> bool:
    """Whether ``base`` joined with ``runtime`` (Triton's JoinPath: an absolute runtime is
    appended, not substituted) lands outside ``base`` once '..' is resolved."""
    joined = posixpath.normpath(base + "/" + runtime.lstrip("/"))
    return not joined.startswith(base + "/")


@check(
    "triton.runtime-path",
    requires=("triton.config", "layout.folder_name"),
    kinds=("escapes",),
)
def runtime_path(facts: Facts, params: Mapping[str, Any]) -> list[Problem]:
    """``runtime`` stays inside every folder Triton searches for it (the version folder, the
    model folder, the backend's folder): climbing out with '..' is refused as escaping the
    backend directory, or the library is not found."""
    cfg = config(facts)
    msg = cfg.message
    runtime = str(msg.runtime)
    if not runtime or runtime == _PYTHON_RUNTIME or ".." not in runtime.split("/"):
        return []
    folders = value_of(facts, "layout.version_folders") or []
    versions = {str(f["number"]) for f in folders if isinstance(f.get("number"), int)} or {"1"}
    bases = [f"/repo/{cfg.model}/{v}" for v in sorted(versions)]
    backend = resolved(facts, msg)[1] or "?"
    bases += [f"/repo/{cfg.model}", f"/backends/{backend}"]
    if not all(_escapes(runtime, base) for base in bases):
        return []
    return [problem("escapes", cfg.at("runtime"), model=cfg.model, runtime=runtime)]


def _is_pytorch(facts: Facts, msg: Any) -> bool:
    """Whether the PyTorch backend serves the model (after auto-complete, when known)."""
    platform, backend, _ = resolved(facts, msg)
    if backend:
        return backend == "pytorch"
    return platform == "pytorch_libtorch"


@check(
    "triton.backend-minimum-io",
    requires=("triton.config", "layout.folder_name"),
    kinds=("no-input", "no-output"),
)
def backend_minimum_io(facts: Facts, params: Mapping[str, Any]) -> list[Problem]:
    """A PyTorch model declares at least one output, and (TorchScript) at least one input: the
    PyTorch backend has no auto-complete to add them."""
    cfg = config(facts)
    msg = cfg.message
    if not _is_pytorch(facts, msg):
        return []
    found: list[Problem] = []
    # The Inductor (model.pt2) path only requires outputs (pytorch_backend src/pt2).
    inductor = resolved(facts, msg)[2].endswith(".pt2")
    where = cfg.at("backend" if cfg.has("backend") else "platform")
    if not msg.input and not inductor:
        found.append(problem("no-input", where, model=cfg.model))
    if not msg.output:
        found.append(problem("no-output", where, model=cfg.model))
    return found


@check(
    "triton.tensorrt-parameters",
    requires=("triton.config", "layout.folder_name"),
    kinds=("allocation-strategy",),
)
def tensorrt_parameters(facts: Facts, params: Mapping[str, Any]) -> list[Problem]:
    """The TensorRT backend's ``execution_context_allocation_strategy`` parameter, when given,
    is STATIC or ON_PROFILE_CHANGE (case matters)."""
    cfg = config(facts)
    msg = cfg.message
    key = "execution_context_allocation_strategy"
    if not is_tensorrt(msg, facts) or key not in msg.parameters:
        return []
    value = str(msg.parameters[key].string_value)
    if value in _ALLOCATION_STRATEGIES:
        return []
    where = f"parameters[{key}]"
    at = cfg.at(where if cfg.has(where) else "parameters")
    return [problem("allocation-strategy", at, model=cfg.model, value=value)]


_BATCH_STRATEGY = "TRITON_BATCH_STRATEGY_PATH"


@check(
    "triton.batch-strategy-path",
    requires=("triton.config", "layout.folder_name"),
    kinds=("sequence", "relative"),
)
def batch_strategy_path(facts: Facts, params: Mapping[str, Any]) -> list[Problem]:
    """The ``TRITON_BATCH_STRATEGY_PATH`` parameter is not given with sequence batching, and is
    an absolute path: Triton opens the string as it is, so a relative one is looked up from
    the server's working directory, not the model folder (core ``TritonModel::Create``)."""
    cfg = config(facts)
    msg = cfg.message
    if _BATCH_STRATEGY not in msg.parameters:
        return []
    where = f"parameters[{_BATCH_STRATEGY}]"
    at = cfg.at(where if cfg.has(where) else "parameters")
    if msg.HasField("sequence_batching"):
        return [problem("sequence", at, model=cfg.model)]
    path = str(msg.parameters[_BATCH_STRATEGY].string_value)
    if not path.startswith("/"):
        return [problem("relative", at, model=cfg.model, path=path)]
    return []


def _graph_spec_problem(spec: Any, mbs: int) -> tuple[str, dict[str, Any]] | None:
    """The first problem ModelInstanceState::ValidateGraphSpec finds in one graph spec."""
    shapes = {name: list(shape.dim) for name, shape in spec.input.items()}
    if spec.HasField("graph_lower_bound"):
        low = spec.graph_lower_bound
        low_batch = int(low.batch_size)
        low_shapes = {name: list(shape.dim) for name, shape in low.input.items()}
    else:
        low_batch, low_shapes = int(spec.batch_size), shapes
    batch = int(spec.batch_size)
    if mbs == 0:
        if batch != 0 or low_batch != 0:
            return "graph-batch-zero", {}
    elif not (1 <= batch <= mbs and 1 <= low_batch <= mbs):
        return "graph-batch-range", {"max_batch_size": mbs}
    if low_batch > batch:
        return "graph-lower-batch", {}
    for name in sorted(shapes):
        dims = shapes[name]
        if name not in low_shapes:
            return "graph-lower-shape", {"tensor": name}
        low_dims = low_shapes[name]
        if len(low_dims) != len(dims):
            return "graph-lower-rank", {"tensor": name, "rank": len(dims), "got": len(low_dims)}
        for d, lo in zip(dims, low_dims, strict=True):
            if d < 0 or lo < 0:
                return "graph-negative-dim", {"tensor": name}
            if lo > d:
                return "graph-lower-dim", {"tensor": name, "dim": int(d)}
    return None


@check(
    "triton.tensorrt-graph-specs",
    requires=("triton.config", "layout.folder_name"),
    kinds=(
        "graph-batch-zero",
        "graph-batch-range",
        "graph-lower-batch",
        "graph-lower-shape",
        "graph-lower-rank",
        "graph-negative-dim",
        "graph-lower-dim",
    ),
)
def tensorrt_graph_specs(facts: Facts, params: Mapping[str, Any]) -> list[Problem]:
    """With CUDA graphs on (``optimization.cuda.graphs``), every ``graph_spec`` of a TensorRT
    model has a batch size the model allows and a lower bound within the spec
    (tensorrt_backend ``ModelInstanceState::ValidateGraphSpec``). Triton stops at the first
    problem; each spec gets its first one here."""
    cfg = config(facts)
    msg = cfg.message
    cuda = msg.optimization.cuda
    if not is_tensorrt(msg, facts) or not cuda.graphs:
        return []
    found: list[Problem] = []
    for i, spec in enumerate(cuda.graph_spec):
        result = _graph_spec_problem(spec, int(msg.max_batch_size))
        if result is None:
            continue
        kind, fields = result
        path = f"optimization.cuda.graph_spec[{i}]"
        at = cfg.at(path if cfg.has(path) else "optimization")
        found.append(problem(kind, at, model=cfg.model, spec=i, **fields))
    return found


_FORCE_CPU = "FORCE_CPU_ONLY_INPUT_TENSORS"


@check(
    "triton.python-parameters",
    requires=("triton.config", "layout.folder_name"),
    kinds=("force-cpu-only", "execution-env-missing", "execution-env-outside"),
)
def python_parameters(facts: Facts, params: Mapping[str, Any]) -> list[Problem]:
    """The Python backend's own parameters: FORCE_CPU_ONLY_INPUT_TENSORS is "yes" or "no"
    (python_backend ``ModelState`` constructor, src/python_be.cc), and an EXECUTION_ENV_PATH
    under ``$$TRITON_MODEL_DIRECTORY`` names something in the model folder
    (``EnvironmentManager::ExtractIfNotExtracted``, src/pb_env.cc: realpath fails)."""
    cfg = config(facts)
    msg = cfg.message
    backend = resolved(facts, msg)[1]
    if backend != "python" and msg.runtime != _PYTHON_RUNTIME:
        return []
    found: list[Problem] = []

    def at(key: str) -> Any:
        where = f"parameters[{key}]"
        return cfg.at(where if cfg.has(where) else "parameters")

    if _FORCE_CPU in msg.parameters:
        value = str(msg.parameters[_FORCE_CPU].string_value)
        if value not in ("yes", "no"):
            found.append(problem("force-cpu-only", at(_FORCE_CPU), model=cfg.model, value=value))
    env = value_of(facts, "layout.execution_env")
    if isinstance(env, dict) and env.get("kind") in ("missing", "outside"):
        kind = "execution-env-missing" if env["kind"] == "missing" else "execution-env-outside"
        found.append(
            problem(
                kind,
                at("EXECUTION_ENV_PATH"),
                model=cfg.model,
                value=env.get("value"),
                name=env.get("name"),
            )
        )
    return found
