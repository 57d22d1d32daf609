from __future__ import annotations

import io
import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from reporter_sample import AWKWARD, check_golden

from preflight.model import Location, Result, RunResult, Severity, Status, Target
from preflight.reporters import sarif

SCHEMA_PATH = Path(__file__).resolve().parents[1] / "data" / "sarif-schema-2.1.0.json"


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft4Validator:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    jsonschema.Draft4Validator.check_schema(schema)
    return jsonschema.Draft4Validator(
        schema, format_checker=jsonschema.Draft4Validator.FORMAT_CHECKER
    )


def _render(run: RunResult, **options: Any) -> str:
    buf = io.StringIO()
    sarif.render(run, buf, **options)
    return buf.getvalue()


def _log(run: RunResult, **options: Any) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(_render(run, **options))
    return data


def test_golden(run: RunResult) -> None:
    check_golden("report.sarif", _render(run))


def test_valid_against_the_schema(run: RunResult, validator: jsonschema.Draft4Validator) -> None:
    errors = sorted(validator.iter_errors(_log(run)), key=lambda e: list(e.absolute_path))
    assert not errors, [f"{list(e.absolute_path)}: {e.message}" for e in errors]


def test_schema_catches_a_broken_log(run: RunResult, validator: jsonschema.Draft4Validator) -> None:
    """The vendored schema is strict enough to notice the mistakes a reporter could make."""
    log = _log(run)
    region = log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]
    region["startLine"] = 0
    log["runs"][0]["results"][1]["level"] = "info"
    log["runs"][0]["tool"]["driver"]["rules"][0]["colour"] = "red"
    assert len(list(validator.iter_errors(log))) == 3


def test_empty_run_is_valid(validator: jsonschema.Draft4Validator) -> None:
    log = _log(RunResult("0.1.0", "repo", Target(), ()))
    assert not list(validator.iter_errors(log))
    assert log["runs"][0]["results"] == []


def test_driver_and_rules(run: RunResult) -> None:
    driver = _log(run)["runs"][0]["tool"]["driver"]
    assert driver["name"] == "preflight"
    assert driver["version"] == "0.1.0"
    ids = [rule["id"] for rule in driver["rules"]]
    assert ids == sorted({r.rule for r in run.results})
    tllm003 = driver["rules"][ids.index("TLLM003")]
    assert tllm003 == {
        "id": "TLLM003",
        "name": "remove-input-padding",
        "shortDescription": {"text": "remove input padding"},
        "fullDescription": {"text": "remove input padding"},
        "help": {"text": "Rebuild with `trtllm-build --remove_input_padding enable`."},
        "defaultConfiguration": {"level": "error"},
    }
    assert driver["rules"][ids.index("TLLM020")]["defaultConfiguration"] == {"level": "note"}


def test_rule_metadata_is_used_when_given(
    run: RunResult, validator: jsonschema.Draft4Validator
) -> None:
    meta = {
        "TLLM003": {
            "title": "remove_input_padding is enabled",
            "why": "Padding wastes memory and the backend expects packed inputs.",
            "docs": "https://example.invalid/rules/TLLM003",
        }
    }
    log = _log(run, rules=meta)
    assert not list(validator.iter_errors(log))
    rule = next(r for r in log["runs"][0]["tool"]["driver"]["rules"] if r["id"] == "TLLM003")
    assert rule["shortDescription"] == {"text": "remove_input_padding is enabled"}
    assert rule["fullDescription"] == {"text": meta["TLLM003"]["why"]}
    assert rule["helpUri"] == "https://example.invalid/rules/TLLM003"


def test_only_failures_are_results_with_mapped_levels(run: RunResult) -> None:
    log = _log(run)["runs"][0]
    failures = [r for r in run.results if r.status == Status.FAIL]
    assert [res["ruleId"] for res in log["results"]] == [r.rule for r in failures]
    levels = {res["ruleId"]: res["level"] for res in log["results"]}
    assert levels == {
        "TLLM003": "error",
        "TRITON010": "warning",
        "TLLM020": "note",
        "TRT001": "error",
        "TLLM010": "error",
    }
    rules = log["tool"]["driver"]["rules"]
    for res in log["results"]:
        assert rules[res["ruleIndex"]]["id"] == res["ruleId"]
    assert AWKWARD in [res["message"]["text"] for res in log["results"]]


def test_locations(run: RunResult) -> None:
    results = _log(run)["runs"][0]["results"]

    def physical(rule: str, index: int = 0) -> dict[str, Any]:
        found = [res for res in results if res["ruleId"] == rule][index]
        loc: dict[str, Any] = found["locations"][0]["physicalLocation"]
        return loc

    assert physical("TLLM003") == {
        "artifactLocation": {
            "uri": "examples/model_repo/tensorrt_llm/1/build.log",
            "uriBaseId": "%SRCROOT%",
        },
        "region": {"startLine": 17, "startColumn": 5},
    }
    assert physical("TRITON010")["region"] == {"startLine": 4}
    # No line: no region at all.
    assert "region" not in physical("TLLM020")
    # No location: the subject's own path.
    assert physical("TRT001") == {
        "artifactLocation": {
            "uri": "examples/model_repo/tensorrt_llm/1/rank0.engine",
            "uriBaseId": "%SRCROOT%",
        }
    }


