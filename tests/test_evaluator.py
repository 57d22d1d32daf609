from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import pytest

from preflight import checks
from preflight.checks import Check
from preflight.evaluator import RuleSettings, evaluate, evaluate_rule
from preflight.model import (
    Condition,
    Expectation,
    Fact,
    Facts,
    Location,
    Problem,
    Rule,
    Severity,
    Status,
    Subject,
)


def rule(expect: Expectation | None, **kw: object) -> Rule:
    base: dict[str, object] = {
        "id": "TLLM900",
        "name": "test-rule",
        "title": "test",
        "severity": Severity.ERROR,
        "applies_to": "trtllm-model",
        "expect": expect,
        "message": "{subject}: got {actual}, want {expected}",
        "remediation": "Fix it.",
        "docs": "https://example.invalid",
    }
    base.update(kw)
    return Rule(**base)  # type: ignore[arg-type]


def one(fact: str, op: str, value: object = None, message: str = "") -> Expectation:
    return Expectation("all", (Condition(fact, op, value, message),))


def subject(**facts: object) -> Subject:
    return Subject(
        "trtllm-model",
        "m",
        "/repo/m",
        {k.replace("__", "."): Fact(v, Location("/repo/m/f", 3)) for k, v in facts.items()},
    )


def test_pass_fail_and_message() -> None:
    r = rule(one("a.b", "equals", 2))
    assert evaluate_rule(r, subject(a__b=2))[0].status is Status.PASS
    res = evaluate_rule(r, subject(a__b=3))[0]
    assert res.status is Status.FAIL
    assert res.message == "m: got 3, want 2"
    assert res.location == Location("/repo/m/f", 3)


def test_missing_fact_fails_or_skips_as_the_rule_says() -> None:
    failing = rule(one("a.b", "equals", 1), if_missing="fail")
    assert evaluate_rule(failing, subject())[0].status is Status.FAIL
    skipped = evaluate_rule(rule(one("a.b", "equals", 1)), subject())[0]
    assert skipped.status is Status.SKIP
    assert "a.b is not known" in skipped.message


def test_value_from_another_fact_and_from_an_option() -> None:
    r = rule(one("a", "equals", {"fact": "b"}))
    assert evaluate_rule(r, subject(a=1, b=1))[0].status is Status.PASS
    assert evaluate_rule(r, subject(a=1, b=2))[0].status is Status.FAIL
    missing_other = evaluate_rule(
        rule(one("a", "equals", {"fact": "b"}), if_missing="skip"), subject(a=1)
    )
    assert missing_other[0].status is Status.SKIP
    r = rule(one("a", "equals", {"option": "dtype"}), options={"dtype": "float16"})
    assert evaluate_rule(r, subject(a="float16"))[0].status is Status.PASS
    settings = RuleSettings(options={"dtype": "bfloat16"})
    assert evaluate_rule(r, subject(a="float16"), settings)[0].status is Status.FAIL


def test_empty_reports_one_finding_per_item_at_its_line() -> None:
    r = rule(one("errs", "empty", message="bad: {item.text}"))
    items = [{"line": 4, "text": "x"}, {"line": 9, "text": "y", "path": "/repo/m/other"}]
    res = evaluate_rule(r, subject(errs=items))
    assert [x.message for x in res] == ["bad: x", "bad: y"]
    assert [(x.location.path, x.location.line) for x in res if x.location] == [
        ("/repo/m/f", 4),
        ("/repo/m/other", 9),
    ]


def test_all_reports_the_first_failing_condition() -> None:
    exp = Expectation(
        "all", (Condition("a", "true", None, "a off"), Condition("b", "true", None, "b off"))
    )
    assert evaluate_rule(rule(exp), subject(a=True, b=False))[0].message == "b off"
    assert evaluate_rule(rule(exp), subject(a=True, b=True))[0].status is Status.PASS


