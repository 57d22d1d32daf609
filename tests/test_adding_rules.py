"""The three kinds of rule docs/design.md teaches, each added the way it says, end to end."""

from __future__ import annotations

import io
import json
import shutil
from collections.abc import Iterator, Mapping
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path
from typing import Any

import pytest

from preflight import checks
from preflight.checks import check, problem
from preflight.cli import main
from preflight.model import Facts, Problem

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "model_repo"

CONDITION = """
id: TRITON950
name: batch-at-most
title: max_batch_size is at most the team's limit
severity: warning
applies-to: triton-model
expect: {fact: triton.max_batch_size, op: lte, value: {option: limit}}
options:
  limit: {default: 4, description: the largest max_batch_size the team serves}
message: "{subject}: max_batch_size {actual} is above {expected}"
remediation: Lower max_batch_size.
docs: https://example.invalid/TRITON950
"""

EACH = """
id: TRITON951
name: inputs-are-int32
title: Every input is INT32
severity: info
applies-to: triton-model
each: triton.inputs
expect: {fact: item.data_type, op: equals, value: TYPE_INT32}
message: "{subject}: input {item.name} is {item.data_type}"
remediation: Use INT32 inputs.
docs: https://example.invalid/TRITON951
"""

NAMED = """
id: TRITON952
name: few-parameters
title: A model has at most a few parameters
severity: warning
applies-to: triton-model
check: test.few-parameters
params: {most: 3}
message: "{subject}: {count} parameters, more than {most}"
messages:
  placeholder: "{subject}: parameter {key} holds only a placeholder"
remediation: Drop the parameters the model does not read.
docs: https://example.invalid/TRITON952
"""


@pytest.fixture
def few_parameters() -> Iterator[None]:
    @check(
        "test.few-parameters",
        requires=("triton.name",),
        kinds=("many", "placeholder"),
        params={"most": 10},
    )
    def few(facts: Facts, params: Mapping[str, Any]) -> list[Problem]:
        """At most ``most`` parameters, none of them a bare placeholder."""
        keys = sorted(k for k in facts if k.startswith("triton.parameters."))
        found = []
        if len(keys) > params["most"]:
            where = facts[keys[0]].location
            found.append(problem("many", where, count=len(keys), most=params["most"]))
        for key in keys:
            value = facts[key].value
            if isinstance(value, str) and value.startswith("${"):
                found.append(problem("placeholder", facts[key].location, key=key.split(".")[-1]))
        return found

    yield
    del checks.registry()["test.few-parameters"]


def run(repo: Path, rules: Path, *extra: str) -> tuple[int, list[dict[str, Any]]]:
    out = io.StringIO()
    with redirect_stdout(out):
        status = main(["check", str(repo), "--rules", str(rules), "--format", "json", *extra])
    report = json.loads(out.getvalue())
    return status, [r for r in report["results"] if r["rule"].startswith("TRITON95")]


def test_three_kinds_of_rule(tmp_path: Path, few_parameters: None) -> None:
    rules = tmp_path / "rules"
    rules.mkdir()
    for rule_id, text in (("TRITON950", CONDITION), ("TRITON951", EACH), ("TRITON952", NAMED)):
        (rules / f"{rule_id}.yaml").write_text(text)
    repo = tmp_path / "repo"
    shutil.copytree(EXAMPLE, repo)
    status, results = run(repo, rules)
    assert status == 0  # warnings and infos do not fail the run
    failed = sorted(
        (r["rule"], r["location"]["path"], r["message"]) for r in results if r["status"] == "fail"
    )
    assert (
        "TRITON950",
        "tensorrt_llm/config.pbtxt",
        "tensorrt_llm: max_batch_size 8 is above 4",
    ) in failed
    int32 = [f for f in failed if f[0] == "TRITON951"]
    assert int32 and all("is TYPE_" in f[2] and "TYPE_INT32" not in f[2] for f in int32)
    many = [f for f in failed if f[0] == "TRITON952"]
    assert many and all(f[2].endswith("parameters, more than 3") for f in many)

    # an option set in .preflight.yaml changes the condition and the check's parameter
    (repo / ".preflight.yaml").write_text(
        (EXAMPLE / ".preflight.yaml").read_text() + "rules:\n  TRITON950: {options: {limit: 64}}\n"
    )
    _, results = run(repo, rules)
    assert not [r for r in results if r["rule"] == "TRITON950" and r["status"] == "fail"]


def test_a_rule_naming_an_unknown_check_stops_with_its_line(tmp_path: Path) -> None:
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "TRITON952.yaml").write_text(NAMED)
    err = io.StringIO()
    with redirect_stderr(err):
        status = main(["validate-rules", str(rules)])
    assert status == 2
    assert "TRITON952.yaml:7:1: $.check: no check named 'test.few-parameters'" in err.getvalue()
