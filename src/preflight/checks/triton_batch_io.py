"""Batch inputs and outputs, and model metrics, as Triton's core validates them
(``ValidateBatchIO`` and ``ValidateModelMetrics`` in core/src/model_config_utils.cc)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..model import Facts, Location, Problem
from ..triton_proto import load_model_config_pb2
from . import check, problem
from ._model_config import Config, config

# Batch input kinds that take exactly one source input (all kinds Triton knows).
_ONE_SOURCE_INPUT_KINDS = {
    "BATCH_ELEMENT_COUNT",
    "BATCH_ACCUMULATED_ELEMENT_COUNT",
    "BATCH_ACCUMULATED_ELEMENT_COUNT_WITH_ZERO",
    "BATCH_MAX_ELEMENT_COUNT_AS_SHAPE",
    "BATCH_ITEM_SHAPE",
    "BATCH_ITEM_SHAPE_FLATTEN",
}


def near(cfg: Config, path: str) -> Location:
    """Where ``path`` sits, or its nearest written parent (``a.b[1].c`` -> ``a.b[1]`` -> ...)."""
    while path:
        if cfg.has(path):
            return cfg.at(path)
        cut = max(path.rfind("."), path.rfind("["))
        path = path[:cut] if cut > 0 else ""
    return cfg.at()


def enum_name(enum: Any, value: int) -> str:
    """The enum's name for ``value``; the number itself when the schema has no name for it."""
    try:
        return str(enum.Name(value))
    except ValueError:
        return str(value)


@check(
    "triton.batch-io-valid",
    requires=("triton.config", "layout.folder_name"),
    kinds=(
        "input-sources",
        "input-kind",
        "input-data-type",
        "unknown-source",
        "output-sources",
        "output-kind",
        "unknown-target",
        "duplicate-target",
        "no-target",
    ),
)
def batch_io_valid(facts: Facts, params: Mapping[str, Any]) -> list[Problem]:
    """Every batch_input has a kind Triton knows, exactly one source input that names an input,
    and TYPE_INT32 or TYPE_FP32; every batch_output has one known source input and names known
    outputs once each (ValidateBatchIO). A batch_output also names at least one target: core
    accepts none, but the backends' BatchOutput::ParseFromModelConfig (backend repository,
    src/backend_common.cc) reads target_name[0] and the server dies (SIGSEGV, seen with the
    Python backend of the agreement test's server)."""
    cfg = config(facts)
    msg = cfg.message
    pb2 = load_model_config_pb2()
    inputs = {t.name for t in msg.input}
    outputs = {t.name for t in msg.output}
    found: list[Problem] = []

    def add(kind: str, path: str, **fields: Any) -> None:
        found.append(problem(kind, near(cfg, path), model=cfg.model, **fields))

    for i, b in enumerate(msg.batch_input):
        here = f"batch_input[{i}]"
        kind = enum_name(pb2.BatchInput.Kind, b.kind)
        if kind not in _ONE_SOURCE_INPUT_KINDS:
            add("input-kind", f"{here}.kind", batch_kind=kind)
        elif len(b.source_input) != 1:
            add("input-sources", f"{here}.source_input", batch_kind=kind, count=len(b.source_input))
        dtype = enum_name(pb2.DataType, b.data_type)
        if dtype not in ("TYPE_INT32", "TYPE_FP32"):
            add("input-data-type", f"{here}.data_type", data_type=dtype)
        for source in b.source_input:
            if source not in inputs:
                add("unknown-source", f"{here}.source_input", source=source, io="batch input")
    for i, b in enumerate(msg.batch_output):
        here = f"batch_output[{i}]"
        kind = enum_name(pb2.BatchOutput.Kind, b.kind)
        if kind != "BATCH_SCATTER_WITH_INPUT_SHAPE":
            add("output-kind", f"{here}.kind", batch_kind=kind)
        elif len(b.source_input) != 1:
            add(
                "output-sources", f"{here}.source_input", batch_kind=kind, count=len(b.source_input)
            )
        for source in b.source_input:
            if source not in inputs:
                add("unknown-source", f"{here}.source_input", source=source, io="batch output")
        if not b.target_name:
            add("no-target", here)
        seen: set[str] = set()
        for target in b.target_name:
            if target not in outputs:
                add("unknown-target", f"{here}.target_name", target=target)
            elif target in seen:
                add("duplicate-target", f"{here}.target_name", target=target)
            seen.add(target)
    return found


@check(
    "triton.model-metrics-valid",
    requires=("triton.config", "layout.folder_name"),
    kinds=("no-identifier", "empty-family", "no-histogram-options", "empty-buckets"),
)
def model_metrics_valid(facts: Facts, params: Mapping[str, Any]) -> list[Problem]:
    """Every metric_control names a metric family and gives histogram options with buckets
    (ValidateModelMetrics). Triton stops at the first; each control gets its first problem."""
    cfg = config(facts)
    msg = cfg.message
    if not msg.HasField("model_metrics"):
        return []
    found: list[Problem] = []
    for i, c in enumerate(msg.model_metrics.metric_control):
        here = f"model_metrics.metric_control[{i}]"
        kind = ""
        if not c.HasField("metric_identifier"):
            kind = "no-identifier"
        elif not c.metric_identifier.family:
            kind, here = "empty-family", f"{here}.metric_identifier"
        elif not c.HasField("histogram_options"):
            kind = "no-histogram-options"
        elif len(c.histogram_options.buckets) == 0:
            kind, here = "empty-buckets", f"{here}.histogram_options"
        if kind:
            found.append(
                problem(kind, near(cfg, here), model=cfg.model, family=c.metric_identifier.family)
            )
    return found
