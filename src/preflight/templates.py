"""Message templates of rule files: ``str.format`` over dotted fact names, and nothing else.

A rule file may come from the checked repository, so a template reaches facts and the fields
the evaluator gives it (``subject``, ``actual``, ``expected``, ``item``, ``option``, a problem's
fields), never a Python object: no indexing, no attribute whose name starts with ``_``.
"""

from __future__ import annotations

import re
import string
from collections.abc import Mapping
from typing import Any


class _Unknown:
    """A missing template field: any attribute of it is missing too."""

    def __getattr__(self, name: str) -> _Unknown:
        return self

    def __format__(self, spec: str) -> str:
        return "<unknown>"

    def __str__(self) -> str:
        return "<unknown>"


UNKNOWN = _Unknown()


class Namespace:
    """Attribute access over dotted keys, for message templates: {build_log.dtype}."""

    def __init__(self, values: Mapping[str, Any], prefix: str = "") -> None:
        self._values = values
        self._prefix = prefix

    def __getattr__(self, name: str) -> Any:
        key = f"{self._prefix}{name}"
        if key in self._values:
            return self._values[key]
        if any(k.startswith(key + ".") for k in self._values):
            return Namespace(self._values, key + ".")
        return UNKNOWN

    def __format__(self, spec: str) -> str:
        return "<unknown>"


class Item:
    """A list item or a problem field in templates: {item} prints its text, {item.key} a field."""

    def __init__(self, value: Any) -> None:
        self._value = value

    def __getattr__(self, name: str) -> Any:
        if isinstance(self._value, dict) and name in self._value:
            value = self._value[name]
            return Item(value) if isinstance(value, dict) else display(value)
        return UNKNOWN

    def __format__(self, spec: str) -> str:
        value = self._value
        if isinstance(value, dict):
            value = value.get("text", value.get("name", value))
        return format(display(value), spec)


def display(value: Any) -> Any:
    """How a value reads in a message: None, true/false, lists joined by commas."""
    if value is None:
        return "None"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ", ".join(str(display(v)) for v in value) if value else "none"
    return value


class _Formatter(string.Formatter):
    def __init__(self, context: Mapping[str, Any], facts: Mapping[str, Any]) -> None:
        self._context = context
        self._facts = Namespace(facts)

    def get_value(self, key: int | str, args: Any, kwargs: Any) -> Any:
        if isinstance(key, str) and key in self._context:
            return self._context[key]
        if isinstance(key, str):
            found: Any = getattr(self._facts, key)
            return found
        return UNKNOWN

    def get_field(self, field_name: str, args: Any, kwargs: Any) -> tuple[Any, Any]:
        """Dotted names over facts and the template context only: no indexing, no dunders."""
        if not field_ok(field_name):
            return UNKNOWN, field_name
        first, *rest = field_name.split(".")
        value = self.get_value(first, args, kwargs)
        if rest and isinstance(value, dict):
            value = Item(value)
        for part in rest:
            if not isinstance(value, (Namespace, Item, _Unknown)):
                return UNKNOWN, field_name
            value = getattr(value, part)
        return value, first

    def format_field(self, value: Any, format_spec: str) -> str:
        if not spec_ok(format_spec):  # `{subject:>100000000}` would allocate gigabytes
            format_spec = ""
        return neutral(str(super().format_field(display(value), format_spec)))


_FIELD = re.compile(r"^[A-Za-z][A-Za-z0-9_-]*(\.[A-Za-z0-9][A-Za-z0-9_-]*)*$")


def field_ok(field_name: str) -> bool:
    """A message field is a dotted name whose parts do not start with an underscore."""
    return bool(_FIELD.match(field_name))


# A format spec's width or precision: digits after the fill/align/sign part.
_SPEC_NUMBER = re.compile(r"[0-9]+")
MAX_WIDTH = 200
QUOTE_LIMIT = 500  # one value quoted in a message
MESSAGE_LIMIT = 4000  # one whole message


def spec_ok(spec: str) -> bool:
    """A format spec whose widths and precisions stay small (the fill character may be a
    digit: ``{x:0>5}`` is fine, so every run of digits is read as a number)."""
    return len(spec) <= 20 and all(int(n) <= MAX_WIDTH for n in _SPEC_NUMBER.findall(spec))


# C0 and C1 controls, DEL, the bidirectional overrides and isolates, line and paragraph
# separators, lone surrogates: what can move the cursor, recolour or reorder a terminal line.
_UNSAFE = re.compile(
    "[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029\ufeff\ud800-\udfff]"
)
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(match: re.Match[str]) -> str:
    char = match.group(0)
    if char in _NAMED:
        return _NAMED[char]
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def neutral(text: str, limit: int = QUOTE_LIMIT) -> str:
    """``text`` safe to print on one line: control characters and escape sequences shown
    escaped (``\\x1b``, ``\\n``), cut to ``limit`` characters with ``...`` after."""
    if len(text) > limit:
        text = text[:limit] + "..."
    return _UNSAFE.sub(_escape, text)


def fields(template: str) -> list[str]:
    """The field names a template uses (raises ValueError when it is not a template)."""
    return [f for _, f, _, _ in string.Formatter().parse(template) if f is not None]


def errors(template: str) -> list[str]:
    """Why a message template would not render, for the rule loader."""
    try:
        names = fields(template)
    except ValueError as exc:
        return [f"not a valid message template: {exc}"]
    bad = [f for f in names if not field_ok(f)]
    out = [f"template field {{{f}}} must be a dotted fact name" for f in bad]
    for _, name, spec, _ in string.Formatter().parse(template):
        if name is not None and spec and not spec_ok(spec):
            out.append(f"template field {{{name}}}: format spec {neutral(spec, 40)!r} is too wide")
    return out


def render(template: str, context: Mapping[str, Any], facts: Mapping[str, Any]) -> str:
    """``template`` with ``context`` names first, then facts by dotted key; never raises."""
    try:
        text = _Formatter(context, facts).format(template)
    except (ValueError, IndexError, AttributeError, KeyError, TypeError, RecursionError) as exc:
        text = f"{template} (message template error: {exc})"
    return neutral(text, MESSAGE_LIMIT)
