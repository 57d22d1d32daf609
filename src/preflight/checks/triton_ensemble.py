"""Ensembles: their own config, the data flow between steps, the models they call."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from ..model import Facts, Problem
from ..triton_proto import load_model_config_pb2
from . import check, problem
from ._model_config import Config, config, message_of


@check(
    "triton.ensemble-config",
    requires=("triton.config", "layout.folder_name"),
    kinds=(
        "scheduling-missing",
        "scheduling-not-ensemble",
        "instance-group",
        "optimization",
        "model-warmup",
        "no-steps",
        "step-incomplete",
    ),
)
def ensemble_config(facts: Facts, params: Mapping[str, Any]) -> list[Problem]:
    """ensemble_scheduling is set exactly for platform ``ensemble``; an ensemble has no
    instance groups, optimization or warmup, and steps with a model_name, input_map and
    output_map each."""
    cfg = config(facts)
    msg = cfg.message
    found: list[Problem] = []
    is_ensemble = msg.platform == "ensemble"
    has = msg.HasField("ensemble_scheduling")
    model = {"model": cfg.model}
    if is_ensemble and not has:
        found.append(problem("scheduling-missing", cfg.at("platform"), **model))
    if has and not is_ensemble:
        found.append(problem("scheduling-not-ensemble", cfg.at("ensemble_scheduling"), **model))
    if not is_ensemble:
        return found
    if len(msg.instance_group):
        found.append(problem("instance-group", cfg.at("instance_group"), **model))
    if msg.HasField("optimization"):
        found.append(problem("optimization", cfg.at("optimization"), **model))
    if len(msg.model_warmup):
        found.append(problem("model-warmup", cfg.at("model_warmup"), **model))
    if has and not msg.ensemble_scheduling.step:
        found.append(problem("no-steps", cfg.at("ensemble_scheduling"), **model))
    for i, step in enumerate(msg.ensemble_scheduling.step):
        where = cfg.at(f"ensemble_scheduling.step[{i}]")
        for part, present in (
            ("model_name", bool(step.model_name)),
            ("input_map", bool(step.input_map)),
            ("output_map", bool(step.output_map)),
        ):
            if not present:
                found.append(problem("step-incomplete", where, part=part, step=i, **model))
    return found


@check(
    "triton.ensemble-dataflow",
    requires=("triton.config", "layout.folder_name"),
    kinds=("written-twice", "unproduced", "input-unused", "output-unwritten", "unused"),
)
def ensemble_dataflow(facts: Facts, params: Mapping[str, Any]) -> list[Problem]:
    """In an ensemble every tensor is written once, every tensor a step reads is an ensemble
    input or written by a step, every ensemble input is read, every ensemble output written,
    and every written tensor read or output. Not an ensemble: nothing to check."""
    cfg = config(facts)
    msg = cfg.message
    if msg.platform != "ensemble":
        return []
    found: list[Problem] = []
    inputs = [t.name for t in msg.input]
    outputs = [t.name for t in msg.output]
    steps = list(msg.ensemble_scheduling.step)
    written: dict[str, int] = {}
    read: set[str] = set()

    def add(kind: str, field: str, tensor: str, **extra: Any) -> None:
        found.append(problem(kind, cfg.at(field), model=cfg.model, tensor=tensor, **extra))

    for i, step in enumerate(steps):
        for tensor in sorted(step.output_map.values()):
            if tensor in written or tensor in inputs:
                add("written-twice", f"ensemble_scheduling.step[{i}]", tensor, step=i)
            written.setdefault(tensor, i)
        read.update(step.input_map.values())
    for i, step in enumerate(steps):
        for tensor in sorted(set(step.input_map.values())):
            if tensor not in inputs and tensor not in written:
                add(
                    "unproduced",
                    f"ensemble_scheduling.step[{i}]",
                    tensor,
                    step=i,
                    step_model=step.model_name,
                )
    for i, tensor in enumerate(inputs):
        if tensor not in read:
            add("input-unused", f"input[{i}]", tensor)
    for i, tensor in enumerate(outputs):
        if tensor not in written:
            add("output-unwritten", f"output[{i}]", tensor)
    for tensor, i in sorted(written.items()):
        if tensor not in read and tensor not in outputs:
            add("unused", f"ensemble_scheduling.step[{i}]", tensor, step=i)
    return found


# -- across models (ensemble.* from derive/ensemble.py) ------------------------------------


def _steps(facts: Facts, cfg: Config) -> Iterator[tuple[int, Any, dict[str, Any] | None]]:
    """Each step with what the repository has for its model (None: no such model folder)."""
    models = facts["ensemble.models"].value
    for i, step in enumerate(cfg.message.ensemble_scheduling.step):
        yield i, step, models.get(step.model_name)


def _message(other: dict[str, Any] | None) -> Any | None:
    """The step model's config message; None when it has none that parses."""
    if other is None or not isinstance(other.get("config"), dict):
        return None
    return message_of(other["config"])