def test_any_passes_when_one_holds() -> None:
    exp = Expectation("any", (Condition("a", "true"), Condition("b", "true")))
    assert evaluate_rule(rule(exp), subject(a=False, b=True))[0].status is Status.PASS
    assert evaluate_rule(rule(exp), subject(a=False, b=False))[0].status is Status.FAIL


def test_when_false_means_not_applicable() -> None:
    r = rule(one("a", "true"), when=one("kind", "equals", "ifb"))
    assert evaluate_rule(r, subject(kind="v1", a=False)) == []
    assert evaluate_rule(r, subject(kind="ifb", a=False))[0].status is Status.FAIL


def test_type_mismatch_is_reported_not_coerced() -> None:
    res = evaluate_rule(rule(one("a", "lte", 8)), subject(a="16"))[0]
    assert res.status is Status.SKIP
    assert "cannot evaluate" in res.message


def test_exists_and_absent() -> None:
    assert evaluate_rule(rule(one("a", "exists")), subject(a=None))[0].status is Status.FAIL
    assert evaluate_rule(rule(one("a", "absent")), subject())[0].status is Status.PASS


def test_settings_disable_and_change_severity() -> None:
    r = rule(one("a", "true"))
    assert evaluate([r], [subject(a=False)], {"TLLM900": RuleSettings(enabled=False)}) == []
    res = evaluate([r], [subject(a=False)], {"test-rule": RuleSettings(severity=Severity.WARNING)})
    assert res[0].severity is Severity.WARNING


def test_rules_only_see_their_subject_kind() -> None:
    other = Subject("triton-model", "x", "/repo/x", {"a": Fact(False)})
    assert evaluate([rule(one("a", "true"))], [other]) == []


def test_unknown_template_fields_do_not_crash() -> None:
    r = rule(one("a", "true"), message="{nope.deeper} {subject}")
    assert evaluate_rule(r, subject(a=False))[0].message == "<unknown> m"


def test_after_skips_a_rule_whose_prerequisite_failed() -> None:
    first = rule(one("a", "true"), id="TLLM001", name="first")
    second = rule(one("b", "true"), id="TLLM002", name="second", after=("TLLM001",))
    res = evaluate([second, first], [subject(a=False, b=False)])
    assert [(r.rule, r.status) for r in res] == [("TLLM002", Status.SKIP), ("TLLM001", Status.FAIL)]
    assert "not checked: TLLM001 failed" in res[0].message
    res = evaluate([second, first], [subject(a=True, b=False)])
    assert [(r.rule, r.status) for r in res] == [("TLLM002", Status.FAIL), ("TLLM001", Status.PASS)]


def test_after_chains_run_in_order() -> None:
    """C after B after A: A's failure skips B, and B's skip does not let C run unchecked."""
    a = rule(one("a", "true"), id="TLLM001", name="a")
    b = rule(one("b", "true"), id="TLLM002", name="b", after=("TLLM003",))
    c = rule(one("c", "true"), id="TLLM003", name="c", after=("TLLM001",))
    res = evaluate([b, c, a], [subject(a=False, b=False, c=False)])
    assert {r.rule: r.status for r in res} == {
        "TLLM001": Status.FAIL,
        "TLLM003": Status.SKIP,
        "TLLM002": Status.SKIP,
    }


# -- named checks and per-item conditions ---------------------------------------------


@pytest.fixture
def registered() -> Iterator[dict[str, Check]]:
    """Two checks registered for one test, removed afterwards."""
    table = checks.registry()
    added: dict[str, Check] = {}

    @checks.check("test.versions", requires=("v.list",), kinds=("low", "odd"), params={"min": 1})
    def versions(facts: Facts, params: Mapping[str, Any]) -> list[Problem]:
        found = []
        for item in facts["v.list"].value:
            if item < params["min"]:
                found.append(checks.problem("low", Location("/repo/m/f", item), version=item))
            elif item % 2:
                found.append(checks.problem("odd", Location("/repo/m/f", item), version=item))
        return found

    @checks.check("test.needs")
    def needs(facts: Facts, params: Mapping[str, Any]) -> list[Problem]:
        raise checks.MissingFact("deep.key")

    added.update({k: table[k] for k in ("test.versions", "test.needs")})
    yield added
    for key in added:
        del table[key]


