"""``check --format json``: the machine-readable report of the public contract.

Shape (docs/interface.md): ``preflight_version``, ``repo``, ``target``, ``results`` and
``summary``, keys in that order, indented by 2 with a trailing newline. Each result holds the
contract keys (``rule``, ``name``, ``severity``, ``status``, ``message``, ``location`` when
known) followed by two extensions, ``subject`` and ``remediation``. ``notes`` (run-wide
remarks) is added after ``summary`` only when there are any; ``run`` (the repositories of a
run with several, or one in object storage, and per store the objects listed, requests made and
bytes read) only for such a run.

The module is named ``json_report`` so that it never shadows the standard ``json`` module.
"""

from __future__ import annotations

import json
from typing import Any, TextIO

from preflight.model import Location, Result, RunResult, Target
from preflight.reporters.shared import for_display, summary


def target_dict(target: Target) -> dict[str, Any]:
    """The contract's ``target`` object (``trtllm_version`` only when known, and the plain
    container's TensorRT for ``tensorrt_plan`` models only when it differs)."""
    data: dict[str, Any] = {
        "gpu": target.gpu,
        "compute_capability": target.compute_capability,
        "triton_version": target.triton_version,
        "trt_version": target.trt_version,
    }
    if target.trtllm_version is not None:
        data["trtllm_version"] = target.trtllm_version
    if target.trt_version_plain not in (None, target.trt_version):
        data["trt_version_plain"] = target.trt_version_plain
    return data


def location_dict(location: Location) -> dict[str, Any]:
    data: dict[str, Any] = {"path": location.path}
    if location.line is not None:
        data["line"] = location.line
    if location.column is not None:
        data["column"] = location.column
    return data


def result_dict(res: Result) -> dict[str, Any]:
    data: dict[str, Any] = {
        "rule": res.rule,
        "name": res.name,
        "severity": _text(res.severity),
        "status": _text(res.status),
        "message": res.message,
    }
    if res.location is not None:
        data["location"] = location_dict(res.location)
    data["subject"] = res.subject
    data["remediation"] = res.remediation
    return data


def to_dict(result: RunResult) -> dict[str, Any]:
    """The whole report as plain JSON data, in contract key order."""
    result = for_display(result)
    data: dict[str, Any] = {
        "preflight_version": result.preflight_version,
        "repo": result.repo,
        "target": target_dict(result.target),
        "results": [result_dict(res) for res in result.results],
        "summary": summary(result),
    }
    if result.notes:
        data["notes"] = list(result.notes)
    if result.meta:  # several repositories, or one in object storage: what was read
        data["run"] = dict(result.meta)
    return data


def render(result: RunResult, out: TextIO, **_options: Any) -> None:
    """Write the JSON report. The report options are accepted and ignored: the report always
    lists every result."""
    # ASCII-only output: valid JSON whatever encoding the output stream has.
    out.write(json.dumps(to_dict(result), indent=2))
    out.write("\n")


def _text(value: Any) -> str:
    # Severity and Status are str enums; ``.value`` keeps plain strings plain.
    return str(getattr(value, "value", value))
