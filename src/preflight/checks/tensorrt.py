"""TensorRT engines against the TensorRT and GPU that will load them, and against their manifest."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..model import Facts, Location, Problem
from . import MissingFact, check, problem

# deserialize.status values that say whether TensorRT accepted the plan
_JUDGED = ("ok", "failed", "crashed", "timeout")


@check(
    "tensorrt.deserializes",
    requires=("deserialize.status",),
    kinds=("failed", "not-run"),
)
def deserializes(facts: Facts, params: Mapping[str, Any]) -> list[Problem]:
    """TensorRT deserialized the plan in a child process (``--deserialize``).

    ``failed``: it failed, crashed or timed out; ``not-run``: it could not be tried (no
    TensorRT, no GPU) while the run requires it (``--require-deserialize``). When it could not
    be tried and nothing requires it, the check cannot judge.
    """
    status = facts["deserialize.status"]
    required = facts.get("scan.require_deserialize")
    if status.value == "skipped" and required is not None and required.value is True:
        return [problem("not-run", status.location)]
    if status.value not in _JUDGED:
        raise MissingFact("deserialize.ok")
    if status.value == "ok":
        return []
    return [problem("failed", status.location)]


@check(
    "tensorrt.manifest-matches",
    requires=("manifest.entries",),
    kinds=(
        "manifest-unreadable",
        "manifest-not-json",
        "not-a-manifest",
        "manifest-bad-files",
        "bad-name",
        "incomplete-entry",
        "missing",
        "size",
        "unreadable",
        "sha256",
        "not-listed",
    ),
)
def manifest_matches(facts: Facts, params: Mapping[str, Any]) -> list[Problem]:
    """Every file the manifest lists has its size and SHA-256, and every plan file is listed.

    The manifest itself: ``manifest-unreadable`` / ``manifest-not-json`` (``detail``),
    ``not-a-manifest``, ``manifest-bad-files``. Per entry (``name``): ``bad-name`` (a name that
    could lead out of the directory; ``quoted`` shows it escaped), ``incomplete-entry`` (no size
    or sha256), ``missing``, ``size`` (``size`` against ``listed_size``), ``unreadable``
    (``error``), ``sha256`` (``sha256`` against ``listed_sha256``); per plan file the manifest
    does not list: ``not-listed``. Problems come in path order.
    """
    entries = facts["manifest.entries"]
    error = facts.get("manifest.error")
    if error is not None and isinstance(error.value, dict):
        kind = str(error.value.get("kind"))
        kinds = {"unreadable": "manifest-unreadable", "not-json": "manifest-not-json"}
        kind = kinds.get(kind, "manifest-bad-files" if kind == "bad-files" else "not-a-manifest")
        return [problem(kind, error.location, detail=error.value.get("detail"))]
    found: list[tuple[str, str, Problem]] = []
    for item in entries.value if isinstance(entries.value, list) else []:
        judged = _entry(item)
        if judged is not None:
            found.append((str(item.get("path")), str(item.get("name")), judged))
    unlisted = facts.get("manifest.unlisted")
    for item in unlisted.value if unlisted is not None else []:
        where = Location(str(item.get("path")))
        found.append((where.path, str(item.get("name")), problem("not-listed", where, **item)))
    return [judged for _, _, judged in sorted(found, key=lambda f: (f[0], f[1]))]


def _entry(item: Mapping[str, Any]) -> Problem | None:
    """What is wrong with one manifest entry and its file, if anything."""
    name = item.get("name")
    where = Location(str(item.get("path")))
    if not item.get("safe_name"):
        # quoted as Python does, so that a NUL or a newline in the name stays visible
        return problem("bad-name", where, name=name, quoted=repr(name))
    listed_size, listed_sha256 = item.get("listed_size"), item.get("listed_sha256")
    if not isinstance(listed_size, int) or not isinstance(listed_sha256, str):
        return problem("incomplete-entry", where, name=name)
    fields = {"name": name, "listed_size": listed_size, "listed_sha256": listed_sha256.lower()}
    if item.get("size") is None:
        return problem("missing", where, **fields)
    if item["size"] != listed_size:
        return problem("size", where, size=item["size"], **fields)
    if "read_error" in item:
        return problem("unreadable", where, error=item["read_error"], **fields)
    if item.get("sha256_unchecked") is True:  # remote, without --verify-hashes: sizes only
        return None
    if item.get("sha256") != listed_sha256.lower():
        return problem("sha256", where, sha256=item.get("sha256"), **fields)
    return None
