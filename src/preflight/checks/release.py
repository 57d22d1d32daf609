"""The serving container against what the release tables say of it: is the release known, does
its image ship the model's backend, is the host driver new enough, is the GPU supported, is the
release known to break models like these."""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from typing import Any

from .. import versions
from ..data.releases import known_bad
from ..data.triton_backends import (
    FIRST_TRTLLM,
    FLAVOR_LACKS,
    KNOWN_BACKENDS,
    PLATFORMS,
    RELEASE_LACKS,
)
from ..facts import value_of
from ..model import Facts, Problem
from . import MissingFact, check, problem

# CUDA minor version compatibility: an image of CUDA major M runs (with a limited feature set)
# on any driver of at least this branch; before CUDA 11 there was none (the image's own minimum).
# NVIDIA, CUDA Compatibility, "Minor Version Compatibility", Table 1 (CUDA 13.x >= 580,
# 12.x >= 525, 11.x >= 450).
CUDA_MAJOR_MIN_DRIVER = {11: "450", 12: "525", 13: "580"}


def _flavor(facts: Facts) -> str | None:
    """The image flavour the deployment runs: named by the target (a tag), else the trtllm
    image when a model of the repository uses the tensorrtllm backend, else the plain image."""
    named = value_of(facts, "target.triton_flavor")
    if isinstance(named, str):
        return named
    backends = value_of(facts, "scan.backends") or []
    requirements = value_of(facts, "target.requirements") or {}
    if "tensorrtllm" in backends:  # only a -trtllm image serves it, in the table or not
        return "trtllm"
    if "plain" in requirements:
        return "plain"
    return next(iter(requirements), None)


def _requirements(facts: Facts) -> tuple[str, dict[str, Any]]:
    requirements = value_of(facts, "target.requirements")
    flavor = _flavor(facts)
    if not isinstance(requirements, dict) or flavor not in requirements:
        raise MissingFact("target.requirements")
    return str(flavor), requirements[str(flavor)]


@check("release.known", requires=("target.triton_version",), kinds=("unknown",))
def release_known(facts: Facts, params: Mapping[str, Any]) -> list[Problem]:
    """The target's Triton release has a row in the release tables for the image the
    deployment needs (``unknown``: ``missing`` names the row; the checks that need the
    release's TensorRT, TensorRT-LLM, driver or GPU requirements then skip, every other check
    runs)."""
    unknown = value_of(facts, "target.unknown") or {}
    if value_of(facts, "target.release_known") is False:
        missing = unknown.get("release") or "the release is not in the release table"
        return [problem("unknown", None, missing=missing)]
    flavor = _flavor(facts)
    if flavor is not None and flavor in unknown:  # the month is known, not the image it needs
        return [problem("unknown", None, missing=unknown[flavor])]
    return []


def _driver_parts(text: str) -> tuple[int, ...]:
    try:
        return versions.parse(text)
    except ValueError:
        raise MissingFact("target.driver") from None


def _at_least(driver: tuple[int, ...], minimum: str) -> bool:
    need = versions.parse(minimum)
    width = max(len(driver), len(need))
    return (driver + (0,) * width)[:width] >= (need + (0,) * width)[:width]


def _forward_compatible(driver: tuple[int, ...], branches: list[str] | None) -> str | None:
    """The listed data-center branch the driver belongs to (same major branch, at least the
    listed version), or None."""
    for branch in branches or []:
        need = versions.parse(branch)
        if driver[:1] == need[:1] and _at_least(driver, branch):
            return branch
    return None


