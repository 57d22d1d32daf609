"""What the report formats share: path display, the contract summary, grouping and order.

Reporters own how paths are shown: a RunResult holds the paths its sources read, and
:func:`for_display` makes them relative to the repository, as every format prints them.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path
from typing import Any

from preflight.model import Location, Result, Rule, RunResult, Severity, Status
from preflight.paths import display, display_in, relative_to_repo


def rule_meta(rules: Iterable[Rule]) -> dict[str, dict[str, str]]:
    """What a ``check`` report may say about a rule beyond its results (SARIF's rule list)."""
    return {
        r.id: {
            "title": r.title,
            "why": r.why,
            "docs": r.docs,
            "remediation": r.remediation,
            "group": Path(r.source).parent.name if r.source else "",
        }
        for r in rules
    }


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


def group_of(subject: str | Result) -> str:
    """The model a result (or a subject name) belongs to: the model the scan recorded for its
    subject (``Result.model``: an engine folder outside the repository belongs to the model that
    points at it), else the subject's first path component ('' for the repository)."""
    if isinstance(subject, Result):
        return subject.model or subject_path(subject.subject).split("/", 1)[0]
    return subject_path(subject).split("/", 1)[0]


def for_text(run: RunResult, cwd: str | None = None) -> RunResult:
    """The run as the text report shows it: the repository and every location relative to the
    current directory, or absolute outside it, normalised (:func:`preflight.paths.display`).
    Locations hold paths as the sources read them (under the repository as given)."""
    return replace(
        run,
        repo=display(run.repo, cwd),
        results=tuple(_on_screen(res, run.repo, cwd) for res in run.results),
    )


def _on_screen(res: Result, repo: str, cwd: str | None) -> Result:
    loc = res.location
    if loc is None:
        return res
    return replace(res, location=Location(display_in(loc.path, repo, cwd), loc.line, loc.column))


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


# --- CI formats: paths relative to the checkout root, on a file, and a stable identity ---

_LINE_NUMBERS = re.compile(r"(?<=[\w.\]\)'\"]):\d+(?::\d+)?\b|\b(?:line|column|col) \d+\b")


def stable_key(message: str) -> str:
    """A finding's identity beyond rule and path: its message without line and column
    numbers (``config.pbtxt:4:17``, ``line 12``), so an edit above it keeps it the same."""
    text = _LINE_NUMBERS.sub("", message)
    return hashlib.sha256(" ".join(text.split()).encode("utf-8")).hexdigest()[:32]


def identity(res: Result, repo: str) -> tuple[str, str, str]:
    """A finding's identity for baselines and CI fingerprints: its rule, its path relative to
    the repository (its subject when it has none) and :func:`stable_key` of its message; the
    same whatever the line, the current directory or where the checkout is."""
    if res.location is None:
        where = subject_path(res.subject)
    else:
        where = root_relative(absolute(res.location.path, repo), absolute(".", repo))
    return res.rule, where, stable_key(res.message)


def checkout_root(repo: str, given: str | None = None) -> str:
    """The checkout the CI formats' paths are relative to: ``given`` (``--sarif-root``), else
    the nearest folder above the repository holding ``.git``, else the current directory.
    git itself is not run: its configuration in a checked-out repository is not ours to run."""
    if given:
        return os.path.abspath(given)
    here = os.path.abspath(repo)
    while True:
        if os.path.exists(os.path.join(here, ".git")):
            return here
        parent = os.path.dirname(here)
        if parent == here:
            return os.getcwd()
        here = parent


def absolute(path: str, repo: str) -> str:
    """A result path as a file on disk: results hold paths as the sources read them (under
    the repository as given); a path relative to the repository itself is joined to it."""
    if os.path.isabs(path):
        return os.path.normpath(path)
    root = os.path.abspath(repo)
    text = os.path.abspath(path)
    if text == root or text.startswith(root.rstrip(os.sep) + os.sep):
        return text
    return os.path.normpath(os.path.join(root, path))


def on_a_file(path: str, repo: str) -> tuple[str, bool]:
    """Code scanning places a finding on a file. A folder's finding goes to the nearest
    ``config.pbtxt`` at or above it inside the repository (a missing file's to that of the
    folder holding it); ``moved`` tells whether the place changed. Returns absolute paths."""
    if os.path.isfile(path):
        return path, False
    root = os.path.abspath(repo)
    here = path
    while here.startswith(root) and not os.path.isdir(here):
        here = os.path.dirname(here)
    while here.startswith(root):
        config = os.path.join(here, "config.pbtxt")
        if os.path.isfile(config):
            return config, True
        if here == root:
            break
        here = os.path.dirname(here)
    return path, False


def root_relative(path: str, root: str) -> str:
    """An absolute path relative to the checkout root ('/' separators); absolute outside it."""
    if path == root:
        return "."
    if path.startswith(root.rstrip(os.sep) + os.sep):
        return Path(os.path.relpath(path, root)).as_posix()
    return Path(path).as_posix()


def ci_location(res: Result, repo: str, root: str) -> tuple[str, int, int | None, bool]:
    """Where a CI format places a result: (path relative to the checkout root, line >= 1,
    column or None, whether the place moved to a file). A result without a location sits on
    its subject (a model's config.pbtxt, an engine file)."""
    loc = res.location
    raw = loc.path if loc is not None else (subject_path(res.subject) or ".")
    if "://" in repo:  # a repository in object storage: no file of the checkout, the object's URL
        url = raw if "://" in raw else repo.rstrip("/") + ("" if raw == "." else f"/{raw}")
        line = loc.line if loc is not None and loc.line and loc.line >= 1 else 1
        column = loc.column if loc is not None and loc.column and loc.column >= 1 else None
        return url, line, column, False
    where, moved = on_a_file(absolute(raw, repo), repo)
    line = loc.line if loc is not None and not moved and loc.line and loc.line >= 1 else 1
    column = loc.column if loc is not None and not moved and loc.column else None
    return root_relative(where, root), line, column if column and column >= 1 else None, moved
