"""``check --format junit``: JUnit XML for CI test report views.

``<testsuites name="preflight">`` holds one ``<testsuite>`` per model (the first path
component of the subject; repository-wide results form a suite named after the repository),
one ``<testcase>`` per result with ``classname`` = the subject (the repository for
repository-wide results) and ``name`` = ``"RULEID rule-name"``:

- fail: ``<failure message=... type=severity>`` whose text is the location, the message and
  ``fix: remediation``;
- skip: ``<skipped message=reason/>``;
- pass: an empty test case.

When one rule reports several results for the same subject (one per list item), the location
is appended to each name (``"TLLM010 name [path:line]"``) so report views that de-duplicate
by (classname, name) keep them all. Counts (``tests``, ``failures``, ``errors`` (always 0),
``skipped``) sit on every suite and on ``<testsuites>``; ``time`` is 0, nothing is timed.
Characters XML 1.0 cannot hold (control characters, lone surrogates) are stripped.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Mapping
from typing import TextIO

from preflight.model import Result, RunResult, Status
from preflight.reporters.shared import for_display, group_of, subject_path

# Everything outside XML 1.0's Char production.
_NOT_XML = re.compile("[^\x09\x0a\x0d\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def render(
    result: RunResult,
    out: TextIO,
    *,
    color: bool = False,
    verbose: bool = False,
    rules: Mapping[str, Mapping[str, str]] | None = None,
) -> None:
    """Write the JUnit XML report. The options are accepted for a uniform signature and
    ignored: every result is a test case."""
    del color, verbose, rules
    root = to_element(result)
    ET.indent(root, space="  ")
    out.write('<?xml version="1.0" encoding="UTF-8"?>\n')
    out.write(ET.tostring(root, encoding="unicode"))
    out.write("\n")


def to_element(result: RunResult) -> ET.Element:
    """The report as an element tree rooted at ``<testsuites>``."""
    result = for_display(result)
    repo = _xml(result.repo) or "repository"
    suites: dict[str, list[Result]] = {}
    for res in result.results:
        suites.setdefault(group_of(res.subject), []).append(res)

    root = ET.Element("testsuites", {"name": "preflight"})
    totals: Counter[str] = Counter()
    for group in sorted(suites):
        members = suites[group]
        suite = ET.SubElement(root, "testsuite", {"name": _xml(group) or repo})
        counts = Counter(Status(res.status).value for res in members)
        _set_counts(suite, len(members), counts)
        totals.update(counts)
        names = Counter((res.subject, _case_name(res)) for res in members)
        for res in members:
            _testcase(suite, res, repo, duplicate=names[(res.subject, _case_name(res))] > 1)
    _set_counts(root, len(result.results), totals)
    return root


def _set_counts(element: ET.Element, tests: int, counts: Counter[str]) -> None:
    element.set("tests", str(tests))
    element.set("failures", str(counts[Status.FAIL.value]))
    element.set("errors", "0")
    element.set("skipped", str(counts[Status.SKIP.value]))
    element.set("time", "0")


def _case_name(res: Result) -> str:
    return f"{res.rule} {res.name}".strip()


def _where(res: Result) -> str:
    loc = res.location
    if loc is None:
        return res.subject
    where = loc.path
    if loc.line is not None:
        where += f":{loc.line}"
        if loc.column is not None:
            where += f":{loc.column}"
    return where


def _testcase(suite: ET.Element, res: Result, repo: str, *, duplicate: bool) -> None:
    name = _case_name(res)
    if duplicate and _where(res):
        name += f" [{_where(res)}]"
    attrs = {"classname": _xml(subject_path(res.subject)) or repo, "name": _xml(name), "time": "0"}
    if res.location is not None and res.location.path:
        attrs["file"] = _xml(res.location.path)
    case = ET.SubElement(suite, "testcase", attrs)

    status = Status(res.status)
    if status == Status.FAIL:
        failure = ET.SubElement(
            case,
            "failure",
            {
                "message": _xml(res.message),
                "type": _xml(str(getattr(res.severity, "value", res.severity))),
            },
        )
        body = [f"{_where(res)}: {res.message}" if _where(res) else res.message]
        if res.remediation:
            body.append(f"fix: {res.remediation}")
        failure.text = _xml("\n".join(body))
    elif status == Status.SKIP:
        ET.SubElement(case, "skipped", {"message": _xml(res.message)})


def _xml(text: str) -> str:
    return _NOT_XML.sub("", text)