@check(
    "release.driver",
    requires=("target.driver", "target.requirements"),
    kinds=("below-cuda", "below-release", "datacenter-only"),
    params={"level": "cuda"},
)
def driver_supports(facts: Facts, params: Mapping[str, Any]) -> list[Problem]:
    """The host driver can run the image's CUDA.

    ``level: cuda``: at least the minimum of the image's CUDA major release (minor version
    compatibility; before CUDA 11, the image's own minimum). ``level: release``: at least the
    driver the release notes name. Either way a driver on one of the older branches NVIDIA lists
    for data-center GPUs passes on a data-center GPU (forward compatibility through the image's
    CUDA compat package), and is ``datacenter-only`` when the target GPU's kind is not known; a
    GeForce GPU has no forward compatibility. When the release's branch list is unknown and the
    GPU may have forward compatibility, the check cannot judge.
    Problems carry ``driver``, ``needed``, ``image``, ``cuda``, ``source``, ``branches``.
    """
    flavor, req = _requirements(facts)
    driver_text = str(value_of(facts, "target.driver"))
    driver = _driver_parts(driver_text)
    cuda = req.get("cuda")
    major = versions.parse(cuda)[0] if isinstance(cuda, str) else None
    release_min = req.get("min_driver")
    if params.get("level") == "release":
        if not isinstance(release_min, str):
            raise MissingFact("target.requirements.min_driver")
        needed, kind, source = release_min, "below-release", str(req.get("source"))
    else:
        if major is not None and major >= 11 and major in CUDA_MAJOR_MIN_DRIVER:
            needed = CUDA_MAJOR_MIN_DRIVER[major]
            source = f"CUDA {major}.x minor version compatibility"
        elif isinstance(release_min, str):
            needed, source = release_min, str(req.get("source"))
        else:
            raise MissingFact("target.requirements.min_driver")
        kind = "below-cuda"
    if _at_least(driver, needed):
        return []
    branches = req.get("datacenter_drivers")
    fields = {
        "driver": driver_text,
        "needed": needed,
        "image": req.get("image") or flavor,
        "cuda": cuda or "unknown",
        "source": source,
        "branches": ", ".join(branches) if branches else "none listed",
        "gpu": value_of(facts, "target.gpu") or "(not given)",
    }
    category = value_of(facts, "target.gpu_category")
    if category == "jetson":  # L4T drivers: the release-note minimums are for dGPU drivers
        raise MissingFact("target.driver (a Jetson runs L4T, not a dGPU driver)")
    # Forward compatibility (the image's CUDA compat package) runs on data-center GPUs only,
    # with the driver branches the release notes list; GeForce cards never have it.
    if category != "geforce":
        if branches is None:
            raise MissingFact(f"target.requirements.{flavor}.datacenter_drivers")
        branch = _forward_compatible(driver, branches)
        if branch is not None:
            if category == "datacenter":
                return []
            return [problem("datacenter-only", None, branch=branch, **fields)]
    return [problem(kind, None, **fields)]


@check(
    "release.compute-capability",
    requires=("target.compute_capability",),
    kinds=("below-triton", "below-release"),
    params={"triton_minimum": "6.0"},
)
def compute_capability_supported(facts: Facts, params: Mapping[str, Any]) -> list[Problem]:
    """The target GPU's compute capability is at least Triton's minimum
    (``--min-supported-compute-capability``, default ``TRITON_MIN_COMPUTE_CAPABILITY`` = 6.0:
    below it Triton does not use the GPU) and the release's supported minimum."""
    cc = str(value_of(facts, "target.compute_capability"))
    gpu = value_of(facts, "target.gpu") or f"compute capability {cc}"
    try:
        have = versions.parse(cc)
    except ValueError:
        raise MissingFact("target.compute_capability") from None
    floor = str(params.get("triton_minimum", "6.0"))
    if have < versions.parse(floor):
        # the minimum as Triton prints it (std::to_string of a double)
        printed = f"{float(floor):.6f}"
        return [problem("below-triton", None, cc=cc, gpu=gpu, minimum=floor, printed=printed)]
    requirements = value_of(facts, "target.requirements") or {}
    flavor = _flavor(facts)
    req = requirements.get(flavor) if isinstance(requirements, dict) else None
    minimum = req.get("min_compute_capability") if isinstance(req, dict) else None
    if isinstance(minimum, str) and have < versions.parse(minimum):
        return [
            problem(
                "below-release",
                None,
                cc=cc,
                gpu=gpu,
                minimum=minimum,
                image=req.get("image") if isinstance(req, dict) else flavor,
            )
        ]
    return []


@check(
    "release.known-bad",
    requires=("target.triton_version",),
    kinds=("known-bad",),
)
def known_bad_release(facts: Facts, params: Mapping[str, Any]) -> list[Problem]:
    """The target release is not in the known-bad table for a backend the repository uses."""
    month = value_of(facts, "target.triton_version")
    flavor = _flavor(facts)
    backends = value_of(facts, "scan.backends") or []
    out = []
    for row in known_bad():
        if month in row.releases and row.flavor == flavor and row.backend in backends:
            out.append(
                problem(
                    "known-bad",
                    None,
                    release=month,
                    backend=row.backend,
                    what=row.what,
                    issue=row.issue,
                    fixed=row.fixed or "no release yet",
                )
            )
    return out