def test_named_check_renders_one_finding_per_problem_with_its_kind_message(
    registered: dict[str, Check],
) -> None:
    r = rule(
        None,
        check="test.versions",
        params={"min": 3},
        message="{subject}: version {version} ({kind})",
        messages={"low": "{subject}: version {version} is below {option.floor}"},
        options={"floor": "three"},
    )
    res = evaluate_rule(r, subject(v__list=[1, 4, 5]))
    assert [(x.status, x.message, x.location) for x in res] == [
        (Status.FAIL, "m: version 1 is below three", Location("/repo/m/f", 1)),
        (Status.FAIL, "m: version 5 (odd)", Location("/repo/m/f", 5)),
    ]
    passed = evaluate_rule(r, subject(v__list=[4, 6]))
    assert [(x.status, x.location) for x in passed] == [(Status.PASS, Location("/repo/m/f", 3))]


def test_named_check_options_override_params(registered: dict[str, Check]) -> None:
    r = rule(None, check="test.versions", options={"min": 1}, message="{version}")
    assert evaluate_rule(r, subject(v__list=[2]))[0].status is Status.PASS
    tighter = RuleSettings(options={"min": 5})
    assert evaluate_rule(r, subject(v__list=[2]), tighter)[0].message == "2"


def test_named_check_missing_facts_follow_if_missing(registered: dict[str, Check]) -> None:
    r = rule(None, check="test.versions", message="x")
    skipped = evaluate_rule(r, subject())[0]
    assert (skipped.status, skipped.message) == (Status.SKIP, "m: not checked: v.list is not known")
    failing = rule(None, check="test.needs", message="x", if_missing="fail")
    res = evaluate_rule(failing, subject())[0]
    assert (res.status, res.message) == (Status.FAIL, "m: deep.key is not known")


def test_each_checks_every_item_at_its_location() -> None:
    groups = [
        {"kind": "KIND_GPU", "count": 1, "line": 3},
        {"kind": "KIND_CPU", "count": 2, "line": 7},
        {"kind": "KIND_CPU", "count": 0, "line": 9, "path": "/repo/m/other"},
    ]
    r = rule(
        one("item.kind", "equals", "KIND_GPU"),
        each="groups",
        message="{subject}: group {item.count} is {item.kind}, not {expected}",
    )
    res = evaluate_rule(r, subject(groups=groups))
    assert [(x.status, x.message, x.location) for x in res] == [
        (Status.FAIL, "m: group 2 is KIND_CPU, not KIND_GPU", Location("/repo/m/f", 7)),
        (Status.FAIL, "m: group 0 is KIND_CPU, not KIND_GPU", Location("/repo/m/other", 9)),
    ]
    assert evaluate_rule(r, subject(groups=groups[:1]))[0].status is Status.PASS
    assert evaluate_rule(r, subject(groups=[]))[0].status is Status.PASS
    assert evaluate_rule(r, subject())[0].status is Status.SKIP


def test_each_compares_items_with_other_facts() -> None:
    r = rule(one("item.count", "lte", {"fact": "gpus"}), each="groups", message="{item.count}")
    res = evaluate_rule(r, subject(groups=[{"count": 1}, {"count": 3}], gpus=2))
    assert [(x.status, x.message) for x in res] == [(Status.FAIL, "3")]


def test_each_over_a_non_list_cannot_be_evaluated() -> None:
    r = rule(one("item.kind", "equals", "x"), each="groups", message="m")
    res = evaluate_rule(r, subject(groups="KIND_GPU"))[0]
    assert res.status is Status.SKIP and "not a list" in res.message
