"""Apply rules to subjects: conditions over facts, per-item conditions, named checks."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from .. import templates
from ..checks import MissingFact, registry
from ..facts import item_location
from ..model import (
    Condition,
    Expectation,
    Fact,
    Facts,
    Location,
    Problem,
    Result,
    Rule,
    Severity,
    Status,
    Subject,
)
from .operators import OPERATORS, OperatorTypeError

_MISSING = object()
# A rule's missing-message by default: skipped (if-missing: skip), or failed (if-missing: fail).
DEFAULT_MISSING_MESSAGE = "{subject}: not checked: {missing} is not known"
DEFAULT_MISSING_FAILURE = "{subject}: {missing} is not known"


@dataclass(frozen=True, slots=True)
class RuleSettings:
    """What a repository's `.preflight.yaml` changes about one rule."""

    enabled: bool | None = None
    severity: Severity | None = None
    options: dict[str, Any] = field(default_factory=dict)


def is_enabled(rule: Rule, settings: Mapping[str, RuleSettings]) -> bool:
    """Whether a run evaluates ``rule``: its setting (by id or name), else its default."""
    chosen = settings.get(rule.id) or settings.get(rule.name)
    if chosen is None or chosen.enabled is None:
        return rule.enabled_by_default
    return bool(chosen.enabled)


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


def _lookup(facts: Mapping[str, Fact], key: str) -> Any:
    found = facts.get(key)
    return _MISSING if found is None else found.value


def _check(cond: Condition, facts: Mapping[str, Fact], options: Mapping[str, Any]) -> _Outcome:
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


def _evaluate(exp: Expectation, facts: Mapping[str, Fact], options: Mapping[str, Any]) -> _Outcome:
    outcomes = [_check(c, facts, options) for c in exp.conditions]
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
    if isinstance(item, dict):
        return item_location(item, default.path if default is not None else subject.path)
    return default or Location(subject.path)


def _item_facts(facts: Facts, item: Any, where: Location) -> Facts:
    """The subject's facts with the item as ``item`` and its fields as ``item.<field>``."""
    overlay: Facts = dict(facts)
    overlay["item"] = Fact(item, where)
    if isinstance(item, dict):
        for key, value in item.items():
            overlay[f"item.{key}"] = Fact(value, where)
    return overlay


class _Values(Mapping[str, Any]):
    """Fact values by key, read through to the facts: templates look up a few, never copy all."""

    def __init__(self, facts: Facts) -> None:
        self._facts = facts

    def __getitem__(self, key: str) -> Any:
        return self._facts[key].value

    def __iter__(self) -> Iterator[str]:
        return iter(self._facts)

    def __len__(self) -> int:
        return len(self._facts)


class _Render:
    """Builds one rule's results on one subject."""

    def __init__(self, rule: Rule, subject: Subject, severity: Severity, options: dict[str, Any]):
        self.rule = rule
        self.subject = subject
        self.severity = severity
        self.values = _Values(subject.facts)
        self.context: dict[str, Any] = {
            "subject": subject.name,
            "option": templates.Namespace(dict(options)),
            "rule": rule.id,
        }

    def text(self, template: str, **extra: Any) -> str:
        return templates.render(template, {**self.context, **extra}, self.values)

    def result(self, status: Status, message: str, location: Location | None) -> Result:
        return Result(
            rule=self.rule.id,
            name=self.rule.name,
            severity=self.severity,
            status=status,
            message=message,
            subject=self.subject.name,
            location=location or Location(self.subject.path),
            remediation=self.rule.remediation,
            model=self.subject.model,
        )

    def passed(self, location: Location | None, **extra: Any) -> list[Result]:
        text = self.text(self.rule.pass_message or self.rule.title, **extra)
        return [self.result(Status.PASS, text, location)]

    def missing(self, key: str, **extra: Any) -> list[Result]:
        skip = self.rule.if_missing == "skip"
        default = DEFAULT_MISSING_MESSAGE if skip else DEFAULT_MISSING_FAILURE
        text = self.text(self.rule.missing_message or default, missing=key, **extra)
        status = Status.SKIP if skip else Status.FAIL
        return [self.result(status, text, Location(self.subject.path))]

    def error(self, text: str, location: Location | None) -> list[Result]:
        return [self.result(Status.SKIP, f"cannot evaluate: {text}", location)]