def _by_name(tensors: Any) -> dict[str, Any]:
    return {t.name: t for t in tensors}


def _dtype(number: int) -> str:
    try:
        return str(load_model_config_pb2().DataType.Name(number))
    except ValueError:  # a number the schema has no name for
        return str(number)


@check(
    "triton.ensemble-models",
    requires=("triton.config", "ensemble.models"),
    kinds=("unavailable", "version-missing"),
)
def ensemble_models(facts: Facts, params: Mapping[str, Any]) -> list[Problem]:
    """Every step names a model folder of the repository, and the version folder of the
    model_version it asks for (-1: the model's own policy)."""
    cfg = config(facts)
    found: list[Problem] = []
    for i, step, other in _steps(facts, cfg):
        where = cfg.at(f"ensemble_scheduling.step[{i}]")
        fields = {"model": cfg.model, "step_model": step.model_name, "step": i}
        if other is None:
            found.append(problem("unavailable", where, **fields))
            continue
        version = int(step.model_version)
        if version >= 0 and str(version) not in (other.get("folders") or []):
            found.append(problem("version-missing", where, version=version, **fields))
    return found


@check(
    "triton.ensemble-step-io",
    requires=("triton.config", "ensemble.models"),
    kinds=(
        "no-such-input",
        "data-type-clash",
        "unmapped-input",
        "no-such-output",
        "output-mapped-twice",
    ),
)
def ensemble_step_io(facts: Facts, params: Mapping[str, Any]) -> list[Problem]:
    """Each step maps real inputs and outputs of its model, maps every non-optional input, and
    every ensemble tensor has one data type: as the ensemble declares it, or as the step that
    writes it produces it."""
    cfg = config(facts)
    msg = cfg.message
    ens_in, ens_out = _by_name(msg.input), _by_name(msg.output)
    # internal tensor -> (data type, model) of the step output that writes it
    produced: dict[str, tuple[int, str]] = {}
    for _, step, other in _steps(facts, cfg):
        om = _message(other)
        outs = _by_name(om.output) if om is not None else {}
        for key, tensor in step.output_map.items():
            if key in outs and tensor not in ens_out:
                produced.setdefault(tensor, (outs[key].data_type, step.model_name))
    found: list[Problem] = []
    for i, step, other in _steps(facts, cfg):
        om = _message(other)
        if om is None:
            continue  # no such model (triton.ensemble-models), or its own parse error
        assert other is not None
        open_in, open_out, open_types = _open_io(other, om)
        s = step.model_name
        where = cfg.at(f"ensemble_scheduling.step[{i}]")

        def add(kind: str, tensor: str, key: str, _s: str = s, _where: Any = where) -> None:
            found.append(
                problem(kind, _where, model=cfg.model, step_model=_s, tensor=tensor, key=key)
            )

        def clash(
            tensor: str, first: tuple[int, str], second: tuple[int, str], _w: Any = where
        ) -> None:
            found.append(
                problem(
                    "data-type-clash",
                    _w,
                    model=cfg.model,
                    step_model=second[1],
                    tensor=tensor,
                    first_type=_dtype(first[0]),
                    first_model=first[1],
                    second_type=_dtype(second[0]),
                    second_model=second[1],
                )
            )

        s_in, s_out = _by_name(om.input), _by_name(om.output)
        for key, tensor in sorted(step.input_map.items()):
            if open_in:
                break  # the step model's backend lists its inputs itself (auto-complete)
            if key not in s_in:
                add("no-such-input", tensor, key)
            elif open_types and s_in[key].data_type == 0:
                continue
            elif tensor in ens_in and ens_in[tensor].data_type != s_in[key].data_type:
                clash(tensor, (ens_in[tensor].data_type, cfg.model), (s_in[key].data_type, s))
            elif tensor in produced and produced[tensor][0] != s_in[key].data_type:
                if not produced[tensor][0] and _open_of(facts, produced[tensor][1]):
                    continue
                clash(tensor, produced[tensor], (s_in[key].data_type, s))
        for key, t in sorted(s_in.items()):
            if key not in step.input_map and not t.optional and not open_in:
                add("unmapped-input", key, key)
        for key, tensor in sorted(step.output_map.items()):
            if open_out:
                break
            if key not in s_out:
                add("no-such-output", tensor, key)
            elif sum(1 for o in om.output if o.name == key) > 1:
                # ValidateTensorMapping: each model output of that name maps to the tensor
                add("output-mapped-twice", tensor, key)
            elif open_types and s_out[key].data_type == 0:
                continue
            elif tensor in ens_out and ens_out[tensor].data_type != s_out[key].data_type:
                clash(tensor, (ens_out[tensor].data_type, cfg.model), (s_out[key].data_type, s))
    return found


