from __future__ import annotations

import io
import json
from dataclasses import replace

from reporter_sample import AWKWARD, check_golden, make_run

from preflight.model import Location, RunResult, Status, Target
from preflight.reporters import json_report
from preflight.reporters.shared import summary


def _render(run: RunResult) -> str:
    buf = io.StringIO()
    json_report.render(run, buf)
    return buf.getvalue()


def test_golden(run: RunResult) -> None:
    check_golden("report.json", _render(run))


def test_contract_shape(run: RunResult) -> None:
    text = _render(run)
    assert text.endswith("}\n") and text.startswith('{\n  "preflight_version"')
    data = json.loads(text)
    assert list(data) == ["preflight_version", "repo", "target", "results", "summary", "notes"]
    assert data["preflight_version"] == "0.1.0"
    assert data["repo"] == "examples/model_repo"
    assert data["target"] == {
        "gpu": "RTX 4060 Ti",
        "compute_capability": "8.9",
        "triton_version": "25.06",
        "trt_version": "10.10.0.31",
        "trtllm_version": "0.20.0",
    }
    assert data["summary"] == summary(run)
    assert len(data["results"]) == len(run.results)
    for item, res in zip(data["results"], run.results, strict=True):
        assert list(item)[:5] == ["rule", "name", "severity", "status", "message"]
        assert item["status"] in {"pass", "fail", "skip"}
        assert item["message"] == res.message
        assert item["subject"] == res.subject
        assert item["remediation"] == res.remediation


def test_location_keys_only_when_known(run: RunResult) -> None:
    data = json.loads(_render(run))
    by_rule = {
        (r["rule"], r["status"], r.get("location", {}).get("line")): r for r in data["results"]
    }
    full = by_rule[("TLLM003", "fail", 17)]
    assert full["location"] == {"path": "tensorrt_llm/1/build.log", "line": 17, "column": 5}
    assert by_rule[("TRITON010", "fail", 4)]["location"] == {
        "path": "tensorrt_llm/config.pbtxt",
        "line": 4,
    }
    assert by_rule[("TLLM020", "fail", None)]["location"] == {"path": "tensorrt_llm/1/config.json"}
    assert "location" not in by_rule[("TRT001", "fail", None)]


def test_escaping_round_trips(run: RunResult) -> None:
    data = json.loads(_render(run))
    assert AWKWARD in [r["message"] for r in data["results"]]
    assert _render(run).isascii()


def test_trtllm_version_only_when_set(run: RunResult) -> None:
    bare = replace(run, target=Target(gpu="L4"), notes=())
    data = json.loads(_render(bare))
    assert data["target"] == {
        "gpu": "L4",
        "compute_capability": None,
        "triton_version": None,
        "trt_version": None,
    }
    assert "notes" not in data


def test_order_is_the_run_order() -> None:
    results = tuple(
        replace(
            make_run().results[0],
            rule=f"TRT00{i}",
            status=Status.PASS,
            location=Location("m/config.pbtxt", line=10 - i),
        )
        for i in range(1, 4)
    )
    run = RunResult("0.1.0", "repo", Target(), results)
    assert [r["rule"] for r in json.loads(_render(run))["results"]] == [
        "TRT001",
        "TRT002",
        "TRT003",
    ]
