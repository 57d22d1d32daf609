"""``check --format junit``: JUnit XML as Jenkins and GitLab read it.

Valid against the JUnit schema of Jenkins' xUnit plugin (``tests/data/junit-10.xsd``).
``<testsuites name="preflight">`` holds one ``<testsuite>`` per model (the first path
component of the subject; repository-wide results form a suite named after the repository),
one ``<testcase>`` per result with ``name`` = ``"RULEID rule-name"`` and ``classname`` = the
subject (the repository for repository-wide results) with its dots written ``_``: Jenkins
splits a class name at its last dot into package and class, which would turn
``tensorrt_llm/1/rank0.engine`` into a class ``engine``.

- fail at or above ``fail_on`` (``--fail-on``, ``error`` by default):
  ``<failure message=... type=severity>`` whose text is the location, the message and
  ``fix: remediation``;
- fail below it (a warning, unless ``--fail-on warning``): a passing test case whose
  ``<system-out>`` holds the same text, so that the report's verdict is the run's;
- skip: ``<skipped message=reason/>``;
- pass: an empty test case.

``file`` (and ``line``) name the finding's place relative to the checkout root (``root``, as
for SARIF). When one rule reports several results for the same subject (one per list item),
the location is appended to each name (``"TLLM010 name [path:line]"``) so report views that
de-duplicate by (classname, name) keep them all. Counts (``tests``, ``failures``, ``errors``
(always 0), ``skipped`` on suites) sit on every suite and on ``<testsuites>``; ``time`` is 0,
nothing is timed. Characters XML 1.0 cannot hold (control characters, lone surrogates) are
stripped.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections import Counter
from typing import Any, TextIO

from preflight.model import Result, RunResult, Severity, Status
from preflight.reporters.shared import checkout_root, ci_location, group_of, subject_path

# Everything outside XML 1.0's Char production.
_NOT_XML = re.compile("[^\x09\x0a\x0d\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def render(
    result: RunResult,
    out: TextIO,
    *,
    root: str | None = None,
    fail_on: Severity | str = Severity.ERROR,
    **_options: Any,
) -> None:
    """Write the JUnit XML report. The other report options are accepted and ignored: every
    result is a test case."""
    element = to_element(result, root=root, fail_on=Severity(fail_on))
    ET.indent(element, space="  ")
    out.write('<?xml version="1.0" encoding="UTF-8"?>\n')
    out.write(ET.tostring(element, encoding="unicode"))
    out.write("\n")


def to_element(
    result: RunResult, *, root: str | None = None, fail_on: Severity = Severity.ERROR
) -> ET.Element:
    """The report as an element tree rooted at ``<testsuites>``."""
    base = checkout_root(result.repo, root)
    repo = _xml(result.repo) or "repository"
    suites: dict[str, list[Result]] = {}
    for res in result.results:
        suites.setdefault(group_of(res), []).append(res)

    top = ET.Element("testsuites", {"name": "preflight"})
    totals: Counter[str] = Counter()
    for group in sorted(suites):
        members = suites[group]
        suite = ET.SubElement(top, "testsuite", {"name": _xml(group) or repo})
        counts = Counter(_verdict(res, fail_on) for res in members)
        _set_counts(suite, len(members), counts)
        suite.set("skipped", str(counts["skip"]))
        totals.update(counts)
        names = Counter((res.subject, _case_name(res)) for res in members)
        for res in members:
            duplicate = names[(res.subject, _case_name(res))] > 1
            _testcase(suite, res, result.repo, base, fail_on, duplicate=duplicate)
    _set_counts(top, len(result.results), totals)  # the schema has no skipped here
    return top


def _verdict(res: Result, fail_on: Severity) -> str:
    status = Status(res.status)
    if status == Status.FAIL:
        return "fail" if Severity(res.severity).rank >= fail_on.rank else "pass"
    return str(status.value)


def _set_counts(element: ET.Element, tests: int, counts: Counter[str]) -> None:
    element.set("tests", str(tests))
    element.set("failures", str(counts["fail"]))
    element.set("errors", "0")
    element.set("time", "0")


def _case_name(res: Result) -> str:
    return f"{res.rule} {res.name}".strip()


def _class_name(res: Result, repo: str) -> str:
    return (_xml(subject_path(res.subject)) or repo).replace(".", "_")


def _testcase(
    suite: ET.Element,
    res: Result,
    repo: str,
    root: str,
    fail_on: Severity,
    *,
    duplicate: bool,
) -> None:
    path, line, _column, moved = ci_location(res, repo, root)
    has_line = res.location is not None and not moved and bool(res.location.line)
    where = f"{path}:{line}" if has_line else path
    name = _case_name(res)
    if duplicate:
        name += f" [{where}]"
    attrs = {"classname": _class_name(res, repo), "name": _xml(name), "time": "0"}
    attrs["file"] = _xml(path)
    if has_line:
        attrs["line"] = str(line)
    case = ET.SubElement(suite, "testcase", attrs)

    verdict = _verdict(res, fail_on)
    status = Status(res.status)
    body = [f"{where}: {res.message}"]
    if res.remediation:
        body.append(f"fix: {res.remediation}")
    severity = str(getattr(res.severity, "value", res.severity))
    if verdict == "fail":
        failure = ET.SubElement(case, "failure", {"message": _xml(res.message), "type": severity})
        failure.text = _xml("\n".join(body))
    elif status == Status.FAIL:  # below --fail-on: reported, not failed
        ET.SubElement(case, "system-out").text = _xml(f"{severity}: " + "\n".join(body))
    elif status == Status.SKIP:
        ET.SubElement(case, "skipped", {"message": _xml(res.message)})


def _xml(text: str) -> str:
    return _NOT_XML.sub("", text)
