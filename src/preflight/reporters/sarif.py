"""``check --format sarif``: SARIF 2.1.0 as GitHub code scanning ingests it.

One run, tool ``preflight``. Decisions:

- ``tool.driver.rules`` lists every rule that produced a result (pass, fail or skip), sorted by
  id: ``id``, ``name``, ``shortDescription`` (the rule title when known, else its name in
  words), ``fullDescription`` (the rule's ``why`` when known, else the short description),
  ``help.text`` and ``help.markdown`` (title, remediation, why, docs link), ``helpUri`` (the
  rule's ``docs``), ``defaultConfiguration.level`` and ``properties``: ``tags`` (the rule's
  group, such as ``triton``, and ``triton-model-repository``), ``precision`` (``very-high``:
  each rule reads a fact, it does not guess) and ``problem.severity`` (error, warning,
  recommendation). Titles, ``why``, ``docs`` and groups are not part of a result: pass them
  as ``rules={"TLLM003": {"title": ..., "why": ..., "docs": ..., "group": ...}}``.
- ``results`` holds failures only; ``level`` maps error->error, warning->warning, info->note.
- Every result sits on a file with ``region.startLine >= 1``, as code scanning drops or
  misplaces anything else: a finding without a line (a binary engine, a missing file) is on
  line 1; a finding on a folder, or on a file that is missing, is placed on the nearest
  ``config.pbtxt`` at or above it (:func:`preflight.reporters.shared.on_a_file`), and its
  message names the original place.
- URIs are relative to the checkout root (``root``: ``--sarif-root``, else the folder holding
  ``.git`` above the repository, else the current directory), percent-encoded, with
  ``uriBaseId: "%SRCROOT%"``.
- ``partialFingerprints``: ``primaryLocationLineHash`` (what GitHub matches alerts by across
  commits) and ``ruleLocationMessageHash/v1``, both from rule id, repository-relative path
  and the message without line numbers (:func:`preflight.reporters.shared.stable_key`), so a
  finding keeps its identity while its line moves.
- Skipped checks are not results: each becomes a note-level
  ``invocations[0].toolExecutionNotifications`` entry (with ``associatedRule``), as do the run
  notes. Passing checks appear only through ``rules``.
- ``run.properties`` carries the deployment target.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Mapping
from typing import Any, TextIO
from urllib.parse import quote

from preflight.model import Result, RunResult, Severity, Status
from preflight.reporters.shared import (
    absolute,
    checkout_root,
    ci_location,
    identity,
    root_relative,
    stable_key,
    subject_path,
    summary,
)

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
SRCROOT = "%SRCROOT%"
FINGERPRINT_KEY = "ruleLocationMessageHash/v1"
LINE_HASH_KEY = "primaryLocationLineHash"

LEVELS: dict[Severity, str] = {
    Severity.ERROR: "error",
    Severity.WARNING: "warning",
    Severity.INFO: "note",
}
PROBLEM_SEVERITY: dict[Severity, str] = {
    Severity.ERROR: "error",
    Severity.WARNING: "warning",
    Severity.INFO: "recommendation",
}

RuleMeta = Mapping[str, Mapping[str, str]]


def render(
    result: RunResult,
    out: TextIO,
    *,
    rules: RuleMeta | None = None,
    root: str | None = None,
    **_options: Any,
) -> None:
    """Write the SARIF log. The other report options are accepted and ignored (passing checks
    appear through the rule list, skips as notifications)."""
    out.write(json.dumps(to_sarif(result, rules, root=root), indent=2))
    out.write("\n")


def to_sarif(
    result: RunResult, rules: RuleMeta | None = None, *, root: str | None = None
) -> dict[str, Any]:
    """The SARIF log as plain JSON data; ``root`` is the checkout root (see the module)."""
    meta = rules or {}
    base = checkout_root(result.repo, root)
    descriptors, index = _rules(result.results, meta)
    seen: Counter[str] = Counter()
    results = [
        _result(res, index[res.rule], result.repo, base, seen)
        for res in result.results
        if res.status == Status.FAIL
    ]
    notifications = [
        _skip_notification(res, index[res.rule], result.repo, base)
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
        # No absolute uri here: the log stays the same on every runner.
        "originalUriBaseIds": {
            SRCROOT: {"description": {"text": "The checkout root (a folder holding .git)"}}
        },
        "columnKind": "unicodeCodePoints",
        "results": results,
        "properties": {"repo": result.repo, "target": target, "summary": summary(result)},
    }
    return {"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [run]}


def fingerprint(rule: str, path: str, message: str) -> str:
    """Stable across runs: does not depend on line, column, order or line numbers in the
    message."""
    digest = hashlib.sha256("\0".join((rule, path, stable_key(message))).encode("utf-8"))
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
        fix = res.remediation or info.get("remediation") or ""
        severity = Severity(res.severity)
        descriptor: dict[str, Any] = {
            "id": rule_id,
            "name": res.name,
            "shortDescription": {"text": short},
            "fullDescription": {"text": info.get("why") or short},
            "help": {"text": fix or short, "markdown": _help_markdown(rule_id, short, fix, info)},
        }
        if info.get("docs"):
            descriptor["helpUri"] = info["docs"]
        descriptor["defaultConfiguration"] = {"level": LEVELS[severity]}
        tags = ["triton-model-repository"]
        if info.get("group"):
            tags.insert(0, info["group"])
        descriptor["properties"] = {
            "tags": tags,
            "precision": "very-high",
            "problem.severity": PROBLEM_SEVERITY[severity],
        }
        index[rule_id] = len(descriptors)
        descriptors.append(descriptor)
    return descriptors, index


def _help_markdown(rule_id: str, title: str, fix: str, info: Mapping[str, str]) -> str:
    parts = [f"**{rule_id}**: {title}"]
    if fix:
        parts.append(f"**How to fix:** {fix.strip()}")
    if info.get("why"):
        parts.append(f"**Why:** {info['why'].strip()}")
    if info.get("docs"):
        parts.append(f"[Documentation]({info['docs']})")
    return "\n\n".join(parts)


def _result(
    res: Result, rule_index: int, repo: str, root: str, seen: Counter[str]
) -> dict[str, Any]:
    path, line, column, moved = ci_location(res, repo, root)
    message = res.message or res.name
    if moved:
        message += f" (at {_original_place(res, repo, root)})"
    data: dict[str, Any] = {
        "ruleId": res.rule,
        "ruleIndex": rule_index,
        "level": LEVELS[Severity(res.severity)],
        "message": {"text": message},
        "locations": [_physical(path, line, column)],
    }
    _rule, where, _key = identity(res, repo)  # the path as baselines and GitLab see it
    digest = fingerprint(res.rule, where, res.message)
    seen[digest] += 1
    data["partialFingerprints"] = {
        LINE_HASH_KEY: f"{digest[:16]}:{seen[digest]}",
        FINGERPRINT_KEY: digest,
    }
    if res.subject:
        data["properties"] = {"subject": res.subject}
    return data


def _original_place(res: Result, repo: str, root: str) -> str:
    raw = res.location.path if res.location is not None else subject_path(res.subject) or "."
    return root_relative(absolute(raw, repo), root)


def _skip_notification(res: Result, rule_index: int, repo: str, root: str) -> dict[str, Any]:
    data: dict[str, Any] = {
        "level": "note",
        "message": {"text": f"{res.rule} {res.name} skipped: {res.message}"},
        "associatedRule": {"id": res.rule, "index": rule_index},
    }
    # Only a real location: a skipped check's artifact may well be missing.
    if res.location is not None:
        path, line, column, _moved = ci_location(res, repo, root)
        data["locations"] = [_physical(path, line, column)]
    return data


def _artifact(path: str) -> dict[str, str]:
    """A file of the checkout (relative to %SRCROOT%), or an object's URL as it is."""
    if "://" in path:
        scheme, _, rest = path.partition("://")
        return {"uri": f"{scheme}://{quote(rest, safe='/:')}"}
    return {"uri": quote(path, safe="/"), "uriBaseId": SRCROOT}


def _physical(path: str, line: int, column: int | None) -> dict[str, Any]:
    region: dict[str, int] = {"startLine": line}
    if column is not None:
        region["startColumn"] = column
    return {
        "physicalLocation": {
            "artifactLocation": _artifact(path),
            "region": region,
        }
    }
