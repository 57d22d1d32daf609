"""Preflight's own run: was there a deployment target to check against, was the path right."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..facts import value_of
from ..model import Facts, Problem
from ..paths import display
from . import check, problem

# A serving software is known when one of these is: the Triton release implies the rest.
_SERVING = ("target.triton_version", "target.trt_version", "target.trt_version_plain")


@check("preflight.target-known", kinds=("gpu", "serving", "both"))
def target_known(facts: Facts, params: Mapping[str, Any]) -> list[Problem]:
    """The run knows the target GPU and the serving software (a Triton release or a TensorRT).

    ``gpu``, ``serving``, ``both``: which stayed unknown after the flags, ``.preflight.yaml``
    and the environment; ``gpu_tried`` / ``serving_tried`` say what was looked at
    (``target.unresolved``).
    """
    gpu = "target.compute_capability" in facts
    serving = any(key in facts for key in _SERVING)
    if gpu and serving:
        return []
    tried = value_of(facts, "target.unresolved") or {}
    kind = "serving" if gpu else "gpu" if serving else "both"
    return [
        problem(
            kind,
            None,
            gpu_tried=str(tried.get("gpu", "not named")),
            serving_tried=str(tried.get("serving", "not named")),
        )
    ]


@check("preflight.target-none", kinds=("none",))
def target_none(facts: Facts, params: Mapping[str, Any]) -> list[Problem]:
    """``--target none`` / ``target: none``: a note that the run checks layout and config only
    (``source``: where it was declared); a pass on any other run."""
    if value_of(facts, "target.none") is not True:
        return []
    sources = value_of(facts, "target.sources") or {}
    return [problem("none", None, source=str(sources.get("none", "target none")))]


@check(
    "preflight.repository-level",
    requires=("repo.nested_models", "repo.config_folders"),
    kinds=("one-level-above",),
)
def repository_level(facts: Facts, params: Mapping[str, Any]) -> list[Problem]:
    """The path is a model repository, not the folder above one.

    ``one-level-above``: no folder holds a config.pbtxt while folders inside them do
    (``repo.nested_models``): ``first`` is the likeliest repository (the one with the most
    models), ``candidates`` lists each with its models, ``count`` how many there are.
    """
    nested = [n for n in facts["repo.nested_models"].value or [] if isinstance(n, dict)]
    if not nested or facts["repo.config_folders"].value:
        return []
    nested.sort(key=lambda n: (-len(n.get("models") or []), str(n.get("name"))))
    shown = []
    for item in nested:
        models = [str(m) for m in item.get("models") or []]
        listed = ", ".join(models[:4]) + (", ..." if len(models) > 4 else "")
        shown.append(f"{display(str(item.get('path')))} ({len(models)} models: {listed})")
    first = display(str(nested[0].get("path")))
    return [
        problem(
            "one-level-above", None, first=first, candidates="; ".join(shown), count=len(nested)
        )
    ]
