"""Named checks: Python for what a fact condition cannot say.

A check takes one subject's facts and the rule's parameters (with `.preflight.yaml` options
merged in) and returns :class:`~preflight.model.Problem` values; an empty list is a pass. The
words of a finding are not here: the rule file that names the check holds its ``message`` and a
``messages`` template per problem kind, over the problem's fields.

Register a check with :func:`check`; :func:`registry` imports the topic modules listed in
``MODULES`` once and returns every check by name (``triton.version-folders``).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..model import Facts, Location, Problem

CheckFunction = Callable[[Facts, Mapping[str, Any]], list[Problem]]

# Topic modules under preflight.checks, imported by registry().
MODULES: tuple[str, ...] = (
    "triton_config",
    "triton_layout",
    "triton_io",
    "triton_scheduling",
    "triton_batch_io",
    "triton_sequence",
    "triton_backend_config",
    "triton_warmup",
    "triton_ensemble",
    "trtllm_build",
    "trtllm_engines",
    "tensorrt",
    "backend",
    "server",
    "preflight",
    "memory",
    "placement",
    "decoding",
    "release",
)


class MissingFact(Exception):
    """Raised by a check that cannot judge without a fact its subject lacks."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


@dataclass(frozen=True, slots=True)
class Check:
    name: str
    function: CheckFunction
    requires: tuple[str, ...] = ()  # facts without which the check cannot judge (if-missing)
    kinds: tuple[str, ...] = ()  # the Problem kinds it returns; each may have a template
    params: dict[str, Any] = field(default_factory=dict)  # parameter -> default
    doc: str = ""
    at: str = ""  # the fact a pass is located at (default: the first of `requires`)


_REGISTRY: dict[str, Check] = {}


def check(
    name: str,
    *,
    requires: tuple[str, ...] = (),
    kinds: tuple[str, ...] = (),
    params: Mapping[str, Any] | None = None,
    at: str = "",
) -> Callable[[CheckFunction], CheckFunction]:
    """Register ``function`` as the check ``name`` (``topic.kebab-name``)."""

    def register(function: CheckFunction) -> CheckFunction:
        if name in _REGISTRY:
            raise ValueError(f"check {name!r} is registered twice")
        doc = (function.__doc__ or "").strip().split("\n\n")[0]
        _REGISTRY[name] = Check(name, function, requires, kinds, dict(params or {}), doc, at)
        return function

    return register


def registry() -> dict[str, Check]:
    """Every check by name (imports the topic modules on first use)."""
    for module in MODULES:
        importlib.import_module(f"{__name__}.{module}")
    return _REGISTRY


def problem(kind: str, location: Location | None, **fields: Any) -> Problem:
    """A :class:`Problem` of ``kind`` at ``location`` with named ``fields``."""
    return Problem(kind, location, fields)
