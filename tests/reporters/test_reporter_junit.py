from __future__ import annotations

import io
import xml.etree.ElementTree as ET

from reporter_sample import AWKWARD, check_golden

from preflight.model import RunResult
from preflight.reporters import junit


def _render(run: RunResult) -> str:
    buf = io.StringIO()
    junit.render(run, buf)
    return buf.getvalue()


def test_golden(run: RunResult) -> None:
    check_golden("report.junit.xml", _render(run))


def test_parses_back_with_counts(run: RunResult) -> None:
    text = _render(run)
    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?>\n<testsuites')
    root = ET.fromstring(text.encode("utf-8"))
    assert root.tag == "testsuites"
    assert (root.get("tests"), root.get("failures"), root.get("skipped"), root.get("errors")) == (
        "12",
        "6",
        "2",
        "0",
    )
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


def test_testcases(run: RunResult) -> None:
    root = ET.fromstring(_render(run))
    cases = {(c.get("classname"), c.get("name")): c for c in root.iter("testcase")}
    fail = cases[("tensorrt_llm", "TLLM003 remove-input-padding")]
    failure = fail.find("failure")
    assert failure is not None
    assert failure.get("type") == "error"
    assert failure.get("message") == "tensorrt_llm: remove_input_padding is False"
    assert failure.text == (
        "tensorrt_llm/1/build.log:17:5: tensorrt_llm: remove_input_padding is False\n"
        "fix: Rebuild with `trtllm-build --remove_input_padding enable`."
    )
    assert fail.get("file") == "tensorrt_llm/1/build.log"
    skip = cases[("tensorrt_llm/1/rank0.engine", "TRT004 engine-deserializes")]
    skipped = skip.find("skipped")
    assert skipped is not None
    assert skipped.get("message") == "TensorRT is not installed; engine deserialization not checked"
    passed = cases[("preprocessing", "TRITON001 config-parses")]
    assert list(passed) == []
    repo_wide = cases[("examples/model_repo", "TRITON030 no-stray-folders")]
    assert list(repo_wide) == []


def test_escaping_and_control_characters(run: RunResult) -> None:
    text = _render(run)
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
    assert ("tensorrt_llm", "TLLM010 no-fatal-errors [tensorrt_llm/1/build.log:130:1]") in names
    assert ("tensorrt_llm", "TLLM010 no-fatal-errors [tensorrt_llm/1/build.log:131:1]") in names