def _uris(log: dict[str, Any]) -> list[str]:
    return [
        res["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        for res in log["runs"][0]["results"]
    ]


def test_uris_are_relative_to_the_checkout(run: RunResult) -> None:
    """A relative repo path places the files in the checkout; otherwise paths stay as they are."""
    assert sarif.default_srcroot("examples/model_repo") == "examples/model_repo/"
    assert sarif.default_srcroot("./models/") == "models/"
    assert sarif.default_srcroot(".") == ""
    assert sarif.default_srcroot("/srv/models") == ""
    assert sarif.default_srcroot("C:\\models") == ""
    assert sarif.default_srcroot("../models") == ""
    plain = _uris(_log(run, srcroot=""))
    assert plain[0] == "tensorrt_llm/1/build.log"
    assert _uris(_log(replace(run, repo="/abs/models"))) == plain
    assert _uris(_log(run, srcroot="deploy/repo/"))[0] == "deploy/repo/tensorrt_llm/1/build.log"
    # Fingerprints do not depend on where the repository sits.
    prints = [
        [r["partialFingerprints"] for r in _log(run, srcroot=root)["runs"][0]["results"]]
        for root in ("", "x/y")
    ]
    assert prints[0] == prints[1]


def test_location_at_the_repository_root() -> None:
    res = Result("TRT001", "x", Severity.ERROR, Status.FAIL, "m", "", Location("."))
    one = RunResult("0.1.0", "models", Target(), (res,))
    assert _uris(_log(one)) == ["models"]
    assert _uris(_log(one, srcroot="")) == ["."]


def test_model_level_failure_without_location_points_at_its_config() -> None:
    res = Result("TRITON020", "x", Severity.ERROR, Status.FAIL, "m", "my model")
    log = _log(RunResult("0.1.0", "repo", Target(), (res,)))
    loc = log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]
    assert loc["artifactLocation"]["uri"] == "repo/my%20model/config.pbtxt"
    assert loc["region"] == {"startLine": 1}
    repo_wide = replace(res, subject="")
    log = _log(RunResult("0.1.0", "repo", Target(), (repo_wide,)))
    assert "locations" not in log["runs"][0]["results"][0]


def test_line_zero_gives_no_region(validator: jsonschema.Draft4Validator) -> None:
    res = Result("TRT001", "x", Severity.ERROR, Status.FAIL, "m", "a", Location("a/b c.log", 0, 0))
    log = _log(RunResult("0.1.0", "repo", Target(), (res,)))
    assert not list(validator.iter_errors(log))
    loc = log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]
    assert loc == {"artifactLocation": {"uri": "repo/a/b%20c.log", "uriBaseId": "%SRCROOT%"}}


def test_fingerprints_are_stable(run: RunResult) -> None:
    first = _log(run)["runs"][0]["results"]
    moved = tuple(
        replace(r, location=replace(r.location, line=(r.location.line or 0) + 7))
        if r.location is not None
        else r
        for r in reversed(run.results)
    )
    second = _log(replace(run, results=moved))["runs"][0]["results"]
    prints = [r["partialFingerprints"][sarif.FINGERPRINT_KEY] for r in first]
    moved_prints = [r["partialFingerprints"][sarif.FINGERPRINT_KEY] for r in second]
    assert sorted(prints) == sorted(moved_prints)
    assert len(set(prints)) == len(prints)
    assert sarif.fingerprint("A", "p", "m") != sarif.fingerprint("A", "p", "n")
    assert sarif.fingerprint("A", "p", "m") != sarif.fingerprint("B", "p", "m")
    assert sarif.fingerprint("A", "p", "m") != sarif.fingerprint("A", "q", "m")


def test_skips_and_notes_are_notifications(run: RunResult) -> None:
    runs = _log(run)["runs"][0]
    notes = runs["invocations"][0]["toolExecutionNotifications"]
    assert runs["invocations"][0]["executionSuccessful"] is True
    skipped = [n for n in notes if "associatedRule" in n]
    assert [n["associatedRule"]["id"] for n in skipped] == ["TRT004", "TRITON020"]
    assert all(n["level"] == "note" for n in notes)
    assert skipped[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == (
        "examples/model_repo/tensorrt_llm/1/rank0.engine"
    )
    # A skip without a location gets none: its artifact may be what is missing.
    assert "locations" not in skipped[1]
    assert {"level": "note", "message": {"text": "engines were not deserialized (no GPU)"}} in notes
