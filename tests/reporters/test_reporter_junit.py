from __future__ import annotations

import io
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
import xmlschema
from reporter_sample import AWKWARD, check_golden

from preflight.model import Location, Result, RunResult, Severity, Status, Target
from preflight.reporters import junit

ROOT = Path(__file__).resolve().parents[2]
# Jenkins xUnit plugin's JUnit schema (provenance in the file).
XSD = ROOT / "tests" / "data" / "junit-10.xsd"
P = "examples/model_repo/"


@pytest.fixture(autouse=True)
def _in_the_checkout(monkeypatch: pytest.MonkeyPatch) -> None:
    """File paths are relative to the checkout root: run from this checkout."""
    monkeypatch.chdir(ROOT)


@pytest.fixture(scope="module")
def schema() -> xmlschema.XMLSchema:
    return xmlschema.XMLSchema(str(XSD))


def _render(run: RunResult, **options: Any) -> str:
    options.setdefault("root", str(ROOT))
    buf = io.StringIO()
    junit.render(run, buf, **options)
    return buf.getvalue()


def test_golden(run: RunResult) -> None:
    check_golden("report.junit.xml", _render(run))


def test_valid_against_the_jenkins_junit_schema(
    run: RunResult, schema: xmlschema.XMLSchema
) -> None:
    schema.validate(_render(run))
    schema.validate(_render(run, fail_on=Severity.WARNING))
    schema.validate(_render(RunResult("0.1.0", "repo", Target(), ())))


def test_the_schema_catches_a_broken_report(run: RunResult, schema: xmlschema.XMLSchema) -> None:
    root = ET.fromstring(_render(run))
    root.set("skipped", "2")  # not an attribute of <testsuites> in the schema
    assert not schema.is_valid(ET.tostring(root, encoding="unicode"))


def test_parses_back_with_counts(run: RunResult) -> None:
    text = _render(run)
    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?>\n<testsuites')
    root = ET.fromstring(text.encode("utf-8"))
    assert root.tag == "testsuites"
    # failures: the errors only (warnings and infos are not failures unless asked)
    assert (root.get("tests"), root.get("failures"), root.get("errors")) == ("12", "4", "0")
    suites = root.findall("testsuite")
    assert [s.get("name") for s in suites] == [
        "examples/model_repo",
        "preprocessing",
        "tensorrt_llm",
    ]
    for suite in suites:
        cases = suite.findall("testcase")
        assert suite.get("tests") == str(len(cases))
        assert suite.get("failures") == str(sum(c.find("failure") is not None for c in cases))
        assert suite.get("skipped") == str(sum(c.find("skipped") is not None for c in cases))
    assert sum(int(s.get("tests", "0")) for s in suites) == len(run.results)


def test_warnings_fail_only_when_asked(run: RunResult) -> None:
    def case(text: str) -> ET.Element:
        return next(
            c
            for c in ET.fromstring(text).iter("testcase")
            if c.get("name") == "TRITON010 batch-size-exceeds-engine"
        )

    default = case(_render(run))
    assert default.find("failure") is None
    out = default.find("system-out")
    assert out is not None and (out.text or "").startswith("warning: ")
    asked = case(_render(run, fail_on=Severity.WARNING))
    assert asked.find("failure") is not None
    assert ET.fromstring(_render(run, fail_on="info")).get("failures") == "6"


def test_testcases(run: RunResult) -> None:
    root = ET.fromstring(_render(run))
    cases = {(c.get("classname"), c.get("name")): c for c in root.iter("testcase")}
    fail = cases[("tensorrt_llm", "TLLM003 remove-input-padding")]
    failure = fail.find("failure")
    assert failure is not None
    assert failure.get("type") == "error"
    assert failure.get("message") == "tensorrt_llm: remove_input_padding is False"
    assert failure.text == (
        f"{P}tensorrt_llm/1/build.log:17: tensorrt_llm: remove_input_padding is False\n"
        "fix: Rebuild with `trtllm-build --remove_input_padding enable`."
    )
    # relative to the checkout root, as Jenkins and GitLab link files
    assert fail.get("file") == f"{P}tensorrt_llm/1/build.log"
    assert fail.get("line") == "17"
    # Jenkins splits a class name at its last dot: none is left in it
    skip = cases[("tensorrt_llm/1/rank0_engine", "TRT004 engine-deserializes")]
    skipped = skip.find("skipped")
    assert skipped is not None
    assert skipped.get("message") == "TensorRT is not installed; engine deserialization not checked"
    passed = cases[("preprocessing", "TRITON001 config-parses")]
    assert list(passed) == []
    repo_wide = cases[("examples/model_repo", "TRITON030 no-stray-folders")]
    assert list(repo_wide) == []
    assert all("." not in (c.get("classname") or "") for c in root.iter("testcase"))


def test_class_name_with_dots() -> None:
    res = Result("TRT001", "x", Severity.ERROR, Status.FAIL, "m", "llama.3.1/1/rank0.engine")
    root = ET.fromstring(_render(RunResult("0.1.0", "repo", Target(), (res,))))
    [case] = root.iter("testcase")
    assert case.get("classname") == "llama_3_1/1/rank0_engine"


def test_escaping_and_control_characters(run: RunResult) -> None:
    text = _render(run, fail_on=Severity.WARNING)
    assert "\x07" not in text and "\x1b" not in text
    root = ET.fromstring(text)
    warning = next(
        c for c in root.iter("testcase") if c.get("name") == "TRITON010 batch-size-exceeds-engine"
    )
    failure = warning.find("failure")
    assert failure is not None
    assert failure.get("message") == AWKWARD
    assert failure.get("type") == "warning"
    assert "Lower max_batch_size in config.pbtxt to <= 8 & rebuild." in (failure.text or "")


def test_duplicate_names_are_told_apart(run: RunResult) -> None:
    root = ET.fromstring(_render(run))
    names = [(c.get("classname"), c.get("name")) for c in root.iter("testcase")]
    assert len(names) == len(set(names))
    assert ("tensorrt_llm", f"TLLM010 no-fatal-errors [{P}tensorrt_llm/1/build.log:130]") in names
    assert ("tensorrt_llm", f"TLLM010 no-fatal-errors [{P}tensorrt_llm/1/build.log:131]") in names


def test_a_location_outside_the_repository_files_is_kept() -> None:
    res = Result("TRT001", "x", Severity.ERROR, Status.FAIL, "m", "a", Location("/srv/x.log", 3))
    root = ET.fromstring(_render(RunResult("0.1.0", "repo", Target(), (res,))))
    [case] = root.iter("testcase")
    assert case.get("file") == "/srv/x.log"