def _open_io(other: dict[str, Any], om: Any) -> tuple[bool, bool, bool]:
    """What the step model's own auto-complete may still change (``completes_io`` of
    ``ensemble.models``): its input names, its output names, a missing data_type or dims.

    Core validates an ensemble against each step model's completed config
    (ensemble_utils.cc ValidateEnsembleConfig: "Obtain completed config from model
    instance"): a Python model's auto_complete_config may add any tensor; ONNX Runtime,
    OpenVINO and TensorRT fill an empty list; TensorRT fills a listed tensor's data_type and
    dims.
    """
    completes = other.get("completes_io") or "none"
    if completes == "none":
        return False, False, False
    if other.get("backend") == "python":
        return True, True, True
    return not len(om.input), not len(om.output), completes == "entries"


def _open_of(facts: Facts, model: str) -> bool:
    other = facts["ensemble.models"].value.get(model)
    om = _message(other)
    return other is not None and om is not None and any(_open_io(other, om))


@check("triton.ensemble-cycles", requires=("triton.config", "ensemble.cycle"), kinds=("cycle",))
def ensemble_cycles(facts: Facts, params: Mapping[str, Any]) -> list[Problem]:
    """The ensemble does not depend on itself, directly or through other ensembles."""
    cycle = facts["ensemble.cycle"].value
    if not cycle:
        return []
    cfg = config(facts)
    return [
        problem(
            "cycle",
            cfg.at("ensemble_scheduling"),
            model=cfg.model,
            cycle=" -> ".join(str(name) for name in cycle),
        )
    ]


@check(
    "triton.ensemble-batch-size",
    requires=("triton.config", "ensemble.models"),
    kinds=("too-large",),
)
def ensemble_batch_size(facts: Facts, params: Mapping[str, Any]) -> list[Problem]:
    """The ensemble's max_batch_size is at most that of every batching step model."""
    cfg = config(facts)
    msg = cfg.message
    found: list[Problem] = []
    for _, step, other in _steps(facts, cfg):
        om = _message(other)
        if om is None:
            continue
        if om.max_batch_size > 0 and msg.max_batch_size > om.max_batch_size:
            found.append(
                problem(
                    "too-large",
                    cfg.at("max_batch_size"),
                    model=cfg.model,
                    step_model=step.model_name,
                    max_batch_size=int(msg.max_batch_size),
                    step_max_batch_size=int(om.max_batch_size),
                )
            )
    return found