def _backend(facts: Facts) -> tuple[str, Any] | None:
    fact = facts.get("triton.backend")
    if fact is not None and isinstance(fact.value, str) and fact.value:
        return fact.value, fact.location
    platform = facts.get("triton.platform")
    if platform is not None and platform.value in PLATFORMS:
        return PLATFORMS[platform.value][0], platform.location
    # Found by auto-complete from the model file or the folder name (derive/autocomplete.py).
    resolved = facts.get("autocomplete.backend")
    if resolved is not None and isinstance(resolved.value, str) and resolved.value:
        return resolved.value, resolved.location
    return None


@check(
    "release.backend-shipped",
    requires=("triton.config",),
    kinds=("not-in-image", "not-in-release", "before-first", "unknown-backend"),
)
def backend_shipped(facts: Facts, params: Mapping[str, Any]) -> list[Problem]:
    """The backend a model names ships in the target image, or the model folder holds
    ``libtriton_<backend>.so`` (Triton looks there before its backend directory).

    ``not-in-image``: the flavour does not ship it (``evidence``); ``not-in-release``: this
    release's image left it out; ``before-first``: the backend came with a later release
    (tensorrtllm: 23.10); ``unknown-backend``: no Triton image ships a backend of that
    name (``close``: the nearest real names). A model with a ``runtime`` (a custom Python-based
    backend) is not judged.
    """
    found = _backend(facts)
    config = value_of(facts, "triton.config") or {}
    if found is None or (isinstance(config, dict) and config.get("runtime")):
        return []
    name, where = found
    libraries = value_of(facts, "layout.backend_libraries") or []
    if any(str(lib).endswith(f"libtriton_{name}.so") for lib in libraries):
        return []
    flavor = _flavor(facts)
    image = _image(facts, flavor)
    if name not in KNOWN_BACKENDS:
        close = difflib.get_close_matches(name.lower(), sorted(KNOWN_BACKENDS), n=2, cutoff=0.5)
        return [
            problem(
                "unknown-backend",
                where,
                backend=name,
                image=image,
                close=" or ".join(f"'{c}'" for c in close) or "none close",
            )
        ]
    if flavor is None:
        return []
    evidence = FLAVOR_LACKS.get(flavor, {}).get(name)
    if evidence is not None:
        return [problem("not-in-image", where, backend=name, image=image, evidence=evidence)]
    month = value_of(facts, "target.triton_version")
    if name == "tensorrtllm" and isinstance(month, str) and _month(month) < _month(FIRST_TRTLLM):
        return [problem("before-first", where, backend=name, release=month, first=FIRST_TRTLLM)]
    evidence = RELEASE_LACKS.get((flavor, str(month)), {}).get(name)
    if evidence is not None:
        return [problem("not-in-release", where, backend=name, image=image, evidence=evidence)]
    return []


def _month(text: str) -> tuple[int, ...]:
    try:
        return versions.parse(text)
    except ValueError:
        return (99, 99)


def _image(facts: Facts, flavor: str | None) -> str:
    month = value_of(facts, "target.triton_version") or "?"
    suffix = {"trtllm": "-trtllm-python-py3", "vllm": "-vllm-python-py3", "pyt": "-pyt-python-py3"}
    if flavor is None:
        return f"the Triton {month} image"
    return f"tritonserver:{month}{suffix.get(flavor, '-py3')}"


@check(
    "release.plan-plugins",
    requires=("plan.plugins", "deploy.trt_version"),
    kinds=("not-shipped", "removed"),
)
def plan_plugins_shipped(facts: Facts, params: Mapping[str, Any]) -> list[Problem]:
    """Every plugin creator a plan names ships with the TensorRT that loads it.

    ``not-shipped``: no TensorRT release ships ``name`` (a custom plugin: its library must be
    loaded); ``removed``: TensorRT ships it, but not the serving release (``tag``). Fields:
    ``name``, ``evidence``, ``trt``. A serving version older than every tag of the table is
    judged only for custom names.
    """
    from ..data.trt_plugins import all_shipped, shipped_plugins

    plugins = facts["plan.plugins"]
    trt = str(value_of(facts, "deploy.trt_version"))
    shipped = shipped_plugins(trt)
    out = []
    for item in plugins.value or []:
        name = str(item.get("name"))
        fields = {"name": name, "evidence": item.get("evidence"), "trt": trt}
        if name not in all_shipped():
            out.append(problem("not-shipped", plugins.location, **fields))
        elif shipped is not None and shipped[2] and name not in shipped[0]:
            out.append(problem("removed", plugins.location, tag=shipped[1], **fields))
    return out
