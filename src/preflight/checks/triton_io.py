"""Inputs and outputs as Triton validates them: names, data types, dims, reshape, formats."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..facts import value_of
from ..model import Facts, Problem
from ..triton_proto import load_model_config_pb2
from . import check, problem
from ._model_config import config, is_tensorrt, resolved

# Data types a TensorRT plan can carry (config side).
_TRT_TYPES = {
    "TYPE_BOOL",
    "TYPE_UINT8",
    "TYPE_INT8",
    "TYPE_INT32",
    "TYPE_INT64",
    "TYPE_FP16",
    "TYPE_FP32",
    "TYPE_BF16",
}


def _segments(dims: list[int]) -> list[int]:
    """Products of the fixed dims between variable-size ones: what reshape must keep."""
    out, acc = [], 1
    for d in dims:
        if d == -1:
            out.append(acc)
            acc = 1
        else:
            acc *= d
    out.append(acc)
    return out


@check(
    "triton.io-valid",
    requires=("triton.config", "layout.folder_name"),
    kinds=(
        "no-name",
        "no-data-type",
        "no-dims",
        "bad-dims",
        "bad-reshape",
        "empty-reshape",
        "reshape-variable-dims",
        "reshape-size",
        "format-dims",
        "shape-tensor",
        "non-linear-platform",
        "non-linear-dims",
        "tensorrt-data-type",
    ),
)
def io_valid(facts: Facts, params: Mapping[str, Any]) -> list[Problem]:
    """Every input and output has a name, a data type and dims whose entries are >= 1 or -1;
    reshape keeps the dims' size and variable dims; NHWC/NCHW inputs have 3 dims; shape
    tensors and the data types fit the TensorRT backend (ValidateModelInput/Output)."""
    cfg = config(facts)
    msg = cfg.message
    pb2 = load_model_config_pb2()
    found: list[Problem] = []
    trt = is_tensorrt(msg, facts)
    batching = msg.max_batch_size > 0
    # The backend fills a listed tensor's missing data_type and dims from the model file
    # before core validates them (auto-complete; triton.io-completed reports those).
    completes = value_of(facts, "autocomplete.completes_io") == "entries"
    for io, tensors in (("input", msg.input), ("output", msg.output)):
        for i, t in enumerate(tensors):
            here = f"{io}[{i}]"
            try:
                dtype = pb2.DataType.Name(t.data_type)
            except ValueError:  # a number the schema has no name for
                dtype = str(t.data_type)

            def bad(
                kind: str,
                field: str = "",
                _here: str = here,
                _t: Any = t,
                _io: str = io,
                _dtype: str = dtype,
            ) -> None:
                where = f"{_here}.{field}" if field else _here
                if not cfg.has(where):
                    where = _here
                found.append(
                    problem(
                        kind,
                        cfg.at(where),
                        model=cfg.model,
                        io=_io,
                        tensor=_t.name,
                        data_type=_dtype,
                    )
                )

            if not t.name:
                bad("no-name")
                continue
            if dtype == "TYPE_INVALID" and not completes:
                bad("no-data-type")
            if len(t.dims) == 0 and not completes:
                bad("no-dims")
            if any(d == 0 or d < -1 for d in t.dims):
                bad("bad-dims", "dims")
            if t.HasField("reshape"):
                shape = list(t.reshape.shape)
                dims = list(t.dims)
                if any(d == 0 or d < -1 for d in shape):
                    bad("bad-reshape", "reshape")
                elif not shape and not batching:
                    # a backend that completes the config may set max_batch_size first
                    # (tensorrt_backend AutoCompleteConfigHelper when it is 0)
                    if not completes:
                        bad("empty-reshape", "reshape")
                elif dims.count(-1) != shape.count(-1):
                    bad("reshape-variable-dims", "reshape")
                elif _segments(dims) != _segments(shape):
                    bad("reshape-size", "reshape")
            if io == "input" and t.format in (1, 2) and len(t.dims) != 3:
                bad("format-dims", "format")
            if t.is_shape_tensor and resolved(facts, msg)[0] != "tensorrt_plan":
                bad("shape-tensor")
            # ValidateNonLinearFormatIO (core model_config_utils.cc)
            if t.is_non_linear_format_io and resolved(facts, msg)[0] != "tensorrt_plan":
                bad("non-linear-platform")
            elif t.is_non_linear_format_io and len(t.dims) != 3:
                bad("non-linear-dims")
            if trt and dtype not in _TRT_TYPES and dtype != "TYPE_INVALID":
                bad("tensorrt-data-type", "data_type")
    return found


@check(
    "triton.io-unique-names",
    requires=("triton.config", "layout.folder_name"),
    kinds=("duplicate",),
)
def io_unique_names(facts: Facts, params: Mapping[str, Any]) -> list[Problem]:
    """No input name and no output name is declared twice.

    Inputs and outputs are separate namespaces: a Python model may read and write a tensor of
    the same name (the official preprocessing template does so with REQUEST_OUTPUT_LEN).
    """
    cfg = config(facts)
    msg = cfg.message
    found: list[Problem] = []
    seen: set[tuple[str, str]] = set()
    for io, tensors in (("input", msg.input), ("output", msg.output)):
        for i, t in enumerate(tensors):
            if t.name and (io, t.name) in seen:
                found.append(
                    problem(
                        "duplicate", cfg.at(f"{io}[{i}]"), model=cfg.model, io=io, tensor=t.name
                    )
                )
            seen.add((io, t.name))
    return found


@check(
    "triton.io-completed",
    requires=("triton.config", "autocomplete.completes_io"),
    kinds=("data-type", "dims", "list"),
)
def io_completed(facts: Facts, params: Mapping[str, Any]) -> list[Problem]:
    """The inputs and outputs the backend completes from the model file at load
    (``autocomplete.completes_io``): a listed tensor without data_type or dims (TensorRT's
    FixIO, a Python model's auto_complete_config), or an empty input or output list (ONNX
    Runtime, OpenVINO, TensorRT). A note: preflight cannot see what the file holds."""
    cfg = config(facts)
    msg = cfg.message
    completes = facts["autocomplete.completes_io"].value
    if completes == "none" or msg.platform == "ensemble":
        return []
    backend = resolved(facts, msg)[1]
    found: list[Problem] = []
    for io, tensors in (("input", msg.input), ("output", msg.output)):
        fields = {"model": cfg.model, "io": io, "backend": backend}
        if not len(tensors) and not (io == "input" and len(msg.batch_input)):
            found.append(problem("list", cfg.at(), tensor="", **fields))
            continue
        if completes != "entries":
            continue
        for i, t in enumerate(tensors):
            if not t.name:
                continue
            if t.data_type == 0:
                found.append(problem("data-type", cfg.at(f"{io}[{i}]"), tensor=t.name, **fields))
            if len(t.dims) == 0:
                found.append(problem("dims", cfg.at(f"{io}[{i}]"), tensor=t.name, **fields))
    return found
