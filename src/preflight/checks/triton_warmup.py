"""Model warmup samples as Triton builds and runs them at load: core
``TritonModelInstance::GenerateWarmupData`` (src/backend_model_instance.cc), the request
checks of ``InferenceRequest::Normalize`` / ``ValidateRequestInputs`` (src/infer_request.cc)
and the backends' batch-size check when the sample runs. A warmup sample that fails fails the
model load."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..facts import value_of
from ..model import Facts, Problem
from ..triton_proto import load_model_config_pb2
from . import check, problem
from ._model_config import Config, config
from .triton_batch_io import enum_name, near


def _protocol(dtype: str) -> str:
    """Triton's DataTypeToProtocolString: TYPE_FP32 -> FP32, TYPE_STRING -> BYTES."""
    name = dtype.removeprefix("TYPE_")
    return "BYTES" if name == "STRING" else name


def _dims(values: list[int]) -> str:
    """Triton's DimsListToString: [-1,2]."""
    return "[" + ",".join(str(v) for v in values) + "]"


def _names(names: list[str]) -> str:
    return "[" + ",".join(f"'{n}'" for n in names) + "]" if names else "[]"


def _sample_problem(cfg: Config, sample: Any, index: int, facts: Facts) -> Problem | None:
    """The first problem Triton meets with one warmup sample (it stops there)."""
    pb2 = load_model_config_pb2()
    msg = cfg.message
    at = near(cfg, f"model_warmup[{index}]")
    base = {"model": cfg.model, "sample": sample.name}
    inputs = dict(sample.inputs)
    for name, spec in inputs.items():
        if any(d == -1 for d in spec.dims):
            return problem("variable-dim", at, input=name, **base)
    files = value_of(facts, "layout.warmup_files")
    files = files if isinstance(files, dict) else {}
    for name, spec in inputs.items():
        which = spec.WhichOneof("input_data_type")
        if which is None:
            return problem("no-data-type", at, input=name, **base)
        if which == "input_data_file" and files.get(spec.input_data_file) in ("missing", "outside"):
            return problem("data-file-missing", at, input=name, file=spec.input_data_file, **base)
    config_inputs = {t.name: t for t in msg.input}
    originals = [n for n in inputs if n in config_inputs]
    required = [t.name for t in msg.input if not t.optional]
    if len(originals) < len(required):
        missing = [n for n in required if n not in inputs]
        kind = "missing-inputs" if len(required) == len(msg.input) else "missing-inputs-optional"
        return problem(
            kind,
            at,
            expected=len(msg.input),
            required=len(required),
            got=len(originals),
            given=_names(originals),
            missing=_names(missing),
            **base,
        )
    for name in originals:
        spec, want = inputs[name], config_inputs[name]
        if spec.data_type != want.data_type:
            return problem(
                "data-type",
                at,
                input=name,
                got=_protocol(enum_name(pb2.DataType, spec.data_type)),
                expected=_protocol(enum_name(pb2.DataType, want.data_type)),
                **base,
            )
        if want.is_shape_tensor:
            continue
        dims, config_dims = list(spec.dims), list(want.dims)
        if len(dims) != len(config_dims) or any(
            c != -1 and c != d for c, d in zip(config_dims, dims, strict=False)
        ):
            batching = msg.max_batch_size > 0
            return problem(
                "shape",
                at,
                input=name,
                expected=_dims(([-1] if batching else []) + config_dims),
                got=_dims(([1] if batching else []) + dims),
                **base,
            )
    limit = max(1, int(msg.max_batch_size))
    if sample.batch_size > limit:
        return problem(
            "batch-size",
            at,
            batch=int(sample.batch_size),
            max_batch_size=int(msg.max_batch_size),
            **base,
        )
    return None


@check(
    "triton.warmup-valid",
    requires=("triton.config", "layout.folder_name"),
    kinds=(
        "variable-dim",
        "no-data-type",
        "data-file-missing",
        "missing-inputs",
        "missing-inputs-optional",
        "data-type",
        "shape",
        "batch-size",
    ),
)
def warmup_valid(facts: Facts, params: Mapping[str, Any]) -> list[Problem]:
    """Every warmup sample with a batch size gives fixed dims and a data source for each
    input, a file under warmup/ that exists, every required input with the model's data type
    and dims, and no more requests than max_batch_size (at least 1) allows. Ensembles have
    no warmup (triton.ensemble-config)."""
    cfg = config(facts)
    msg = cfg.message
    if msg.platform == "ensemble":
        return []
    found: list[Problem] = []
    for i, sample in enumerate(msg.model_warmup):
        if sample.batch_size == 0:
            continue  # Triton skips it
        first = _sample_problem(cfg, sample, i, facts)
        if first is not None:
            found.append(first)
    return found
