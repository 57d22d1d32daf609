from __future__ import annotations

import pytest

from preflight.evaluator.operators import OPERATORS, OperatorTypeError, parse_version


def op(name: str, actual: object, expected: object = None) -> bool:
    return OPERATORS[name](actual, expected)


def test_zero_is_a_number_and_not_false() -> None:
    assert op("equals", 0, 0)
    assert not op("equals", 0, False)
    assert not op("equals", False, 0)
    assert op("lte", 0, 1)


def test_bool_is_not_a_number_for_ordering() -> None:
    with pytest.raises(OperatorTypeError):
        op("gt", True, 0)


def test_strings_are_never_coerced() -> None:
    assert not op("equals", "True", True)
    assert not op("equals", "1", 1)
    with pytest.raises(OperatorTypeError):
        op("lt", "8", 16)


def test_none_is_its_own_value() -> None:
    assert op("equals", None, None)
    assert not op("equals", None, "None")
    assert op("in", None, [None, "disable"])
    assert not op("in", 0, [None, False])


def test_in_needs_a_list() -> None:
    with pytest.raises(OperatorTypeError):
        op("in", "a", "abc")


def test_empty_and_true_are_typed() -> None:
    assert op("empty", [])
    assert op("not-empty", [1])
    with pytest.raises(OperatorTypeError):
        op("empty", 0)
    assert op("true", True)
    with pytest.raises(OperatorTypeError):
        op("true", "true")
    with pytest.raises(OperatorTypeError):
        op("false", 0)


def test_matches_is_a_regex_search_on_strings() -> None:
    assert op("matches", "rank12.engine", r"^rank\d+\.engine$")
    with pytest.raises(OperatorTypeError):
        op("matches", 12, r"\d")


@pytest.mark.parametrize(
    ("text", "parts"),
    [
        ("10.10.0.31", (10, 10, 0, 31)),
        ("0.17.0.post1", (0, 17, 0)),
        ("v1.2.0rc2", (1, 2, 0)),
        ("8.6", (8, 6)),
    ],
)
def test_parse_version(text: str, parts: tuple[int, ...]) -> None:
    assert parse_version(text) == parts


def test_version_comparisons_use_common_parts() -> None:
    assert op("version-eq", "10.10", "10.10.0.31")
    assert not op("version-eq", "10.10.0.31", "10.11.0.33")
    assert op("version-gte", "0.20.0", "0.9.0")
    assert op("version-lte", "0.9.0", "0.20.0")
    with pytest.raises(OperatorTypeError):
        op("version-eq", 10, "10")
