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
    kinds=("no-such-input", "data-type-clash", "unmapped-input", "no-such-output"),
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
            if key not in s_in:
                add("no-such-input", tensor, key)
            elif tensor in ens_in and ens_in[tensor].data_type != s_in[key].data_type:
                clash(tensor, (ens_in[tensor].data_type, cfg.model), (s_in[key].data_type, s))
            elif tensor in produced and produced[tensor][0] != s_in[key].data_type:
                clash(tensor, produced[tensor], (s_in[key].data_type, s))
        for key, t in sorted(s_in.items()):
            if key not in step.input_map and not t.optional:
                add("unmapped-input", key, key)
        for key, tensor in sorted(step.output_map.items()):
            if key not in s_out:
                add("no-such-output", tensor, key)
            elif tensor in ens_out and ens_out[tensor].data_type != s_out[key].data_type:
                clash(tensor, (ens_out[tensor].data_type, cfg.model), (s_out[key].data_type, s))
    return found


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
