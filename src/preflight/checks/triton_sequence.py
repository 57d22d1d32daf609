"""Sequence batching as Triton validates it: the control inputs and strategy fields
(``ValidateModelConfig``, ``GetBooleanSequenceControlProperties``,
``GetTypedSequenceControlProperties`` in core/src/model_config_utils.cc) and the implicit
state (``SequenceBatchScheduler::Create`` and ``GenerateInitialStateData`` in
core/src/sequence_batch_scheduler/sequence_batch_scheduler.cc)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..model import Facts, Problem
from ..triton_proto import load_model_config_pb2
from . import check, problem
from ._model_config import config
from .triton_batch_io import enum_name, near

_BOOLEAN_KINDS = ("CONTROL_SEQUENCE_START", "CONTROL_SEQUENCE_END", "CONTROL_SEQUENCE_READY")
_CORRID = "CONTROL_SEQUENCE_CORRID"
_CORRID_TYPES = {"TYPE_UINT64", "TYPE_INT64", "TYPE_UINT32", "TYPE_INT32", "TYPE_STRING"}
_VALUE_FIELDS = ("int32_false_true", "fp32_false_true", "bool_false_true")


@check(
    "triton.sequence-controls",
    requires=("triton.config", "layout.folder_name"),
    kinds=(
        "no-name",
        "tensor-twice",
        "kind-twice",
        "no-values",
        "several-values",
        "value-count",
        "corrid-values",
        "corrid-type",
        "oldest-not-positive",
        "oldest-too-large",
        "slot-utilization",
        "response-cache",
    ),
)
def sequence_controls(facts: Facts, params: Mapping[str, Any]) -> list[Problem]:
    """Control tensors are named, each once; at most one tensor per control kind;
    START/END/READY give exactly one of int32/fp32/bool_false_true with two entries; CORRID
    gives none and has an allowed data type; oldest preferred sizes are in [1, max_batch_size];
    direct minimum_slot_utilization is in [0, 1]; no response cache."""
    cfg = config(facts)
    msg = cfg.message
    if not msg.HasField("sequence_batching"):
        return []
    pb2 = load_model_config_pb2()
    seq = msg.sequence_batching
    found: list[Problem] = []

    def add(kind: str, path: str, **fields: Any) -> None:
        found.append(problem(kind, near(cfg, path), model=cfg.model, **fields))

    if msg.response_cache.enable:
        add("response-cache", "response_cache.enable")
    names: set[str] = set()
    tensors_of_kind: dict[str, str] = {}
    for i, ci in enumerate(seq.control_input):
        here = f"sequence_batching.control_input[{i}]"
        if not ci.name:
            add("no-name", here)
            continue
        if ci.name in names:
            add("tensor-twice", f"{here}.name", tensor=ci.name)
        names.add(ci.name)
        for j, c in enumerate(ci.control):
            at = f"{here}.control[{j}]"
            kind = enum_name(pb2.ModelSequenceBatching.Control.Kind, c.kind)
            fields = {"tensor": ci.name, "control_kind": kind}
            if kind not in _BOOLEAN_KINDS and kind != _CORRID:
                continue  # a kind number Triton has no name for: it never looks at it
            if kind in tensors_of_kind:
                add("kind-twice", at, **fields)
                continue
            tensors_of_kind[kind] = ci.name
            given = [f for f in _VALUE_FIELDS if len(getattr(c, f)) > 0]
            if kind in _BOOLEAN_KINDS:
                if not given:
                    add("no-values", at, **fields)
                elif len(given) > 1:
                    add("several-values", at, **fields)
                elif len(getattr(c, given[0])) != 2:
                    add("value-count", f"{at}.{given[0]}", field=given[0], **fields)
            else:  # CONTROL_SEQUENCE_CORRID
                if given:
                    add("corrid-values", at, **fields)
                else:
                    dtype = enum_name(pb2.DataType, c.data_type)
                    if dtype not in _CORRID_TYPES:
                        add("corrid-type", f"{at}.data_type", data_type=dtype, **fields)
    if seq.HasField("oldest"):
        where = "sequence_batching.oldest.preferred_batch_size"
        for size in seq.oldest.preferred_batch_size:
            if size <= 0:
                add("oldest-not-positive", where, size=int(size))
            elif size > msg.max_batch_size:
                add("oldest-too-large", where, size=int(size), max_batch_size=msg.max_batch_size)
    if seq.HasField("direct"):
        value = seq.direct.minimum_slot_utilization
        if value < 0.0 or value > 1.0:
            add(
                "slot-utilization", "sequence_batching.direct.minimum_slot_utilization", value=value
            )
    return found


@check(
    "triton.sequence-state",
    requires=("triton.config", "layout.folder_name"),
    kinds=(
        "initial-count",
        "initial-data-type",
        "initial-no-name",
        "input-twice",
        "initial-rank",
        "initial-variable-dim",
        "initial-dim",
        "initial-no-data",
    ),
)
def sequence_state(facts: Facts, params: Mapping[str, Any]) -> list[Problem]:
    """Each implicit state has at most one initial_state, which has the state's data type and
    rank, a name, fixed dims equal to the state's, and zero_data or data_file; a state input
    with an initial state is named once (SequenceBatchScheduler::Create,
    GenerateInitialStateData). Each state stops at its first problem, as Triton does."""
    cfg = config(facts)
    msg = cfg.message
    if not msg.HasField("sequence_batching"):
        return []
    found: list[Problem] = []
    with_initial: set[str] = set()
    for i, state in enumerate(msg.sequence_batching.state):
        here = f"sequence_batching.state[{i}]"
        fields: dict[str, Any] = {"model": cfg.model, "state": state.input_name}
        count = len(state.initial_state)
        if count > 1:
            found.append(
                problem(
                    "initial-count", near(cfg, f"{here}.initial_state[1]"), count=count, **fields
                )
            )
            continue
        if count == 0:
            continue
        init = state.initial_state[0]
        at = f"{here}.initial_state[0]"
        kind, path, extra = _initial_problem(state, init, with_initial, at)
        with_initial.add(state.input_name)
        if kind:
            found.append(problem(kind, near(cfg, path), **extra, **fields))
    return found


def _initial_problem(
    state: Any, init: Any, with_initial: set[str], at: str
) -> tuple[str, str, dict[str, Any]]:
    """The first problem GenerateInitialStateData finds: (kind, field path, fields) or ''."""
    if init.data_type != state.data_type:
        return "initial-data-type", f"{at}.data_type", {}
    if not init.name:
        return "initial-no-name", at, {}
    if state.input_name in with_initial:
        return "input-twice", at, {}
    dims, state_dims = list(init.dims), list(state.dims)
    if len(dims) != len(state_dims):
        return "initial-rank", f"{at}.dims", {"rank": len(dims), "state_rank": len(state_dims)}
    for d, s in zip(dims, state_dims, strict=True):
        if d == -1:
            return "initial-variable-dim", f"{at}.dims", {}
        if s != -1 and d != s:
            return "initial-dim", f"{at}.dims", {"dim": d, "state_dim": s}
    if init.WhichOneof("state_data") is None:
        return "initial-no-data", at, {}
    return "", at, {}


@check(
    "triton.sequence-state-memory",
    requires=("triton.config", "layout.folder_name"),
    kinds=("growable-single-buffer", "growable-kind"),
)
def sequence_state_memory(facts: Facts, params: Mapping[str, Any]) -> list[Problem]:
    """A state with ``use_growable_memory`` also sets ``use_same_buffer_for_input_output`` and
    the model's instances are KIND_GPU (``SequenceStates::Initialize``, core
    src/sequence_state.cc, run when a sequence starts: the model loads, its sequences do not
    get their state). Instance groups left to KIND_AUTO are not judged (they become GPU
    instances on a GPU server)."""
    cfg = config(facts)
    msg = cfg.message
    if not msg.HasField("sequence_batching"):
        return []
    pb2 = load_model_config_pb2()
    kinds = {enum_name(pb2.ModelInstanceGroup.Kind, g.kind) for g in msg.instance_group}
    other = sorted(kinds & {"KIND_CPU", "KIND_MODEL"})
    found: list[Problem] = []
    for i, state in enumerate(msg.sequence_batching.state):
        if not state.use_growable_memory:
            continue
        at = near(cfg, f"sequence_batching.state[{i}].use_growable_memory")
        fields = {"model": cfg.model, "state": state.input_name}
        if not state.use_same_buffer_for_input_output:
            found.append(problem("growable-single-buffer", at, **fields))
        elif other:
            found.append(problem("growable-kind", at, group_kind=other[0], **fields))
    return found
