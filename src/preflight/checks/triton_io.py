"""Inputs and outputs as Triton validates them: names, data types, dims, reshape, formats."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..model import Facts, Problem
from ..triton_proto import load_model_config_pb2
from . import check, problem
from ._model_config import config, is_tensorrt

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
    trt = is_tensorrt(msg)
    batching = msg.max_batch_size > 0
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
            if dtype == "TYPE_INVALID":
                bad("no-data-type")
            if len(t.dims) == 0:
                bad("no-dims")
            if any(d == 0 or d < -1 for d in t.dims):
                bad("bad-dims", "dims")
            if t.HasField("reshape"):
                shape = list(t.reshape.shape)
                dims = list(t.dims)
                if any(d == 0 or d < -1 for d in shape):
                    bad("bad-reshape", "reshape")
                elif not shape and not batching:
                    bad("empty-reshape", "reshape")
                elif dims.count(-1) != shape.count(-1):
                    bad("reshape-variable-dims", "reshape")
                elif _segments(dims) != _segments(shape):
                    bad("reshape-size", "reshape")
            if io == "input" and t.format in (1, 2) and len(t.dims) != 3:
                bad("format-dims", "format")
            if t.is_shape_tensor and not trt:
                bad("shape-tensor")
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
