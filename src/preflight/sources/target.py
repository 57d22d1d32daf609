"""The deployment target as ``target.*`` facts: GPU, Triton container, TensorRT, TensorRT-LLM.

Inputs are what the user named (``--target-gpu`` resolved to a :class:`Gpu`, a Triton release,
versions), then ``.preflight.yaml``, then the environment (:func:`resolve_inputs`: an NGC Triton
container's version variables, the installed ``tensorrt`` and ``tensorrt_llm`` packages, the
local GPU through NVML); the release tables fill in what a Triton release implies. The facts
carry no location.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
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
    "gpu_memory": "--gpu-memory",
    "world_size": "--world-size",
    "auto_complete": "--disable-auto-complete-config",
    "driver": "--driver",
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
    gpu_memory: float | None = None,
    world_size: int | None = None,
    auto_complete: bool | None = None,
    driver: str | None = None,
) -> Facts:
    """The ``target.*`` facts.

    ``triton`` (``YY.MM``) implies the TensorRT and TensorRT-LLM of the trtllm container
    (``target.trt_version``, ``target.trtllm_version``) and the TensorRT of the plain container
    (``target.trt_version_plain``, for ordinary ``tensorrt_plan`` models). ``trt`` overrides both
    TensorRT values; ``trtllm`` overrides the TensorRT-LLM one. ``origins`` names where each
    input came from (keys gpu/triton/trt/trtllm/gpu_count/gpu_memory/world_size; default: the CLI
    option), recorded in
    ``target.sources`` (a dict: fact name -> where the value came from). Grades of table values
    are in ``target.trt_version_confidence`` / ``target.trt_version_plain_confidence``; values
    the tables cannot give are explained in ``target.unknown`` (a dict: name -> reason).
    ``target.gpu_memory_mib``: usable memory per GPU (``gpu_memory`` GiB, else the GPU table's
    ``memory_mib``, else its nominal GB); ``target.world_size``: the launch's MPI world size.
    ``target.compute_capabilities`` lists every CC of a GPU that reports more than one (Thor).
    ``triton`` may also be a container tag (its suffix sets ``target.triton_flavor``) or a
    server version. A release the tables do not know is not an error: ``target.release_known``
    is false and ``target.unknown`` says which table row is missing, so that every check that
    does not need the release still runs. ``target.requirements``: per flavour the release's
    host requirements (``min_driver``, ``datacenter_drivers``, ``min_compute_capability``,
    ``cuda``, ``source``); ``target.driver`` the host driver (``driver``);
    ``target.gpu_category`` the GPU table's category (datacenter, geforce ...).
    Raises :class:`TargetError` for a malformed ``triton``. Facts carry no location.
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
    # Usable memory per GPU in MiB: --gpu-memory (GiB: a MIG slice, a shared GPU), else what a
    # real device of the table's row reported, else the row's nominal GiB.
    if gpu_memory is not None:
        put("gpu_memory_mib", round(float(gpu_memory) * 1024, 1), where["gpu_memory"])
    elif gpu is not None and gpu.memory_mib is not None:
        put("gpu_memory_mib", gpu.memory_mib, f"{where['gpu']} ({gpu.name}: memory_mib)")
    elif gpu is not None and gpu.memory_gib is not None:
        label = f"{where['gpu']} ({gpu.name}: nominal {gpu.memory_gib:g} GB)"
        put("gpu_memory_mib", round(gpu.memory_gib * 1024, 1), label)
    if world_size is not None:
        put("world_size", world_size, where["world_size"])
    # Triton's auto-complete (on unless the server runs --disable-auto-complete-config, or
    # --strict-model-config=true); absent means Triton's default.
    if auto_complete is not None:
        put("auto_complete", auto_complete, where["auto_complete"])

    trtllm_row: Release | None = None
    plain_row: Release | None = None
    if triton is not None:
        trtllm_row, plain_row = _release_facts(str(triton), where["triton"], put, facts, unknown)
    if driver is not None:
        try:
            versions.parse(str(driver))
        except ValueError:
            raise TargetError(
                f"{where['driver']} {driver!r}: expected an NVIDIA driver version such as 550.54.15"
            ) from None
        put("driver", str(driver), where["driver"])
    if gpu is not None:
        facts["target.gpu_category"] = Fact(gpu.category)

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


