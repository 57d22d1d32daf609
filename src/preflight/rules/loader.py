"""Load rule files: YAML with line marks, validated against the JSON Schema, into ``Rule``.

Built-in rules are validated against the schema by the test suite (and by
``preflight validate-rules``); at run time only the structure is checked, so that ``check``
does not pay for importing jsonschema. Rule files a user adds are always schema-validated.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Iterable, Iterator
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from .. import safe_files, templates, yamlmarks
from ..errors import RuleFileError
from ..model import Condition, Expectation, Rule, Severity
from .grammar import SUBJECT_KINDS, UNARY


def builtin_rules_dir() -> Path:
    """The shipped rules: inside the wheel, or the checkout's top-level ``rules/``."""
    packaged = Path(str(resources.files("preflight"))) / "builtin_rules"
    if safe_files.is_dir(packaged):
        return packaged
    return Path(__file__).resolve().parents[3] / "rules"


@cache
def schema() -> dict[str, Any]:
    text = resources.files("preflight.rules").joinpath("schema.json").read_text("utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


def rule_files(directory: Path) -> list[Path]:
    # iterative, bounded, never entering a linked folder (safe_files.walk_files)
    return safe_files.walk_files(directory, (".yaml", ".yml"))


def _leaves(err: Any) -> Iterator[Any]:
    """The errors worth showing: inside a oneOf, those of the branch the data was meant for."""
    if err.validator == "oneOf" and not list(err.absolute_path):
        err.message = "a rule has exactly one of `expect` (a condition) and `check` (a named check)"
        yield err
        return
    if err.validator == "oneOf" and err.context:
        instance = err.instance if isinstance(err.instance, dict) else {}
        branch = 1 if "all" in instance else 2 if "any" in instance else 0
        chosen = [
            e for e in err.context if e.relative_schema_path and e.relative_schema_path[0] == branch
        ]
        for sub in chosen or err.context:
            yield from _leaves(sub)
        return
    yield err


def schema_errors(doc: yamlmarks.Document) -> list[str]:
    """Every schema violation of one rule file, as ``path:line:col: $.key: message``."""
    import jsonschema  # deferred: 0.25 s of start-up that `check` on built-in rules skips

    validator = jsonschema.Draft202012Validator(schema())
    out = []
    errors = [leaf for err in validator.iter_errors(doc.data) for leaf in _leaves(err)]
    for err in sorted(errors, key=lambda e: [str(k) for k in e.absolute_path]):
        keys = list(err.absolute_path)
        message = err.message
        if err.validator == "additionalProperties" and isinstance(err.instance, dict):
            allowed = set(err.schema.get("properties", {}))
            extra = sorted((k for k in err.instance if k not in allowed), key=str)  # `1:` too
            if extra:
                keys = [*keys, extra[0]]
                message = f"unknown key {extra[0]!r}"
        out.append(doc.error(keys, message))
    return out


def _expectation(raw: Any) -> Expectation:
    if "all" in raw:
        mode, items = "all", raw["all"]
    elif "any" in raw:
        mode, items = "any", raw["any"]
    else:
        mode, items = "all", [raw]
    return Expectation(
        mode,
        tuple(
            Condition(str(c["fact"]), str(c["op"]), c.get("value"), str(c.get("message", "")))
            for c in items
        ),
    )


def _semantic_errors(doc: yamlmarks.Document) -> list[str]:
    """What the schema cannot say: operators need values, options and checks must exist."""
    data = doc.data
    errors: list[str] = []
    if not isinstance(data, dict):
        return [doc.error([], "a rule file holds one mapping")]
    for key in ("id", "name", "title", "severity", "applies-to", "message"):
        if key not in data:
            errors.append(doc.error([], f"missing required key {key!r}"))
    if "expect" not in data and "check" not in data:
        errors.append(doc.error([], "a rule states `expect` (a condition) or names a `check`"))
    if errors:
        return errors
    if data["applies-to"] not in SUBJECT_KINDS:
        errors.append(doc.error(["applies-to"], f"must be one of {', '.join(SUBJECT_KINDS)}"))
    stem = doc.path.stem
    if stem != data["id"]:
        errors.append(doc.error(["id"], f"id {data['id']!r} differs from the file name {stem!r}"))
    for key in ("message", "missing-message", "pass-message"):
        for problem in templates.errors(str(data.get(key, ""))):
            errors.append(doc.error([key], problem))
    messages = data.get("messages") or {}
    for kind, text in messages.items() if isinstance(messages, dict) else ():
        for problem in templates.errors(str(text)):
            errors.append(doc.error(["messages", kind], problem))
    if "check" in data:
        errors.extend(_check_errors(doc, data))
    elif "messages" in data:
        errors.append(doc.error(["messages"], "`messages` belongs to a rule that names a `check`"))
    if "each" in data and "expect" not in data:
        errors.append(doc.error(["each"], "`each` needs `expect`: the condition every item meets"))
    options = data.get("options") or {}
    for section in ("when", "expect"):
        raw = data.get(section)
        if raw is None:
            continue
        items = raw.get("all") or raw.get("any") or [raw]
        prefix: list[str | int] = [section]
        if "all" in raw or "any" in raw:
            prefix.append("all" if "all" in raw else "any")
        for index, cond in enumerate(items):
            where: list[str | int] = prefix + ([index] if len(prefix) > 1 else [])
            errors.extend(_condition_errors(doc, where, cond, options))
    return errors


def _condition_errors(
    doc: yamlmarks.Document, where: list[str | int], cond: dict[str, Any], options: dict[str, Any]
) -> list[str]:
    errors: list[str] = []
    op = cond.get("op")
    if not isinstance(op, str):  # YAML gives any value: a mapping is not hashable
        errors.append(
            doc.error([*where, "op"], f"expected an operator name, got {type(op).__name__}")
        )
    elif op not in UNARY and "value" not in cond:
        errors.append(doc.error(where, f"operator {op!r} needs a value"))
    value = cond.get("value")
    if op == "matches" and isinstance(value, str):
        try:
            re.compile(value)
        except re.error as exc:
            errors.append(doc.error([*where, "value"], f"not a valid regular expression: {exc}"))
    for problem in templates.errors(str(cond.get("message", ""))):
        errors.append(doc.error([*where, "message"], problem))
    if isinstance(value, dict):
        if set(value) not in ({"fact"}, {"option"}):
            errors.append(
                doc.error([*where, "value"], "a mapping value is {fact: key} or {option: name}")
            )
        elif "option" in value and value["option"] not in options:
            errors.append(doc.error([*where, "value"], f"unknown option {value['option']!r}"))
    return errors


def _check_errors(doc: yamlmarks.Document, data: dict[str, Any]) -> list[str]:
    """A named check must exist, take the given parameters and return the kinds named."""
    from ..checks import registry

    errors: list[str] = []
    for key in ("expect", "each"):
        if key in data:
            errors.append(doc.error([key], f"a rule names a `check` or states `{key}`, not both"))
    found = registry().get(str(data["check"]))
    if found is None:
        close = difflib.get_close_matches(str(data["check"]), list(registry()), n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        errors.append(doc.error(["check"], f"no check named {data['check']!r}{hint}"))
        return errors
    allowed = set(found.params) | set(data.get("options") or {})
    for name in data.get("params") or {}:
        if name not in allowed:
            known = ", ".join(sorted(found.params)) or "none"
            errors.append(
                doc.error(["params", name], f"{found.name} takes no parameter {name!r} ({known})")
            )
    for kind in data.get("messages") or {}:
        if kind not in found.kinds:
            known = ", ".join(found.kinds) or "none"
            errors.append(
                doc.error(["messages", kind], f"{found.name} returns no {kind!r} problem ({known})")
            )
    return errors


def _build(doc: yamlmarks.Document) -> Rule:
    data = doc.data
    options = data.get("options") or {}
    return Rule(
        id=data["id"],
        name=data["name"],
        title=data["title"],
        severity=Severity(data["severity"]),
        applies_to=data["applies-to"],
        expect=_expectation(data["expect"]) if "expect" in data else None,
        when=_expectation(data["when"]) if data.get("when") else None,
        if_missing=data.get("if-missing", "skip"),
        check=str(data.get("check", "")),
        params=dict(data.get("params") or {}),
        each=str(data.get("each", "")),
        messages={str(k): str(v) for k, v in (data.get("messages") or {}).items()},
        options={k: v["default"] for k, v in options.items()},
        option_help={k: v["description"] for k, v in options.items()},
        message=data["message"],
        missing_message=data.get("missing-message", ""),
        pass_message=data.get("pass-message", ""),
        remediation=data.get("remediation", ""),
        why=data.get("why", ""),
        example=data.get("example", ""),
        docs=data.get("docs", ""),
        enabled_by_default=data.get("enabled-by-default", True),
        after=tuple(data.get("after") or ()),
        source=str(doc.path),
    )


def load_rules(directories: Iterable[tuple[Path, bool]]) -> list[Rule]:
    """Load every rule under each (directory, validate_with_schema) pair.

    All errors across all files are collected and raised together as one RuleFileError.
    """
    rules: list[Rule] = []
    errors: list[str] = []
    seen: dict[str, str] = {}
    documents: dict[str, yamlmarks.Document] = {}
    for directory, validate in directories:
        if not safe_files.is_dir(directory):
            errors.append(f"{directory}: rules directory not found")
            continue
        if not safe_files.inside(directory):
            errors.append(f"{directory}: rules directory {safe_files.OUTSIDE}")
            continue
        for path in rule_files(directory):
            try:
                doc = yamlmarks.load(path, "rule")
            except yamlmarks.YamlError as exc:
                errors.extend(exc.lines)
                continue
            problems = schema_errors(doc) if validate else []
            problems = problems or _semantic_errors(doc)
            if problems:
                errors.extend(problems)
                continue
            rule = _build(doc)
            documents[rule.id] = doc
            for key in (rule.id, rule.name):
                if key in seen:
                    errors.append(doc.error(["id"], f"{key!r} is also defined in {seen[key]}"))
                seen[key] = str(path)
            rules.append(rule)
    ids = {rule.id for rule in rules}
    for rule in rules:
        for index, other in enumerate(rule.after):
            if other not in ids:
                errors.append(documents[rule.id].error(["after", index], f"no rule {other!r}"))
    if errors:
        raise RuleFileError(*errors)
    return sorted(rules, key=lambda r: r.id)


def iter_all_errors(directories: Iterable[Path]) -> Iterator[str]:
    """Schema-validate every file (for `validate-rules` and the tests)."""
    try:
        load_rules((d, True) for d in directories)
    except RuleFileError as exc:
        yield from exc.lines
