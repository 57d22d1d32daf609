"""Checks on what a live Triton server says (``check --server URL``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..model import Facts, Location, Problem
from . import check, problem


@check(
    "server.models-ready",
    requires=("server.repository_models",),
    kinds=("absent", "not-ready"),
)
def models_ready(facts: Facts, params: Mapping[str, Any]) -> list[Problem]:
    """Every model of the repository is READY on the server."""
    found = []
    for model in facts["server.repository_models"].value:
        where = Location(model["path"])
        if model["state"] is None:
            found.append(problem("absent", where, name=model["name"]))
        elif model["state"].upper() != "READY":
            # Triton leaves both empty for a model it has not tried to load.
            found.append(
                problem(
                    "not-ready",
                    where,
                    name=model["name"],
                    state=model["state"] or "not loaded",
                    reason=model["reason"] or "no reason given",
                )
            )
    return found
