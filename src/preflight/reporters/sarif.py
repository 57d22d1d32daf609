"""``check --format sarif``: SARIF 2.1.0 for code scanning.

One run, tool ``preflight``. Decisions:

- ``tool.driver.rules`` lists every rule that produced a result (pass, fail or skip), sorted by
  id: ``id``, ``name``, ``shortDescription`` (the rule title when known, else its name in
  words), ``fullDescription`` (the rule's ``why`` when known, else the short description, as
  code scanning expects one), ``help.text`` (remediation),
  ``helpUri`` (the rule's ``docs`` when known), ``defaultConfiguration.level``.
  Titles, ``why`` and ``docs`` are not part of a result: pass them as
  ``rules={"TLLM003": {"title": ..., "why": ..., "docs": ...}}``.
- ``results`` holds failures only; ``level`` maps error->error, warning->warning, info->note.
- A location is ``artifactLocation`` (the path relative to the source root, percent-encoded,
  with ``uriBaseId: "%SRCROOT%"``) plus a ``region`` only when the line is known (SARIF regions
  need ``startLine >= 1``). A failure without a location points at its subject: a model's
  ``config.pbtxt`` for a model, the subject's own path otherwise; a repository-wide failure
  without a location has none.
- Reports show paths relative to the model repository (:func:`preflight.reporters.for_display`);
  code scanning wants them relative to the checkout. ``srcroot`` is the model repository's path
  inside the checkout: by default the run's ``repo`` when that is a relative path without ``..``
  (``preflight check models/`` run from the checkout root gives ``models/<path>``), else
  nothing. Pass ``srcroot=""`` to keep repository-relative paths.
- ``partialFingerprints["ruleLocationMessageHash/v1"]`` is the SHA-256 of rule id, path and
  message (the repository-relative path), so a finding keeps its identity across runs while
  the line moves.
- Skipped checks are not results: each becomes a note-level
  ``invocations[0].toolExecutionNotifications`` entry (with ``associatedRule``), as do the run
  notes. Passing checks appear only through ``rules``.
- ``run.properties`` carries the deployment target.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from typing import Any, TextIO
from urllib.parse import quote

from preflight.model import Location, Result, RunResult, Severity, Status
from preflight.reporters.shared import for_display, group_of, subject_path, summary

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
SRCROOT = "%SRCROOT%"
FINGERPRINT_KEY = "ruleLocationMessageHash/v1"

LEVELS: dict[Severity, str] = {
    Severity.ERROR: "error",
    Severity.WARNING: "warning",
    Severity.INFO: "note",
}

RuleMeta = Mapping[str, Mapping[str, str]]


def render(
    result: RunResult,
    out: TextIO,
    *,
    color: bool = False,
    verbose: bool = False,
    rules: RuleMeta | None = None,
    srcroot: str | None = None,
) -> None:
    """Write the SARIF log. ``color`` and ``verbose`` are accepted for a uniform signature and
    ignored (passing checks appear through the rule list, skips as notifications)."""
    del color, verbose
    out.write(json.dumps(to_sarif(result, rules, srcroot=srcroot), indent=2))
    out.write("\n")


def to_sarif(
    result: RunResult, rules: RuleMeta | None = None, *, srcroot: str | None = None
) -> dict[str, Any]:
    """The SARIF log as plain JSON data."""
    result = for_display(result)
    meta = rules or {}
    prefix = default_srcroot(result.repo) if srcroot is None else _as_prefix(srcroot)
    descriptors, index = _rules(result.results, meta)
    results = [
        _result(res, index[res.rule], prefix) for res in result.results if res.status == Status.FAIL
    ]
    notifications = [
        _skip_notification(res, index[res.rule], prefix)
        for res in result.results
        if res.status == Status.SKIP
    ]
    notifications.extend({"level": "note", "message": {"text": note}} for note in result.notes)
    target = {
        key: value
        for key, value in (
            ("gpu", result.target.gpu),
            ("compute_capability", result.target.compute_capability),
            ("sm_count", result.target.sm_count),
            ("triton_version", result.target.triton_version),
            ("trt_version", result.target.trt_version),
            ("trtllm_version", result.target.trtllm_version),
        )
        if value is not None
    }
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": "preflight",
                "version": result.preflight_version,
                "semanticVersion": result.preflight_version,
                "rules": descriptors,
            }
        },
        "invocations": [
            {
                "executionSuccessful": True,
                "toolExecutionNotifications": notifications,
            }
        ],
        "originalUriBaseIds": {
            SRCROOT: {"description": {"text": f"The checked model repository: {result.repo}"}}
        },
        "columnKind": "unicodeCodePoints",
        "results": results,
        "properties": {"repo": result.repo, "target": target, "summary": summary(result)},
    }
    return {"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [run]}


def default_srcroot(repo: str) -> str:
    """The repository's place in the checkout when ``repo`` is a plain relative path, else ''."""
    path = repo.replace("\\", "/")
    if path.startswith("/") or re.match(r"^[A-Za-z]:", path):
        return ""
    parts = [part for part in path.split("/") if part not in ("", ".")]
    if ".." in parts:
        return ""
    return _as_prefix("/".join(parts))