def _release_facts(
    triton: str,
    origin: str,
    put: Callable[[str, Any, str], None],
    facts: Facts,
    unknown: dict[str, str],
) -> tuple[Release | None, Release | None]:
    """``target.triton_*`` and ``target.requirements`` of one release; the (trtllm, plain) rows
    the table has for it."""
    yymm, named = releases.parse_release(triton)
    put("triton_version", yymm, origin)
    if named is not None:
        put("triton_flavor", named, origin)
    rows: dict[str, Release] = {}
    for flavor in (named,) if named else releases.FLAVORS:
        row = releases.find_release(yymm, flavor) if flavor in releases.FLAVORS else None
        if row is None:
            unknown[flavor] = releases.missing_row(yymm, flavor)
        else:
            rows[flavor] = row
    facts["target.release_known"] = Fact(bool(rows))
    if not rows:
        unknown["release"] = "; ".join(
            releases.missing_row(yymm, f) for f in ((named,) if named else releases.FLAVORS)
        )
    some = rows.get("trtllm") or rows.get("plain")
    if some is not None and some.server_version is not None:
        put("triton_server_version", some.server_version, _release_note(some))
    requirements: dict[str, dict[str, Any]] = {}
    for flavor, row in rows.items():
        req = releases.release_requirements(yymm, flavor)
        branches = req.datacenter_drivers if req else None
        source = req.source if req else "no requirements row in releases.yaml"
        plain = releases.release_requirements(yymm, "plain")
        plain_row = rows.get("plain") or releases.find_release(yymm, "plain")
        if (
            branches is None
            and flavor != "plain"
            and plain is not None
            and plain.datacenter_drivers is not None
            and _cuda_major(row.cuda) is not None
            and _cuda_major(row.cuda) == _cuda_major(plain_row.cuda if plain_row else None)
        ):  # the release notes' list covers every image of the release with that CUDA major
            branches = plain.datacenter_drivers
            source = f"{source}; data-center branches: {plain.source}"
        requirements[flavor] = {
            "image": row.image,
            "cuda": row.cuda,
            "min_driver": req.min_driver if req else None,
            "datacenter_drivers": list(branches) if branches is not None else None,
            "min_compute_capability": req.min_compute_capability if req else None,
            "source": source,
        }
    if requirements:
        facts["target.requirements"] = Fact(requirements)
    return rows.get("trtllm"), rows.get("plain")


def _cuda_major(cuda: str | None) -> int | None:
    try:
        return versions.parse(cuda)[0] if cuda else None
    except ValueError:
        return None


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
        gpu_memory_mib=get("gpu_memory_mib"),
        world_size=get("world_size"),
    )


# --- where the target comes from: flags, then .preflight.yaml, then the environment ----------

# What an NGC Triton container says about itself: the server's build.py writes
# `ENV TRITON_SERVER_VERSION ${TRITON_VERSION}` (2.x.y) and
# `ENV NVIDIA_TRITON_SERVER_VERSION ${TRITON_CONTAINER_VERSION}` (YY.MM) into every image
# (triton-inference-server/server build.py, create_dockerfile_linux); `TRT_VERSION` comes from
# the DLFW base image (qa/common/reporter.py reads it). In -trtllm- images that base TensorRT can
# be stale (the backend loads /usr/local/tensorrt), so the installed `tensorrt` package is read
# first and TRT_VERSION only when no Triton release is known either.
ENV_RELEASE = "NVIDIA_TRITON_SERVER_VERSION"
ENV_SERVER = "TRITON_SERVER_VERSION"
ENV_TRT = "TRT_VERSION"
_YYMM = re.compile(r"^[0-9]{2}\.[0-9]{2}$")
# The inputs that name a target (the others, such as gpu_count, describe one).
NAMING_KEYS = ("gpu", "triton", "trt", "trtllm")


def installed_trtllm() -> str | None:
    """The installed ``tensorrt_llm`` package's version (package metadata, nothing imported)."""
    from importlib import metadata

    for dist in ("tensorrt_llm", "tensorrt-llm"):
        try:
            return metadata.version(dist)
        except metadata.PackageNotFoundError:
            continue
    return None


@dataclass(slots=True)
class Inputs:
    """The target's inputs once resolved: ``values`` by key (``gpu`` as the :class:`Gpu` in
    ``gpu``), ``origins`` (key -> where it came from), ``none`` (where ``target none`` was
    declared, else None) and ``unresolved`` (``gpu`` / ``serving`` -> what was looked at)."""

    values: dict[str, Any]
    origins: dict[str, str]
    gpu: Gpu | None = None
    none: str | None = None
    unresolved: dict[str, str] = field(default_factory=dict)