# -- ValidateEnsembleConfig (core src/ensemble_scheduler/ensemble_utils.cc) ----------------


class _Node:
    """A TensorNode of core's ensemble_utils.cc: an ensemble tensor with the data type and
    shape of the first model it was inferred from (None: the model's config does not say yet,
    its backend completes it), its decoupled label and its links."""

    __slots__ = (
        "decoupled",
        "dims",
        "dtype",
        "full",
        "label",
        "model",
        "next",
        "prev",
        "sibling",
        "visited",
    )

    def __init__(
        self,
        model: str,
        batching: bool = False,
        dtype: int | None = None,
        dims: list[int] | None = None,
    ) -> None:
        self.model = model
        self.dtype = dtype
        self.dims = dims
        self.full = None if dims is None else ([-1] if batching else []) + dims
        self.decoupled = False
        self.label = 0
        self.visited = False
        self.prev: list[_Node] = []
        self.next: list[_Node] = []
        self.sibling: _Node | None = None


def _same_dims(a: list[int], b: list[int]) -> bool:
    """triton::common::CompareDimsWithWildcard."""
    return len(a) == len(b) and all(x == y or -1 in (x, y) for x, y in zip(a, b, strict=True))


def _dims_text(dims: list[int]) -> str:
    """triton::common::DimsListToString: ``[-1,3,224]``."""
    return "[" + ",".join(str(d) for d in dims) + "]"


def _shape_clash(lhs: _Node, rhs: _Node) -> dict[str, Any] | None:
    """ValidateTensorConsistency's shape part; None when consistent, or when a data type or
    a shape is not known (a data type clash is triton.ensemble-step-io's finding)."""
    if lhs.dtype is None or rhs.dtype is None or lhs.dtype != rhs.dtype:
        return None
    if lhs.dims is None or rhs.dims is None or lhs.full is None or rhs.full is None:
        return None
    if _same_dims(lhs.dims, rhs.dims) or _same_dims(lhs.full, rhs.full):
        return None
    return {
        "first_shape": _dims_text(lhs.full),
        "first_model": lhs.model,
        "second_shape": _dims_text(rhs.full),
        "second_model": rhs.model,
    }


def _io_node(model: str, batching: bool, t: Any, known: bool, use_reshape: bool) -> _Node:
    if not known or (t.data_type == 0 and not len(t.dims)):
        return _Node(model)
    dims = list(t.reshape.shape) if use_reshape and t.HasField("reshape") else list(t.dims)
    return _Node(model, batching, int(t.data_type) or None, dims if len(t.dims) else None)


