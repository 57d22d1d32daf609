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


ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _in_the_checkout(monkeypatch: pytest.MonkeyPatch) -> None:
    """The sample's repo, examples/model_repo, is a real folder of this checkout: SARIF places
    findings on real files, relative to the checkout root."""
    monkeypatch.chdir(ROOT)


def _render(run: RunResult, **options: Any) -> str:
    options.setdefault("root", str(ROOT))
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
        "help": {
            "text": "Rebuild with `trtllm-build --remove_input_padding enable`.",
            "markdown": "**TLLM003**: remove input padding\n\n"
            "**How to fix:** Rebuild with `trtllm-build --remove_input_padding enable`.",
        },
        "defaultConfiguration": {"level": "error"},
        "properties": {
            "tags": ["triton-model-repository"],
            "precision": "very-high",
            "problem.severity": "error",
        },
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
    # No line: line 1, as code scanning drops a result without one.
    assert physical("TLLM020")["region"] == {"startLine": 1}
    # No location: the subject's own file (a binary engine: line 1).
    assert physical("TRT001") == {
        "artifactLocation": {
            "uri": "examples/model_repo/tensorrt_llm/1/rank0.engine",
            "uriBaseId": "%SRCROOT%",
        },
        "region": {"startLine": 1},
    }


def _uris(log: dict[str, Any]) -> list[str]:
    return [
        res["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        for res in log["runs"][0]["results"]
    ]


def test_every_result_is_on_a_file_with_a_start_line(run: RunResult) -> None:
    """GitHub's ingestion rules: a physical location on a file, region.startLine >= 1."""
    log = _log(run)
    for res in log["runs"][0]["results"]:
        [location] = res["locations"]
        physical = location["physicalLocation"]
        assert (ROOT / physical["artifactLocation"]["uri"]).is_file(), physical
        assert physical["region"]["startLine"] >= 1
        assert res["partialFingerprints"]["primaryLocationLineHash"]


def test_uris_are_relative_to_the_checkout_root(run: RunResult, tmp_path: Path) -> None:
    """From git (the folder holding .git above the repository) or --sarif-root."""
    assert _uris(_log(run))[0] == "examples/model_repo/tensorrt_llm/1/build.log"
    assert _uris(_log(run, root=str(ROOT / "examples")))[0] == "model_repo/tensorrt_llm/1/build.log"
    # Found from git: a checkout in a temporary folder, the report run from elsewhere.
    checkout = tmp_path / "checkout"
    model = checkout / "deploy" / "models" / "m"
    (model / "1").mkdir(parents=True)
    (model / "config.pbtxt").write_text("name: 'm'\n")
    (checkout / ".git").mkdir()
    res = Result("TRT001", "x", Severity.ERROR, Status.FAIL, "m", "m", Location("m/config.pbtxt"))
    one = RunResult("0.1.0", str(checkout / "deploy" / "models"), Target(), (res,))
    assert _uris(_log(one, root=None)) == ["deploy/models/m/config.pbtxt"]
    # Fingerprints do not depend on where the repository sits.
    prints = [
        [r["partialFingerprints"] for r in _log(run, root=root)["runs"][0]["results"]]
        for root in (str(ROOT), str(ROOT / "examples"))
    ]
    assert prints[0] == prints[1]


def test_a_finding_on_a_folder_or_a_missing_file_moves_to_the_models_config(
    tmp_path: Path,
) -> None:
    repo = tmp_path / "repo"
    (repo / "my model" / "1").mkdir(parents=True)
    (repo / "my model" / "config.pbtxt").write_text("name: 'my model'\n")
    (tmp_path / ".git").mkdir()
    on_folder = Result(
        "TRITON020",
        "x",
        Severity.ERROR,
        Status.FAIL,
        "bad folder",
        "my model",
        Location(str(repo / "my model" / "1")),
    )
    missing = Result(
        "TLLM005",
        "y",
        Severity.ERROR,
        Status.FAIL,
        "rank0.engine is missing",
        "my model",
        Location(str(repo / "my model" / "1" / "rank0.engine")),
    )
    no_location = Result("TRITON030", "z", Severity.ERROR, Status.FAIL, "m", "my model")
    log = _log(
        RunResult("0.1.0", str(repo), Target(), (on_folder, missing, no_location)), root=None
    )
    results = log["runs"][0]["results"]
    assert _uris(log) == ["repo/my%20model/config.pbtxt"] * 3
    assert all(r["locations"][0]["physicalLocation"]["region"] == {"startLine": 1} for r in results)
    # The message names the original place.
    assert results[1]["message"]["text"] == (
        "rank0.engine is missing (at repo/my model/1/rank0.engine)"
    )


def test_rule_metadata_for_code_scanning(run: RunResult) -> None:
    meta = {"TLLM003": {"title": "T", "why": "W", "docs": "https://d", "group": "trtllm"}}
    rules = _log(run, rules=meta)["runs"][0]["tool"]["driver"]["rules"]
    by_id = {r["id"]: r for r in rules}
    tllm003 = by_id["TLLM003"]
    assert tllm003["properties"] == {
        "tags": ["trtllm", "triton-model-repository"],
        "precision": "very-high",
        "problem.severity": "error",
    }
    assert "**How to fix:** Rebuild with" in tllm003["help"]["markdown"]
    assert "[Documentation](https://d)" in tllm003["help"]["markdown"]
    assert by_id["TLLM020"]["properties"]["problem.severity"] == "recommendation"


def test_line_zero_gives_line_one(validator: jsonschema.Draft4Validator) -> None:
    res = Result("TRT001", "x", Severity.ERROR, Status.FAIL, "m", "a", Location("a/b c.log", 0, 0))
    log = _log(RunResult("0.1.0", "repo", Target(), (res,)))
    assert not list(validator.iter_errors(log))
    loc = log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]
    assert loc == {
        "artifactLocation": {"uri": "repo/a/b%20c.log", "uriBaseId": "%SRCROOT%"},
        "region": {"startLine": 1},
    }


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
    # line numbers inside the message do not change the identity
    assert sarif.fingerprint("A", "p", "at config.pbtxt:4") == sarif.fingerprint(
        "A", "p", "at config.pbtxt:9"
    )
    lines = [r["partialFingerprints"]["primaryLocationLineHash"] for r in first]
    assert len(set(lines)) == len(lines)


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
