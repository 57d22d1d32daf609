"""The only module that sees both facts and rules: select, evaluate, render messages."""

from __future__ import annotations

import re
import string
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .model import Condition, Expectation, Fact, Location, Result, Rule, Severity, Status, Subject
from .operators import OPERATORS, OperatorTypeError

_MISSING = object()


@dataclass(frozen=True, slots=True)
class RuleSettings:
    """What a repository's `.preflight.yaml` changes about one rule."""

    enabled: bool | None = None
    severity: Severity | None = None
    options: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class _Outcome:
    status: str  # "pass" | "fail" | "missing" | "error"
    condition: Condition | None = None
    actual: Any = None
    expected: Any = None
    location: Location | None = None
    missing: str = ""
    error: str = ""
    items: list[Any] = field(default_factory=list)  # per-item failures of `empty`


class _Unknown:
    """A missing template field: any attribute of it is missing too."""

    def __getattr__(self, name: str) -> _Unknown:
        return self

    def __format__(self, spec: str) -> str:
        return "<unknown>"

    def __str__(self) -> str:
        return "<unknown>"


UNKNOWN = _Unknown()


class _Namespace:
    """Attribute access over dotted fact keys, for message templates: {build_log.dtype}."""

    def __init__(self, values: Mapping[str, Any], prefix: str = "") -> None:
        self._values = values
        self._prefix = prefix

    def __getattr__(self, name: str) -> Any:
        key = f"{self._prefix}{name}"
        if key in self._values:
            return self._values[key]
        if any(k.startswith(key + ".") for k in self._values):
            return _Namespace(self._values, key + ".")
        return UNKNOWN

    def __format__(self, spec: str) -> str:
        return "<unknown>"


class _Item:
    """A list item in templates: {item} prints its text, {item.key} its fields."""

    def __init__(self, value: Any) -> None:
        self._value = value

    def __getattr__(self, name: str) -> Any:
        if isinstance(self._value, dict) and name in self._value:
            return _display(self._value[name])
        return UNKNOWN

    def __format__(self, spec: str) -> str:
        value = self._value
        if isinstance(value, dict):
            value = value.get("text", value.get("name", value))
        return format(_display(value), spec)


def _display(value: Any) -> Any:
    if value is None:
        return "None"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ", ".join(str(_display(v)) for v in value) if value else "none"
    return value


class _Formatter(string.Formatter):
    def __init__(self, context: dict[str, Any], facts: Mapping[str, Any]) -> None:
        self._context = context
        self._facts = _Namespace(facts)

    def get_value(self, key: int | str, args: Any, kwargs: Any) -> Any:
        if isinstance(key, str) and key in self._context:
            return self._context[key]
        if isinstance(key, str):
            found: Any = getattr(self._facts, key)
            return found
        return UNKNOWN

    def get_field(self, field_name: str, args: Any, kwargs: Any) -> tuple[Any, Any]:
        """Dotted names over facts and the template context only: no indexing, no dunders.

        A rule file may come from the checked repository, so its templates must not reach
        Python objects (``{option.__init__.__globals__...}``) or anything but facts.
        """
        if not template_field_ok(field_name):
            return UNKNOWN, field_name
        first, *rest = field_name.split(".")
        value = self.get_value(first, args, kwargs)
        for part in rest:
            if not isinstance(value, (_Namespace, _Item, _Unknown)):
                return UNKNOWN, field_name
            value = getattr(value, part)
        return value, first

    def format_field(self, value: Any, format_spec: str) -> str:
        return str(super().format_field(_display(value), format_spec))


_FIELD = re.compile(r"^[A-Za-z][A-Za-z0-9_-]*(\.[A-Za-z0-9][A-Za-z0-9_-]*)*$")


def template_field_ok(field_name: str) -> bool:
    """A message field is a dotted name whose parts do not start with an underscore."""
    return bool(_FIELD.match(field_name))


def template_errors(template: str) -> list[str]:
    """Why a message template would not render, for the rule loader."""
    try:
        fields = [f for _, f, spec, _ in string.Formatter().parse(template) if f is not None]
    except ValueError as exc:
        return [f"not a valid message template: {exc}"]
    bad = [f for f in fields if not template_field_ok(f)]
    return [f"template field {{{f}}} must be a dotted fact name" for f in bad]


def render(template: str, context: dict[str, Any], facts: Mapping[str, Any]) -> str:
    try:
        return _Formatter(context, facts).format(template)
    except (ValueError, IndexError, AttributeError, KeyError, TypeError) as exc:
        return f"{template} (message template error: {exc})"


def _lookup(facts: Mapping[str, Fact], key: str) -> Any:
    fact = facts.get(key)
    return _MISSING if fact is None else fact.value


def _check(cond: Condition, subject: Subject, options: Mapping[str, Any]) -> _Outcome:
    facts = subject.facts
    fact = facts.get(cond.fact)
    location = fact.location if fact is not None else None
    if cond.op in ("exists", "absent"):
        present = fact is not None and fact.value is not None
        good = present if cond.op == "exists" else not present
        actual = fact.value if fact is not None else None
        return _Outcome("pass" if good else "fail", cond, actual, None, location)
    if fact is None:
        return _Outcome("missing", cond, missing=cond.fact)
    expected: Any = cond.value
    if isinstance(expected, dict) and set(expected) == {"fact"}:
        expected = _lookup(facts, expected["fact"])
        if expected is _MISSING:
            return _Outcome("missing", cond, fact.value, missing=cond.value["fact"])
    elif isinstance(expected, dict) and set(expected) == {"option"}:
        expected = options[expected["option"]]
    try:
        good = OPERATORS[cond.op](fact.value, expected)
    except OperatorTypeError as exc:
        return _Outcome("error", cond, fact.value, expected, location, error=str(exc))
    outcome = _Outcome("pass" if good else "fail", cond, fact.value, expected, location)
    if not good and cond.op == "empty" and isinstance(fact.value, list):
        outcome.items = list(fact.value)
    return outcome