def _graph(facts: Facts) -> tuple[Config, dict[str, _Node], list[Problem], bool] | None:
    """Port of core's ValidateEnsembleConfig / ValidateTensorMapping up to the visit: the
    tensor nodes, the shape clashes met while building them, and whether every step's
    decoupled-ness is known. None for a model that is no ensemble.

    Step models whose own auto-complete may still change their inputs and outputs are not
    judged on what they do not say (``ensemble.models`` ``completes_io``).
    """
    cfg = config(facts)
    msg = cfg.message
    if msg.platform != "ensemble":
        return None
    found: list[Problem] = []
    batching = msg.max_batch_size > 0
    tensors: dict[str, _Node] = {}
    for t in msg.input:
        tensors.setdefault(t.name, _io_node(cfg.model, batching, t, True, True))
    sink = _Node(cfg.model)
    for t in msg.output:
        node = tensors.setdefault(t.name, _io_node(cfg.model, batching, t, True, True))
        sink.prev.append(node)
        node.next.append(sink)

    def compare(tensor: str, node: _Node, step: int) -> None:
        if tensor not in tensors:
            tensors[tensor] = node
            return
        clash = _shape_clash(tensors[tensor], node)
        if clash is not None:
            found.append(
                problem(
                    "shape-clash",
                    cfg.at(f"ensemble_scheduling.step[{step}]"),
                    model=cfg.model,
                    tensor=tensor,
                    **clash,
                )
            )

    decoupled_known = True
    for i, step, other in _steps(facts, cfg):
        om = _message(other)
        name = step.model_name
        if other is None or om is None:
            known_in = known_out = False
            decoupled = False
            decoupled_known = False
            step_batching = False
            inputs, outputs = [], []
        else:
            open_in, open_out, open_types = _open_io(other, om)
            known_in, known_out = not open_in and not open_types, not open_out and not open_types
            if other.get("backend") == "python" and open_in:
                decoupled_known = False  # auto_complete_config may set the policy
            decoupled = bool(om.model_transaction_policy.decoupled)
            step_batching = om.max_batch_size > 0
            inputs, outputs = list(om.input), list(om.output)
        for t in inputs:
            for key, tensor in step.input_map.items():
                if key == t.name:
                    compare(tensor, _io_node(name, step_batching, t, known_in, False), i)
        sibling = _Node(name)
        for key, tensor in step.output_map.items():
            for t in outputs:
                if key == t.name:
                    compare(tensor, _io_node(name, step_batching, t, known_out, False), i)
            tensors.setdefault(tensor, _Node(name))  # unknown output: other rules judge it
            tensors[tensor].sibling = sibling
        for tensor in step.output_map.values():
            node = tensors[tensor]
            node.decoupled = decoupled
            for source in step.input_map.values():
                prev = tensors.setdefault(source, _Node(name))
                node.prev.append(prev)
                prev.next.append(node)
    return cfg, tensors, found, decoupled_known


@check(
    "triton.ensemble-shapes",
    requires=("triton.config", "ensemble.models"),
    kinds=("shape-clash",),
)
def ensemble_shapes(facts: Facts, params: Mapping[str, Any]) -> list[Problem]:
    """Every ensemble tensor has one shape across the ensemble's inputs and outputs and the
    steps that write and read it (ValidateTensorConsistency: dims equal, -1 matching
    anything; a batching and a non-batching model may share a tensor when the batching one's
    shape with its batch dimension equals the other's)."""
    built = _graph(facts)
    return [] if built is None else built[2]


@check(
    "triton.ensemble-decoupled",
    requires=("triton.config", "ensemble.models"),
    kinds=("decoupled-mix",),
)
def ensemble_decoupled(facts: Facts, params: Mapping[str, Any]) -> list[Problem]:
    """No step (nor the ensemble's outputs together) receives inputs that come from different
    decoupled models (ValidateEnsembleConfig's visit). Not judged when a step model is
    missing or may set its own transaction policy."""
    built = _graph(facts)
    if built is None or not built[3]:
        return []
    cfg, tensors, _, _ = built
    return _decoupled_walk(cfg, cfg.message, tensors, cfg.at("ensemble_scheduling"))


def _decoupled_walk(cfg: Config, msg: Any, tensors: dict[str, _Node], where: Any) -> list[Problem]:
    """ValidateEnsembleConfig's visit: each tensor gets the label of the decoupled step that
    last fanned it out; a step whose inputs carry different labels is refused."""
    label = 0
    queue: list[_Node] = []
    for t in msg.input:
        node = tensors[t.name]
        node.visited = True
        queue.append(node)
    found: list[Problem] = []
    while queue:
        current = queue.pop(0)
        for nxt in current.next:
            if nxt.visited or not all(p.visited for p in nxt.prev):
                continue
            first = nxt.prev[0].label
            if any(p.label != first for p in nxt.prev):
                found.append(problem("decoupled-mix", where, model=cfg.model, step_model=nxt.model))
                return found  # core stops at the first
            if nxt.sibling is not None:
                if nxt.sibling.visited:
                    nxt.label = nxt.sibling.label
                else:
                    if nxt.decoupled:
                        label += 1
                        nxt.label = label
                    else:
                        nxt.label = first
                    nxt.sibling.label = nxt.label
                    nxt.sibling.visited = True
            elif nxt.decoupled:
                label += 1
                nxt.label = label
            else:
                nxt.label = first
            nxt.visited = True
            queue.append(nxt)
    return found


