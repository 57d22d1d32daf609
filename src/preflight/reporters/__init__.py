"""Reporters: everything preflight prints, one format per module.

``check`` reports: each format's module exposes
``render(result: RunResult, out: TextIO, *, color=False, verbose=False, rules=None) -> None``
(a format ignores the options it has no use for). ``REPORTERS`` maps a ``--format`` name to a
render function that imports its module only when first called, so importing this package stays
cheap for the CLI. ``RULE_REPORTERS`` (``rules --format``), ``EXPLAIN`` (``explain``) and
``FACTS_REPORTERS`` (``facts --format``) do the same for the other commands.

Reporters own how paths are shown: a RunResult holds the paths its sources read, and
:func:`for_display` makes them relative to the repository, as every format prints them.

This module also holds the small helpers the formats share: the contract ``summary``,
grouping by model (``group_of``) and a stable ordering of results (``sort_key``).
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable, Iterable
from dataclasses import replace
from pathlib import Path
from typing import Any

from preflight.model import Location, Result, Rule, RunResult, Severity, Status

__all__ = [
    "EXPLAIN",
    "FACTS_FORMATS",
    "FACTS_REPORTERS",
    "FORMATS",
    "REPORTERS",
    "RULE_FORMATS",
    "RULE_REPORTERS",
    "for_display",
    "group_of",
    "rule_meta",
    "shown_path",
    "sort_key",
    "subject_path",
    "summary",
]

Renderer = Callable[..., None]

# --format name -> module under preflight.reporters, per command
_MODULES: dict[str, str] = {
    "text": "human",
    "json": "json_report",
    "sarif": "sarif",
    "junit": "junit",
}
_RULE_MODULES: dict[str, str] = {"text": "rules_text", "json": "rules_json", "md": "rules_md"}
_FACTS_MODULES: dict[str, str] = {"json": "facts_json", "text": "facts_text"}

FORMATS: tuple[str, ...] = tuple(_MODULES)
RULE_FORMATS: tuple[str, ...] = tuple(_RULE_MODULES)
FACTS_FORMATS: tuple[str, ...] = tuple(_FACTS_MODULES)


def _lazy(module: str) -> Renderer:
    def render(*args: Any, **options: Any) -> None:
        importlib.import_module(f"{__name__}.{module}").render(*args, **options)

    render.__name__ = f"render_{module}"
    render.__qualname__ = render.__name__
    render.__doc__ = f"Render with preflight.reporters.{module} (imported on use)."
    return render


REPORTERS: dict[str, Renderer] = {name: _lazy(module) for name, module in _MODULES.items()}
RULE_REPORTERS: dict[str, Renderer] = {
    name: _lazy(module) for name, module in _RULE_MODULES.items()
}
FACTS_REPORTERS: dict[str, Renderer] = {
    name: _lazy(module) for name, module in _FACTS_MODULES.items()
}
EXPLAIN: Renderer = _lazy("explain")


def rule_meta(rules: Iterable[Rule]) -> dict[str, dict[str, str]]:
    """What a ``check`` report may say about a rule beyond its results (SARIF's rule list)."""
    return {r.id: {"title": r.title, "why": r.why, "docs": r.docs} for r in rules}


def shown_path(path: str, repo: str) -> str:
    """``path`` as reports show it: relative to ``repo`` by its text, symlinks not followed (a
    model folder linked from elsewhere stays where the repository has it); ``.`` for the
    repository itself. Paths outside the repository stay as given."""
    text = os.path.abspath(path)
    root = os.path.abspath(repo)
    if text == root:
        return "."
    if text.startswith(root.rstrip(os.sep) + os.sep):
        return Path(os.path.relpath(text, root)).as_posix()
    return path


def shown(result: Result, repo: str) -> Result:
    """One result with its location as reports show it (see :func:`shown_path`)."""
    loc = result.location
    if loc is None:
        return result
    return replace(result, location=Location(shown_path(loc.path, repo), loc.line, loc.column))


def for_display(run: RunResult) -> RunResult:
    """The run with every location relative to its repository (see :func:`shown_path`)."""
    return replace(run, results=tuple(shown(res, run.repo) for res in run.results))


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
