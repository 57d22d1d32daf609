"""``check --format gitlab``: a GitLab Code Quality report (``artifacts:reports:codequality``).

A JSON array, one object per failing result, with the keys GitLab reads: ``description``
(rule id and message), ``check_name`` (the rule id), ``fingerprint`` (unique per finding and
stable across runs: rule, repository-relative path, the message without line numbers and
an occurrence count; never the line), ``severity`` (error -> ``critical``, warning ->
``minor``, info -> ``info``) and ``location.path`` relative to the checkout root (``root``,
as for SARIF) with ``location.lines.begin`` >= 1. Also ``type: "issue"``, ``categories``
and ``content.body`` (the remediation) from the Code Climate spec GitLab's format follows.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from typing import Any, TextIO

from preflight.model import RunResult, Severity, Status
from preflight.reporters.shared import checkout_root, ci_location, identity, sort_key

SEVERITIES: dict[Severity, str] = {
    Severity.ERROR: "critical",
    Severity.WARNING: "minor",
    Severity.INFO: "info",
}


def render(result: RunResult, out: TextIO, *, root: str | None = None, **_options: Any) -> None:
    """Write the Code Quality report; other options are ignored."""
    out.write(json.dumps(to_list(result, root=root), indent=2))
    out.write("\n")


def to_list(result: RunResult, *, root: str | None = None) -> list[dict[str, Any]]:
    base = checkout_root(result.repo, root)
    seen: Counter[str] = Counter()
    issues = []
    for res in sorted((r for r in result.results if r.status == Status.FAIL), key=sort_key):
        path, line, _column, _moved = ci_location(res, result.repo, base)
        key = "\0".join(identity(res, result.repo))
        seen[key] += 1
        issue: dict[str, Any] = {
            "type": "issue",
            "check_name": res.rule,
            "description": f"{res.rule} {res.message or res.name}",
            "categories": ["Bug Risk"],
            "severity": SEVERITIES[Severity(res.severity)],
            "fingerprint": hashlib.sha256(f"{key}\0{seen[key]}".encode()).hexdigest(),
            "location": {"path": path, "lines": {"begin": line}},
        }
        if res.remediation:
            issue["content"] = {"body": res.remediation}
        issues.append(issue)
    return issues
