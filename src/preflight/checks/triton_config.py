"""config.pbtxt as a file: it parses, every field is known, no template value is left unfilled."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import PurePath
from typing import Any

from ..facts import item_location, value_of
from ..model import Facts, Problem
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

# Parameters a model cannot do without: a placeholder left in one breaks the model as surely as
# one in a number. Parameter -> (problem kind, whether it applies to a model with these
# parameter keys); the rule file says what happens for each kind.
_LLM_KEYS = ("gpt_model_type", "gpt_model_path")
REQUIRED_PARAMETERS: dict[str, tuple[str, Callable[[set[str]], bool]]] = {
    # tensorrtllm backend (model_instance_state.cc): no default, the model fails to load
    "gpt_model_type": ("gpt-model-type", lambda keys: True),
    # pre/postprocessing model.py: AutoTokenizer.from_pretrained(tokenizer_dir) of the literal
    # placeholder fails in initialize(); the LLM model itself only reads it for guided decoding
    "tokenizer_dir": ("tokenizer-dir", lambda keys: not any(k in keys for k in _LLM_KEYS)),
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


def _required_kind(placeholder: Mapping[str, Any], keys: set[str]) -> str | None:
    """The kind of a placeholder left in a parameter the model needs; else None."""
    if not _in_parameter_string(placeholder):
        return None
    entry = REQUIRED_PARAMETERS.get(str(placeholder.get("key")))
    if entry is None or not entry[1](keys):
        return None
    return entry[0]


def _placeholder(kind: str, item: Mapping[str, Any]) -> Problem:
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
    )


@check(
    "triton.placeholders-in-values",
    requires=("triton.placeholders",),
    kinds=("value", "gpt-model-type", "tokenizer-dir"),
)
def placeholders_in_values(facts: Facts, params: Mapping[str, Any]) -> list[Problem]:
    """No ``${name}`` is left where Triton reads the value itself (a number, an enum, a string
    such as backend or name), nor in a parameter the model cannot do without.

    A placeholder in a ``parameters`` string reaches the backend, which mostly falls back to a
    default (``triton.placeholders-in-parameters``); ``gpt-model-type`` and ``tokenizer-dir``
    are the parameters that have no default (REQUIRED_PARAMETERS).
    """
    keys = _parameter_keys(facts)
    found = []
    for item in facts["triton.placeholders"].value:
        required = _required_kind(item, keys)
        if required is not None:
            found.append(_placeholder(required, item))
        elif not _in_parameter_string(item):
            found.append(_placeholder("value", item))
    return found


@check("triton.placeholders-in-parameters", requires=("triton.placeholders",), kinds=("string",))
def placeholders_in_parameters(facts: Facts, params: Mapping[str, Any]) -> list[Problem]:
    """No ``${name}`` is left inside a ``parameters`` string whose backend has a default."""
    keys = _parameter_keys(facts)
    return [
        _placeholder("string", item)
        for item in facts["triton.placeholders"].value
        if _in_parameter_string(item) and _required_kind(item, keys) is None
    ]
