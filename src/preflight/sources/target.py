"""The deployment target as ``target.*`` facts: GPU, Triton container, TensorRT, TensorRT-LLM.

Inputs are what the user named (``--target-gpu`` resolved to a :class:`Gpu`, a Triton release,
versions) and, when nothing names the TensorRT, the installed ``tensorrt`` package; the release
tables fill in what a Triton release implies. The facts carry no location.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .. import versions
from ..data import releases
from ..data.gpus import Gpu
from ..data.releases import Release
from ..errors import TargetError
from ..model import Fact, Facts, Target

NAMESPACES = ("target",)


def installed_tensorrt() -> str | None:
    """Inside a serving container, the TensorRT that will load the engines: its package version.

    Read from the package metadata, without importing TensorRT (the lean runtime does not count:
    it loads only version-compatible plans).
    """
    from importlib import metadata

    for dist in ("tensorrt", "tensorrt-cu12", "tensorrt-cu13"):
        try:
            return metadata.version(dist)
        except metadata.PackageNotFoundError:
            continue
    return None


_ORIGINS = {
    "gpu": "--target-gpu",
    "triton": "--triton-version",
    "trt": "--trt-version",
    "trtllm": "target.trtllm",
    "gpu_count": "target.gpu_count",
}


def _release_note(r: Release) -> str:
    grade = f"grade {r.confidence}" if r.confidence else "no grade"
    return f"Triton {r.triton} {r.flavor} container (release table, {grade}: {r.source})"


def target_facts(
    gpu: Gpu | None = None,
    triton: str | None = None,
    trt: str | None = None,
    trtllm: str | None = None,
    gpu_count: int | None = None,
    origins: Mapping[str, str] | None = None,
) -> Facts:
    """The ``target.*`` facts.

    ``triton`` (``YY.MM``) implies the TensorRT and TensorRT-LLM of the trtllm container
    (``target.trt_version``, ``target.trtllm_version``) and the TensorRT of the plain container
    (``target.trt_version_plain``, for ordinary ``tensorrt_plan`` models). ``trt`` overrides both
    TensorRT values; ``trtllm`` overrides the TensorRT-LLM one. ``origins`` names where each
    input came from (keys gpu/triton/trt/trtllm/gpu_count; default: the CLI option), recorded in
    ``target.sources`` (a dict: fact name -> where the value came from). Grades of table values
    are in ``target.trt_version_confidence`` / ``target.trt_version_plain_confidence``; values
    the tables cannot give are explained in ``target.unknown`` (a dict: name -> reason).
    ``target.compute_capabilities`` lists every CC of a GPU that reports more than one (Thor).
    Raises :class:`TargetError` for a malformed or unknown ``triton``. Facts carry no location.
    """
    where = {**_ORIGINS, **(origins or {})}
    facts: Facts = {}
    sources: dict[str, str] = {}
    unknown: dict[str, str] = {}

    def put(key: str, value: Any, source: str) -> None:
        facts[f"target.{key}"] = Fact(value)
        sources[key] = source

    if gpu is not None:
        label = f"{where['gpu']} ({gpu.source})"
        put("gpu", gpu.name, label)
        put("compute_capability", gpu.compute_capability, label)
        if gpu.alt_compute_capabilities:
            put(
                "compute_capabilities",
                [gpu.compute_capability, *gpu.alt_compute_capabilities],
                f"{label}; {gpu.note}" if gpu.note else label,
            )
        if gpu.sm_count is not None:
            put("sm_count", gpu.sm_count, label)
        if gpu.memory_gib is not None:
            put("gpu_memory_gib", gpu.memory_gib, label)
    if gpu_count is not None:
        put("gpu_count", gpu_count, where["gpu_count"])

    trtllm_row: Release | None = None
    plain_row: Release | None = None
    if triton is not None:
        errors: list[str] = []
        for flavor in releases.FLAVORS:
            try:
                row = releases.resolve_release(triton, flavor)
            except TargetError as exc:
                errors.append(str(exc))
                continue
            if flavor == "trtllm":
                trtllm_row = row
            else:
                plain_row = row
        if trtllm_row is None and plain_row is None:
            raise TargetError(errors[-1])
        if trtllm_row is None:
            unknown["trtllm"] = errors[0]
        some = trtllm_row or plain_row
        assert some is not None
        put("triton_version", some.triton, where["triton"])
        if some.server_version is not None:
            put("triton_server_version", some.server_version, _release_note(some))

    if trt is not None:
        try:
            versions.parse(trt)
        except ValueError:
            raise TargetError(
                f"{where['trt']} {trt!r}: expected a TensorRT version such as 10.10.0.31"
            ) from None
        put("trt_version", str(trt), where["trt"])
        put("trt_version_plain", str(trt), where["trt"])
    else:
        for key, rel in (("trt_version", trtllm_row), ("trt_version_plain", plain_row)):
            if rel is None:
                continue
            if rel.trt_version is None:
                unknown[key] = f"{_release_note(rel)}: TensorRT unknown. {rel.note}".strip()
                continue
            put(key, rel.trt_version, _release_note(rel))
            if rel.confidence:
                facts[f"target.{key}_confidence"] = Fact(rel.confidence)

    if trtllm is not None:
        put("trtllm_version", str(trtllm), where["trtllm"])
    elif trtllm_row is not None and trtllm_row.trtllm_version is not None:
        put("trtllm_version", trtllm_row.trtllm_version, _release_note(trtllm_row))

    if sources:
        facts["target.sources"] = Fact(sources)
    if unknown:
        facts["target.unknown"] = Fact(unknown)
    return facts


def target_from_facts(facts: Facts) -> Target:
    """The report's :class:`preflight.model.Target` from ``target.*`` facts."""

    def get(key: str) -> Any:
        fact = facts.get(f"target.{key}")
        return None if fact is None else fact.value

    return Target(
        gpu=get("gpu"),
        compute_capability=get("compute_capability"),
        sm_count=get("sm_count"),
        triton_version=get("triton_version"),
        trt_version=get("trt_version"),
        trtllm_version=get("trtllm_version"),
        trt_version_plain=get("trt_version_plain"),
    )
