"""Rule operators: plain typed functions, no coercion.

Each operator takes the actual value and the expected value and returns whether the good
state holds. A comparison between values of unrelated types raises ``OperatorTypeError``:
``0`` is a number, ``"0"`` is a string, and ``True`` is not the number ``1``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from .. import versions
from ..rules import grammar


class OperatorTypeError(TypeError):
    """A rule compared values of types its operator does not accept."""


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _numbers(actual: Any, expected: Any, op: str) -> tuple[float, float]:
    if not (_is_number(actual) and _is_number(expected)):
        raise OperatorTypeError(
            f"{op} compares numbers, got {type(actual).__name__} {actual!r} "
            f"and {type(expected).__name__} {expected!r}"
        )
    return actual, expected


def _same(actual: Any, expected: Any) -> bool:
    """Equality without bool/number crossover: True != 1, 0 != False."""
    if isinstance(actual, bool) or isinstance(expected, bool):
        return isinstance(actual, bool) and isinstance(expected, bool) and actual is expected
    return bool(actual == expected)


def equals(actual: Any, expected: Any) -> bool:
    return _same(actual, expected)


def not_equals(actual: Any, expected: Any) -> bool:
    return not _same(actual, expected)


def is_in(actual: Any, expected: Any) -> bool:
    if not isinstance(expected, list):
        raise OperatorTypeError(f"in needs a list as value, got {expected!r}")
    return any(_same(actual, item) for item in expected)


def not_in(actual: Any, expected: Any) -> bool:
    return not is_in(actual, expected)


def gt(actual: Any, expected: Any) -> bool:
    a, e = _numbers(actual, expected, "gt")
    return a > e


def gte(actual: Any, expected: Any) -> bool:
    a, e = _numbers(actual, expected, "gte")
    return a >= e


def lt(actual: Any, expected: Any) -> bool:
    a, e = _numbers(actual, expected, "lt")
    return a < e


def lte(actual: Any, expected: Any) -> bool:
    a, e = _numbers(actual, expected, "lte")
    return a <= e


def matches(actual: Any, expected: Any) -> bool:
    if not isinstance(actual, str) or not isinstance(expected, str):
        raise OperatorTypeError(f"matches needs a string and a pattern, got {actual!r}")
    try:
        return re.search(expected, actual) is not None
    except re.error as exc:
        raise OperatorTypeError(
            f"matches: {expected!r} is not a valid regular expression: {exc}"
        ) from None


def empty(actual: Any, expected: Any) -> bool:
    if not isinstance(actual, (list, dict, str)):
        raise OperatorTypeError(f"empty needs a list, mapping or string, got {actual!r}")
    return len(actual) == 0


def not_empty(actual: Any, expected: Any) -> bool:
    return not empty(actual, expected)


def is_true(actual: Any, expected: Any) -> bool:
    if not isinstance(actual, bool):
        raise OperatorTypeError(f"true needs a boolean, got {actual!r}")
    return actual


def is_false(actual: Any, expected: Any) -> bool:
    if not isinstance(actual, bool):
        raise OperatorTypeError(f"false needs a boolean, got {actual!r}")
    return not actual


def parse_version(value: Any) -> tuple[int, ...]:
    """A version operand: a string read by :func:`preflight.versions.parse`, nothing else."""
    if not isinstance(value, str):
        raise OperatorTypeError(f"a version must be a string, got {value!r}")
    try:
        return versions.parse(value)
    except ValueError:
        raise OperatorTypeError(f"not a version: {value!r}") from None


def _versions(actual: Any, expected: Any) -> tuple[tuple[int, ...], tuple[int, ...]]:
    return versions.common_prefix(parse_version(actual), parse_version(expected))


def _compare(actual: Any, expected: Any) -> int:
    """PEP 440 order on the release parts both give (:func:`preflight.versions.compare`): a dev
    build or release candidate is not the release of its number; text PEP 440 cannot read is
    compared by its leading numbers."""
    a, e = _versions(actual, expected)
    try:
        return versions.compare(actual, expected)
    except ValueError:
        return (a > e) - (a < e)


def version_eq(actual: Any, expected: Any) -> bool:
    """Equal on the parts both sides give: '10.10' equals '10.10.0.31'; '1.0.0rc2' is not
    '1.0.0'."""
    return _compare(actual, expected) == 0


def version_gte(actual: Any, expected: Any) -> bool:
    return _compare(actual, expected) >= 0


def version_lte(actual: Any, expected: Any) -> bool:
    return _compare(actual, expected) <= 0


def _present(actual: Any, expected: Any) -> bool:  # evaluated by the evaluator before lookup
    return True


Operator = Callable[[Any, Any], bool]

OPERATORS: dict[str, Operator] = {
    "equals": equals,
    "not-equals": not_equals,
    "in": is_in,
    "not-in": not_in,
    "gt": gt,
    "gte": gte,
    "lt": lt,
    "lte": lte,
    "matches": matches,
    "empty": empty,
    "not-empty": not_empty,
    "true": is_true,
    "false": is_false,
    "version-eq": version_eq,
    "version-gte": version_gte,
    "version-lte": version_lte,
    "exists": _present,
    "absent": _present,
}

UNARY = grammar.UNARY
