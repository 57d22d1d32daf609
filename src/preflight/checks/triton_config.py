"""config.pbtxt as a file: it parses, every field is known, no template value is left unfilled."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import PurePath
from typing import Any

from ..data.placeholders import Consequence, consequence_of
from ..facts import item_location, value_of
from ..model import Facts, Problem
from ..placeholders import is_unfilled
from . import check, problem


def _file(path: Any) -> str:
    return PurePath(str(path)).name


@check(
    "triton.config-parses",
    requires=("triton.config_path",),
    kinds=("at-field", "at-line", "unreadable"),
)
def config_parses(facts: Facts, params: Mapping[str, Any]) -> list[Problem]:
    """config.pbtxt reads as a ModelConfig text proto (``triton.parse_error`` is absent).

    ``at-field``: protobuf's error at a line and column, with the field it sits in;
    ``at-line``: the same without a field; ``unreadable``: the file cannot be read as text.
    """
    error = facts.get("triton.parse_error")
    if error is None or not isinstance(error.value, dict):
        return []
    err = error.value
    fields = {
        "file": _file(facts["triton.config_path"].value),
        "error": err.get("message"),
        "line": err.get("line"),
        "column": err.get("column"),
        "key": err.get("key"),
    }
    kind = "unreadable" if not err.get("line") else "at-field" if err.get("key") else "at-line"
    return [problem(kind, error.location, **fields)]


@check("triton.unknown-fields", requires=("triton.unknown_fields",), kinds=("unknown", "typo"))
def unknown_fields(facts: Facts, params: Mapping[str, Any]) -> list[Problem]:
    """Every field name is one ModelConfig knows. ``typo``: a known name is close to it."""
    found = []
    for item in facts["triton.unknown_fields"].value:
        kind = "typo" if item.get("suggestion") else "unknown"
        found.append(
            problem(
                kind,
                item_location(item, ""),
                name=item.get("name"),
                message_type=item.get("message"),
                suggestion=item.get("suggestion"),
                field_path=item.get("field_path"),
            )
        )
    return found


# -- placeholders -------------------------------------------------------------------------

# What an unfilled ${key} in a parameters string does depends on what reads the parameter: the
# table in data/placeholders.yaml (by backend and the model's parameter keys, with its sources).
# A parameter whose consequence is "error" is judged with the values Triton reads itself
# (TRITON003); "default" keys are listed once per model (TRITON004); "unset" ones not at all.
# REQUIRED_PARAMETERS names the error kinds whose rule message quotes the reader's own words.
REQUIRED_PARAMETERS: dict[str, str] = {
    "gpt_model_type": "gpt-model-type",
    "tokenizer_dir": "tokenizer-dir",
}


def _in_parameter_string(placeholder: Mapping[str, Any]) -> bool:
    where = placeholder.get("field_path") or ""
    return bool(placeholder.get("in_string")) and where.startswith("parameters[")


def _parameter_keys(facts: Facts) -> set[str]:
    """Keys of the ``parameters`` map, read from the field locations (also when the file does
    not parse)."""
    keys = set()
    for path in value_of(facts, "triton.locations") or {}:
        if path.startswith("parameters[") and "]" in path:
            keys.add(path[len("parameters[") : path.index("]")])
    return keys


def _filled(facts: Facts, key: str) -> bool:
    value = value_of(facts, f"triton.parameters.{key}")
    return isinstance(value, str) and bool(value.strip()) and not is_unfilled(value)


def _backend(facts: Facts) -> str | None:
    backend = value_of(facts, "autocomplete.backend") or value_of(facts, "triton.backend")
    if not isinstance(backend, str):
        return ""
    if is_unfilled(backend):
        return None  # unfilled: the parameters are matched against every reader
    return backend


def _consequence(facts: Facts, item: Mapping[str, Any], keys: set[str]) -> Consequence:
    """What the unfilled parameter of ``item`` does in this model, for the target's release."""
    release = value_of(facts, "target.trtllm_version")
    found = consequence_of(
        _backend(facts),
        keys,
        str(item.get("key")),
        release if isinstance(release, str) else None,
    )
    if found.consequence == "error" and any(_filled(facts, k) for k in found.unless_filled):
        return Consequence("unset", found.reason, found.kind, found.source)
    if any(_filled(facts, k) for k in found.error_when_filled):
        return Consequence("error", found.reason, found.kind, found.source)
    return found


def _placeholder(kind: str, item: Mapping[str, Any], **extra: Any) -> Problem:
    return problem(
        kind,
        item_location(item, ""),
        name=item.get("name"),
        key=item.get("key"),
        file=_file(item.get("path")),
        line=item.get("line"),
        column=item.get("column"),
        fill=item.get("fill"),
        field_path=item.get("field_path"),
        **extra,
    )


@check(
    "triton.placeholders-in-values",
    requires=("triton.placeholders",),
    kinds=("value", "parameter", "gpt-model-type", "tokenizer-dir"),
)
def placeholders_in_values(facts: Facts, params: Mapping[str, Any]) -> list[Problem]:
    """No ``${name}`` is left where Triton reads the value itself (a number, an enum, a string
    such as backend or name), nor in a parameter whose reader fails on it.

    ``parameter`` (with ``reason``): the placeholder table (data/placeholders.yaml) says the
    model fails to load or every request fails; ``gpt-model-type`` and ``tokenizer-dir`` are
    such parameters with their reader's own words in the rule file.
    """
    keys = _parameter_keys(facts)
    found = []
    for item in facts["triton.placeholders"].value:
        if not _in_parameter_string(item):
            found.append(_placeholder("value", item))
            continue
        result = _consequence(facts, item, keys)
        if result.consequence != "error":
            continue
        kind = REQUIRED_PARAMETERS.get(str(item.get("key")), "parameter")
        found.append(_placeholder(kind, item, reason=result.reason))
    return found


@check("triton.placeholders-in-parameters", requires=("triton.placeholders",), kinds=("defaults",))
def placeholders_in_parameters(facts: Facts, params: Mapping[str, Any]) -> list[Problem]:
    """Optional parameters left unfilled, whose reader falls back to its default: one problem
    per model, at the first of them, listing their keys (``keys``, ``count``, ``fill``)."""
    keys = _parameter_keys(facts)
    items = [
        item
        for item in facts["triton.placeholders"].value
        if _in_parameter_string(item) and _consequence(facts, item, keys).consequence == "default"
    ]
    if not items:
        return []
    names = sorted({str(item.get("key")) for item in items})
    return [
        _placeholder(
            "defaults",
            items[0],
            keys=", ".join(names),
            count=len(names),
        )
    ]
