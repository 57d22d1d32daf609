"""A baseline: findings a repository already has, recorded so that only new ones fail.

``check --write-baseline FILE`` records every failing result; ``check --baseline FILE``
reports a failure found in it as known (status ``skip``, ``known (in the baseline FILE): ...``
before its message) and lets every other failure fail as usual. A finding is matched by its
rule, its path relative to the repository and a stable key (:func:`stable_key`: the message
without line and column numbers), never by line, so an edit above a finding keeps it known;
two identical findings need two entries.

The file is JSON, sorted, one entry per finding::

    {"version": 1, "findings": [{"rule": "TLLM003", "path": "tensorrt_llm/1/config.json",
      "key": "…", "message": "…"}]}
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import replace
from pathlib import Path
from typing import Any

from .errors import PreflightError
from .model import Result, Status
from .reporters.shared import identity

VERSION = 1
Entry = tuple[str, str, str]  # rule, path, key


class BaselineError(PreflightError):
    """A baseline file that cannot be read or written."""


def entry(result: Result, repo: str) -> Entry:
    return identity(result, repo)


def write(path: Path, results: list[Result], repo: str) -> int:
    """Record the failing results; returns how many."""
    rows = sorted(
        ((*entry(r, repo), r.message) for r in results if r.status is Status.FAIL),
    )
    data = {
        "version": VERSION,
        "findings": [
            {"rule": rule, "path": where, "key": key, "message": message}
            for rule, where, key, message in rows
        ],
    }
    try:
        path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    except OSError as exc:
        raise BaselineError(f"{path}: cannot write the baseline: {exc.strerror}") from None
    return len(rows)


def read(path: Path) -> Counter[Entry]:
    try:
        data: Any = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise BaselineError(f"{path}: cannot read the baseline: {exc.strerror}") from None
    except ValueError as exc:
        raise BaselineError(f"{path}: not a baseline (invalid JSON: {exc})") from None
    findings = data.get("findings") if isinstance(data, dict) else None
    if not isinstance(findings, list) or data.get("version") != VERSION:
        raise BaselineError(
            f"{path}: not a preflight baseline (expected version {VERSION} and findings; "
            "write one with --write-baseline)"
        )
    known: Counter[Entry] = Counter()
    for index, item in enumerate(findings):
        if not isinstance(item, dict) or not all(
            isinstance(item.get(k), str) for k in ("rule", "path", "key")
        ):
            raise BaselineError(f"{path}: findings[{index}]: expected rule, path and key")
        known[(item["rule"], item["path"], item["key"])] += 1
    return known


def apply(results: list[Result], known: Counter[Entry], repo: str, name: str) -> list[Result]:
    """Failures found in the baseline become known (skip); each entry covers one finding."""
    left = Counter(known)
    out = []
    for result in results:
        if result.status is Status.FAIL:
            key = entry(result, repo)
            if left[key] > 0:
                left[key] -= 1
                message = f"known (in the baseline {name}): {result.message}"
                result = replace(result, status=Status.SKIP, message=message)
        out.append(result)
    return out