# -- ValidateEnsembleSchedulingConfig's data flow (core src/model_config_utils.cc) ---------


@check(
    "triton.ensemble-connected",
    requires=("triton.config", "layout.folder_name"),
    kinds=("output-not-ready", "tensor-not-ready"),
)
def ensemble_connected(facts: Facts, params: Mapping[str, Any]) -> list[Problem]:
    """Port of BuildEnsembleGraph and the ready-queue of ValidateEnsembleSchedulingConfig: a
    step's outputs become ready once all its inputs are, starting from the ensemble inputs.
    An ensemble output that is written but never becomes ready (a cycle between steps) and a
    tensor that is written and read but never ready are refused.

    Tensors that no step writes, or that nothing reads, are triton.ensemble-dataflow's
    findings; this check reports what is left: steps waiting on each other.
    """
    cfg = config(facts)
    msg = cfg.message
    if msg.platform != "ensemble" or not msg.ensemble_scheduling.step:
        return []
    written: set[str] = set()
    read: set[str] = set()
    prev: dict[str, list[str]] = {}
    nxt: dict[str, list[str]] = {}
    order: list[str] = []
    for step in msg.ensemble_scheduling.step:
        outs = list(step.output_map.values())
        for tensor in outs:
            written.add(tensor)
            if tensor not in prev:
                order.append(tensor)
            prev.setdefault(tensor, [])
            nxt.setdefault(tensor, [])
        for tensor in step.input_map.values():
            read.add(tensor)
            if tensor not in prev:
                order.append(tensor)
            prev.setdefault(tensor, [])
            nxt.setdefault(tensor, [])
            for out in outs:
                prev[out].append(tensor)
                nxt[tensor].append(out)
    ready = {t.name for t in msg.input if t.name in prev}
    queue = list(ready)
    while queue:
        node = queue.pop(0)
        for following in nxt[node]:
            if following in ready:
                continue
            if all(p in ready for p in prev[following]):
                ready.add(following)
                queue.append(following)
    inputs = {t.name for t in msg.input}
    unproduced = {t for t in prev if t not in written and t not in inputs}
    found: list[Problem] = []
    outputs = [t.name for t in msg.output]
    for i, tensor in enumerate(outputs):
        if tensor not in written or tensor in ready:
            continue  # never written: triton.ensemble-dataflow
        upstream = _upstream_not_ready(tensor, prev, ready)
        if upstream & unproduced:
            continue  # a tensor nobody writes: triton.ensemble-dataflow names it
        found.append(
            problem(
                "output-not-ready",
                cfg.at(f"output[{i}]"),
                model=cfg.model,
                tensor=tensor,
                depending=_first_not_ready(tensor, prev, ready),
            )
        )
    for tensor in order:
        if tensor in outputs or tensor in ready or tensor not in written or tensor not in read:
            continue
        if _upstream_not_ready(tensor, prev, ready) & unproduced:
            continue
        found.append(
            problem(
                "tensor-not-ready", cfg.at("ensemble_scheduling"), model=cfg.model, tensor=tensor
            )
        )
    return found


def _upstream_not_ready(tensor: str, prev: dict[str, list[str]], ready: set[str]) -> set[str]:
    seen: set[str] = set()
    todo = [tensor]
    while todo:
        for p in prev.get(todo.pop(), []):
            if p not in ready and p not in seen:
                seen.add(p)
                todo.append(p)
    return seen


def _first_not_ready(tensor: str, prev: dict[str, list[str]], ready: set[str]) -> str:
    """The tensor core names in "at least one of its depending tensors, '...', is not
    connected": following the first not-ready input back, each name once; the output itself
    when it has none (then core adds no such clause)."""
    last = tensor
    nodes = prev.get(tensor, [])
    seen: set[str] = set()
    while nodes:
        following: list[str] = []
        for node in nodes:
            if node not in ready and node not in seen:
                seen.add(node)
                last = node
                following = prev.get(node, [])
                break
        nodes = following
    return last