def resolve_inputs(
    flags: Mapping[str, Any],
    flag_names: Mapping[str, str],
    settings: Mapping[str, Any],
    environ: Mapping[str, str],
    *,
    none_flag: bool = False,
    none_setting: bool = False,
    detect_gpu: Callable[[], Gpu] | None = None,
) -> Inputs:
    """Each target input from, in order, the command line (``flags``, named ``flag_names``),
    ``.preflight.yaml``'s ``target:`` (``settings``) and the environment (``environ``: an NGC
    Triton container's version variables, the installed ``tensorrt`` and ``tensorrt_llm``
    packages, the local GPU through ``detect_gpu``, NVML by default).

    The environment is read only for what neither the flags nor the settings name: the GPU, and
    the serving software as a whole (Triton release, TensorRT, TensorRT-LLM) when neither names
    a Triton release or a TensorRT version. ``none_flag`` (``--target none``) or, without any
    target flag, ``none_setting`` (``target: none``) reads no environment: layout and config
    checks only. Raises :class:`TargetError` for a GPU name the table does not know.
    """
    from ..data import gpus

    values: dict[str, Any] = {}
    origins: dict[str, str] = {}
    if none_flag:  # --target none: the settings' target does not count either
        settings = {}
    for key in {**flag_names, **settings}:
        flag, setting = flags.get(key), settings.get(key)
        if flag is not None and flag != "" and flag is not False:
            values[key], origins[key] = flag, flag_names.get(key, key)
        elif setting is not None and setting != "":
            values[key], origins[key] = setting, f".preflight.yaml target.{key}"
    if flags.get("gpu") not in (None, "") and origins.get("gpu_memory", "").startswith(".pre"):
        # .preflight.yaml's memory describes .preflight.yaml's GPU, not one named on the
        # command line: that GPU's memory comes from the GPU table.
        del values["gpu_memory"], origins["gpu_memory"]
    named = [k for k in NAMING_KEYS if flags.get(k) not in (None, "", False)]
    none = "--target none" if none_flag else None
    if none is None and none_setting and not named:
        none = ".preflight.yaml target: none"
    out = Inputs(values, origins, none=none)
    if "gpu" in values:
        spec = str(values["gpu"])
        out.gpu = _nvml_gpu() if spec.lower() == "auto" else gpus.resolve_gpu(spec)
    if none is not None:
        return out
    if out.gpu is None:
        try:
            out.gpu = (detect_gpu or _nvml_gpu)()
            origins["gpu"] = "the local GPU through NVML"
        except TargetError as exc:
            why = str(exc).removeprefix("--target-gpu auto: ")
            out.unresolved["gpu"] = why if "NVML" in why else f"no GPU through NVML ({why})"
    if "triton" not in values and "trt" not in values:
        _serving_from_environment(out, environ)
    return out


def _nvml_gpu() -> Gpu:
    from . import nvml

    return nvml.detect_gpu()


def _serving_from_environment(out: Inputs, environ: Mapping[str, str]) -> None:
    """Triton release, TensorRT and TensorRT-LLM from the environment, each with its source."""
    looked: list[str] = []
    release = (environ.get(ENV_RELEASE) or "").strip()
    server = (environ.get(ENV_SERVER) or "").strip()
    if release and _YYMM.match(release) and _known_release(release):
        out.values["triton"] = release
        out.origins["triton"] = f"environment {ENV_RELEASE}={release}"
    elif server and releases.release_for_server_version(server):
        yymm = releases.release_for_server_version(server)
        out.values["triton"] = yymm
        out.origins["triton"] = f"environment {ENV_SERVER}={server} (Triton {yymm})"
    else:
        for name, value in ((ENV_RELEASE, release), (ENV_SERVER, server)):
            looked.append(f"{name}={value} is not in the release table" if value else f"no {name}")
    installed = installed_tensorrt()
    trt_env = (environ.get(ENV_TRT) or "").strip()
    if installed is not None:
        out.values["trt"] = installed
        out.origins["trt"] = f"the installed tensorrt package {installed}"
    elif trt_env and "triton" not in out.values and _is_version(trt_env.split("+")[0]):
        out.values["trt"] = trt_env.split("+")[0]
        out.origins["trt"] = f"environment {ENV_TRT}={trt_env}"
    else:
        looked.append("no tensorrt package")
    if "trtllm" not in out.values:
        trtllm = installed_trtllm()
        if trtllm is not None:
            out.values["trtllm"] = trtllm
            out.origins["trtllm"] = f"the installed tensorrt_llm package {trtllm}"
    if "triton" not in out.values and "trt" not in out.values:
        out.unresolved["serving"] = ", ".join(looked)


def _known_release(yymm: str) -> bool:
    for flavor in releases.FLAVORS:
        try:
            releases.resolve_release(yymm, flavor)
            return True
        except TargetError:
            continue
    return False


def _is_version(text: str) -> bool:
    try:
        versions.parse(text)
    except ValueError:
        return False
    return True


def resolution_facts(inputs: Inputs, facts: Facts) -> Facts:
    """``target.none`` (with its source in ``target.sources``) and ``target.unresolved`` (what
    was looked at for the GPU and the serving software that stayed unknown), added to the
    ``target.*`` facts of :func:`target_facts`."""
    out: Facts = {}
    if inputs.none is not None:
        out["target.none"] = Fact(True)
        sources = dict(facts["target.sources"].value) if "target.sources" in facts else {}
        out["target.sources"] = Fact({**sources, "none": inputs.none})
    elif inputs.unresolved:
        out["target.unresolved"] = Fact(dict(inputs.unresolved))
    return out


# How resolve_inputs names what the environment gave (the report says it without -v).
_ENVIRONMENT_ORIGINS = ("environment ", "the installed ", "the local GPU")


def from_environment(facts: Facts) -> bool:
    """Whether any ``target.*`` value came from the environment rather than the user."""
    sources = facts.get("target.sources")
    values = (
        sources.value.values() if sources is not None and isinstance(sources.value, dict) else []
    )
    return any(str(v).startswith(_ENVIRONMENT_ORIGINS) for v in values)