def _as_prefix(path: str) -> str:
    path = path.replace("\\", "/").strip("/")
    return f"{path}/" if path and path != "." else ""


def fingerprint(rule: str, path: str, message: str) -> str:
    """Stable across runs: does not depend on line, column or order."""
    digest = hashlib.sha256("\0".join((rule, path, message)).encode("utf-8"))
    return digest.hexdigest()


def _rules(
    results: tuple[Result, ...], meta: RuleMeta
) -> tuple[list[dict[str, Any]], dict[str, int]]:
    first: dict[str, Result] = {}
    for res in results:
        first.setdefault(res.rule, res)
    descriptors: list[dict[str, Any]] = []
    index: dict[str, int] = {}
    for rule_id in sorted(first):
        res = first[rule_id]
        info = meta.get(rule_id, {})
        short = info.get("title") or res.name.replace("-", " ") or rule_id
        descriptor: dict[str, Any] = {
            "id": rule_id,
            "name": res.name,
            "shortDescription": {"text": short},
            "fullDescription": {"text": info.get("why") or short},
        }
        descriptor["help"] = {"text": res.remediation or info.get("title") or res.name}
        if info.get("docs"):
            descriptor["helpUri"] = info["docs"]
        descriptor["defaultConfiguration"] = {"level": LEVELS[Severity(res.severity)]}
        index[rule_id] = len(descriptors)
        descriptors.append(descriptor)
    return descriptors, index


def _result(res: Result, rule_index: int, prefix: str) -> dict[str, Any]:
    location = _location_of(res)
    data: dict[str, Any] = {
        "ruleId": res.rule,
        "ruleIndex": rule_index,
        "level": LEVELS[Severity(res.severity)],
        "message": {"text": res.message or res.name},
    }
    if location is not None:
        data["locations"] = [_physical(location, prefix)]
    data["partialFingerprints"] = {
        FINGERPRINT_KEY: fingerprint(res.rule, location.path if location else "", res.message)
    }
    if res.subject:
        data["properties"] = {"subject": res.subject}
    return data


def _skip_notification(res: Result, rule_index: int, prefix: str) -> dict[str, Any]:
    data: dict[str, Any] = {
        "level": "note",
        "message": {"text": f"{res.rule} {res.name} skipped: {res.message}"},
        "associatedRule": {"id": res.rule, "index": rule_index},
    }
    # Only a real location: a skipped check's artifact may well be missing.
    if res.location is not None:
        data["locations"] = [_physical(res.location, prefix)]
    return data


def _location_of(res: Result) -> Location | None:
    if res.location is not None:
        return res.location
    subject = subject_path(res.subject)
    if not subject:
        return None
    if subject == group_of(subject):
        # A model folder: point at its config, line 1, as code scanning wants a file.
        return Location(path=f"{subject}/config.pbtxt", line=1)
    return Location(path=subject)


def _physical(location: Location, prefix: str) -> dict[str, Any]:
    path = location.path.replace("\\", "/").lstrip("/")
    path = prefix + path if path not in ("", ".") else (prefix.rstrip("/") or ".")
    physical: dict[str, Any] = {
        "artifactLocation": {"uri": quote(path, safe="/"), "uriBaseId": SRCROOT}
    }
    if location.line is not None and location.line >= 1:
        region: dict[str, int] = {"startLine": location.line}
        if location.column is not None and location.column >= 1:
            region["startColumn"] = location.column
        physical["region"] = region
    return {"physicalLocation": physical}