def _conditions(rule: Rule, out: _Render, options: dict[str, Any]) -> list[Result]:
    assert rule.expect is not None
    outcome = _evaluate(rule.expect, out.subject.facts, options)
    extra = {"actual": outcome.actual, "expected": outcome.expected}
    if outcome.status == "pass":
        return out.passed(outcome.location, **extra)
    if outcome.status == "error":
        return out.error(outcome.error, outcome.location)
    if outcome.status == "missing":
        return out.missing(outcome.missing, **extra)
    template = (outcome.condition.message if outcome.condition else "") or rule.message
    if outcome.items:
        return [
            out.result(
                Status.FAIL,
                out.text(template, item=templates.Item(item), **extra),
                _item_location(item, outcome.location, out.subject),
            )
            for item in outcome.items
        ]
    return [out.result(Status.FAIL, out.text(template, **extra), outcome.location)]


def _each(rule: Rule, out: _Render, options: dict[str, Any]) -> list[Result]:
    """``each: LIST`` + ``expect``: the condition holds for every item (``item.<field>``)."""
    assert rule.expect is not None
    facts = out.subject.facts
    listed = facts.get(rule.each)
    if listed is None:
        return out.missing(rule.each)
    if not isinstance(listed.value, list):
        return out.error(f"{rule.each} is not a list: {listed.value!r}", listed.location)
    found: list[Result] = []
    for item in listed.value:
        where = _item_location(item, listed.location, out.subject)
        outcome = _evaluate(rule.expect, _item_facts(facts, item, where), options)
        extra = {
            "actual": outcome.actual,
            "expected": outcome.expected,
            "item": templates.Item(item),
        }
        if outcome.status == "fail":
            template = (outcome.condition.message if outcome.condition else "") or rule.message
            found.append(out.result(Status.FAIL, out.text(template, **extra), where))
        elif outcome.status == "error":
            found.extend(out.error(outcome.error, where))
        elif outcome.status == "missing" and rule.if_missing == "fail":
            found.extend(out.missing(outcome.missing, **extra))
    return found or out.passed(listed.location)


def _named_check(rule: Rule, out: _Render, options: dict[str, Any]) -> list[Result]:
    found = registry().get(rule.check)
    if found is None:  # the loader refuses such rules; a rule built in code may still name one
        return out.error(f"no check named {rule.check!r}", None)
    facts = out.subject.facts
    absent = next((key for key in found.requires if key not in facts), None)
    if absent is not None:
        return out.missing(absent)
    params = {**found.params, **rule.params, **options}
    try:
        problems = found.function(facts, params)
    except MissingFact as exc:
        return out.missing(exc.key)
    if not problems:
        keys = [found.at] if found.at else []
        where = next((facts[k] for k in [*keys, *found.requires] if k in facts), None)
        return out.passed(where.location if where is not None else None)
    return [_problem_result(rule, out, problem) for problem in problems]


def _problem_result(rule: Rule, out: _Render, problem: Problem) -> Result:
    template = rule.messages.get(problem.kind) or rule.message
    context = {
        k: (templates.Item(v) if isinstance(v, dict) else v) for k, v in problem.fields.items()
    }
    context["kind"] = problem.kind
    return out.result(Status.FAIL, out.text(template, **context), problem.location)


def evaluate_rule(
    rule: Rule, subject: Subject, settings: RuleSettings | None = None
) -> list[Result]:
    """The results of one rule on one subject (none when its `when` does not hold)."""
    settings = settings or RuleSettings()
    options = {**rule.options, **settings.options}
    out = _Render(rule, subject, settings.severity or rule.severity, options)
    if not _applies(rule, subject, options):
        return []
    if rule.check:
        return _named_check(rule, out, options)
    if rule.each:
        return _each(rule, out, options)
    return _conditions(rule, out, options)


def _applies(rule: Rule, subject: Subject, options: Mapping[str, Any]) -> bool:
    """Whether the rule's `when` holds on the subject (a rule without one always applies)."""
    return rule.when is None or _evaluate(rule.when, subject.facts, options).status == "pass"


def evaluate(
    rules: Iterable[Rule],
    subjects: Iterable[Subject],
    settings: Mapping[str, RuleSettings] | None = None,
) -> list[Result]:
    """Every enabled rule on every subject of its kind, prerequisites (`after:`) first."""
    settings = settings or {}
    subjects = list(subjects)
    rules = list(rules)
    results: list[Result] = []
    failed: dict[tuple[str, str], str] = {}  # (rule id, subject) that failed -> the root cause
    for rule in sorted(rules, key=lambda r: (_depth(r, rules), r.id)):  # prerequisites first
        rule_settings = settings.get(rule.id) or settings.get(rule.name) or RuleSettings()
        if not is_enabled(rule, settings):
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
        model=subject.model,
    )
