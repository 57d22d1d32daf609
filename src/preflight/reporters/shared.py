"""What the report formats share: path display, the contract summary, grouping and order.

Reporters own how paths are shown: a RunResult holds the paths its sources read, and
:func:`for_display` makes them relative to the repository, as every format prints them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from typing import Any

from preflight.model import Location, Result, Rule, RunResult, Severity, Status
from preflight.paths import relative_to_repo


def rule_meta(rules: Iterable[Rule]) -> dict[str, dict[str, str]]:
    """What a ``check`` report may say about a rule beyond its results (SARIF's rule list)."""
    return {r.id: {"title": r.title, "why": r.why, "docs": r.docs} for r in rules}


def shown_path(path: str, repo: str) -> str:
    """``path`` as reports show it (:func:`preflight.paths.relative_to_repo`)."""
    return relative_to_repo(path, repo)


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
