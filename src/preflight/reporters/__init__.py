"""Reporters turn a :class:`~preflight.model.RunResult` into text, JSON, SARIF or JUnit XML.

Each format lives in its own module exposing
``render(result: RunResult, out: TextIO, *, color: bool = False, ...) -> None``.
``REPORTERS`` maps a ``--format`` name to a render function that imports its module only
when first called, so importing this package stays cheap for the CLI.

This module also holds the small helpers the formats share: the contract ``summary``,
grouping by model (``group_of``) and a stable ordering of results (``sort_key``).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any, TextIO

from preflight.model import Result, RunResult, Severity, Status

__all__ = ["FORMATS", "REPORTERS", "group_of", "sort_key", "subject_path", "summary"]

Renderer = Callable[..., None]

# --format name -> module under preflight.reporters
_MODULES: dict[str, str] = {
    "text": "human",
    "json": "json_report",
    "sarif": "sarif",
    "junit": "junit",
}

FORMATS: tuple[str, ...] = tuple(_MODULES)


def _lazy(module: str) -> Renderer:
    def render(result: RunResult, out: TextIO, *, color: bool = False, **options: Any) -> None:
        mod = importlib.import_module(f"{__name__}.{module}")
        mod.render(result, out, color=color, **options)

    render.__name__ = f"render_{module}"
    render.__qualname__ = render.__name__
    render.__doc__ = f"Render a RunResult with preflight.reporters.{module} (imported on use)."
    return render


REPORTERS: dict[str, Renderer] = {name: _lazy(module) for name, module in _MODULES.items()}


def summary(result: RunResult) -> dict[str, Any]:
    """The contract summary: failures per severity, then pass and skip counts."""
    fail = {sev.value: 0 for sev in (Severity.ERROR, Severity.WARNING, Severity.INFO)}
    passed = skipped = 0
    for res in result.results:
        if res.status == Status.FAIL:
            fail[Severity(res.severity).value] += 1
        elif res.status == Status.PASS:
            passed += 1
        else:
            skipped += 1
    return {"fail": fail, "pass": passed, "skip": skipped}


def subject_path(subject: str) -> str:
    """A subject as a clean relative path: '/' separators, '' for the repository itself."""
    path = subject.replace("\\", "/").strip("/")
    while path.startswith("./"):
        path = path[2:].lstrip("/")
    return "" if path == "." else path


def group_of(subject: str) -> str:
    """The model a subject belongs to: its first path component ('' for the repository)."""
    return subject_path(subject).split("/", 1)[0]


_STATUS_ORDER = {Status.FAIL: 0, Status.SKIP: 1, Status.PASS: 2}


def sort_key(res: Result) -> tuple[int, int, str, int, int, str, str]:
    """Failures first (most severe first), then skips, then passes; then by place and rule."""
    loc = res.location
    return (
        _STATUS_ORDER[Status(res.status)],
        -Severity(res.severity).rank if res.status == Status.FAIL else 0,
        loc.path if loc else res.subject,
        (loc.line or 0) if loc else 0,
        (loc.column or 0) if loc else 0,
        res.rule,
        res.message,
    )