def _evaluate(exp: Expectation, subject: Subject, options: Mapping[str, Any]) -> _Outcome:
    outcomes = [_check(c, subject, options) for c in exp.conditions]
    by_status: dict[str, list[_Outcome]] = {}
    for o in outcomes:
        by_status.setdefault(o.status, []).append(o)
    if exp.mode == "all":
        for status in ("fail", "error", "missing"):
            if status in by_status:
                return by_status[status][0]
        return outcomes[0]
    if "pass" in by_status:
        return by_status["pass"][0]
    for status in ("missing", "error", "fail"):
        if status in by_status:
            return by_status[status][0]
    return outcomes[0]


def _item_location(item: Any, default: Location | None, subject: Subject) -> Location:
    base = default.path if default is not None else subject.path
    if isinstance(item, dict):
        line = item.get("line")
        column = item.get("column")
        return Location(
            str(item.get("path") or base),
            line if isinstance(line, int) else None,
            column if isinstance(column, int) else None,
        )
    return default or Location(subject.path)


def evaluate_rule(
    rule: Rule, subject: Subject, settings: RuleSettings | None = None
) -> list[Result]:
    settings = settings or RuleSettings()
    options = {**rule.options, **settings.options}
    severity = settings.severity or rule.severity
    if rule.when is not None and _evaluate(rule.when, subject, options).status != "pass":
        return []
    outcome = _evaluate(rule.expect, subject, options)
    values = {k: f.value for k, f in subject.facts.items()}
    context: dict[str, Any] = {
        "subject": subject.name,
        "actual": outcome.actual,
        "expected": outcome.expected,
        "option": _Namespace({f"{k}": v for k, v in options.items()}),
        "missing": outcome.missing,
        "rule": rule.id,
    }

    def result(status: Status, message: str, location: Location | None) -> Result:
        return Result(
            rule=rule.id,
            name=rule.name,
            severity=severity,
            status=status,
            message=message,
            subject=subject.name,
            location=location or Location(subject.path),
            remediation=rule.remediation,
        )

    if outcome.status == "pass":
        text = render(rule.pass_message or rule.title, context, values)
        return [result(Status.PASS, text, outcome.location)]
    if outcome.status == "error":
        text = f"cannot evaluate: {outcome.error}"
        return [result(Status.SKIP, text, outcome.location)]
    if outcome.status == "missing":
        if rule.missing_message:
            text = render(rule.missing_message, context, values)
        else:
            text = f"{subject.name}: {outcome.missing} is not known"
        status = Status.SKIP if rule.if_missing == "skip" else Status.FAIL
        return [result(status, text, Location(subject.path))]
    template = (outcome.condition.message if outcome.condition else "") or rule.message
    if outcome.items:
        out = []
        for item in outcome.items:
            text = render(template, {**context, "item": _Item(item)}, values)
            out.append(result(Status.FAIL, text, _item_location(item, outcome.location, subject)))
        return out
    return [result(Status.FAIL, render(template, context, values), outcome.location)]


def evaluate(
    rules: Iterable[Rule],
    subjects: Iterable[Subject],
    settings: Mapping[str, RuleSettings] | None = None,
) -> list[Result]:
    settings = settings or {}
    subjects = list(subjects)
    rules = list(rules)
    results: list[Result] = []
    failed: dict[tuple[str, str], str] = {}  # (rule id, subject) that failed -> the root cause
    for rule in sorted(rules, key=lambda r: (_depth(r, rules), r.id)):  # prerequisites first
        rule_settings = settings.get(rule.id) or settings.get(rule.name) or RuleSettings()
        enabled = (
            rule.enabled_by_default if rule_settings.enabled is None else rule_settings.enabled
        )
        if not enabled:
            continue
        for subject in subjects:
            if subject.kind != rule.applies_to:
                continue
            blocker = next((a for a in rule.after if (a, subject.name) in failed), None)
            if blocker is not None:
                root = failed[(blocker, subject.name)]
                results.append(_blocked(rule, subject, root, rule_settings))
                failed[(rule.id, subject.name)] = root  # what waits for this rule waits too
                continue
            found = evaluate_rule(rule, subject, rule_settings)
            if any(r.status is Status.FAIL for r in found):
                failed[(rule.id, subject.name)] = rule.id
            results.extend(found)
    order = {rule.id: index for index, rule in enumerate(rules)}
    return sorted(results, key=lambda r: order.get(r.rule, 0))


def _depth(rule: Rule, rules: list[Rule], seen: frozenset[str] = frozenset()) -> int:
    """How many `after` links lead from this rule to one without prerequisites."""
    by_id = {r.id: r for r in rules}
    parents = [by_id[a] for a in rule.after if a in by_id and a not in seen]
    return 1 + max((_depth(p, rules, seen | {rule.id}) for p in parents), default=-1)


def _blocked(rule: Rule, subject: Subject, blocker: str, settings: RuleSettings) -> Result:
    return Result(
        rule=rule.id,
        name=rule.name,
        severity=settings.severity or rule.severity,
        status=Status.SKIP,
        message=f"{subject.name}: not checked: {blocker} failed on this model first",
        subject=subject.name,
        location=Location(subject.path),
        remediation=rule.remediation,
    )
