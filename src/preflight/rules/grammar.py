"""The words of the rule language that both the loader and the evaluator know."""

from __future__ import annotations

SUBJECT_KINDS = ("repo", "triton-model", "trtllm-model", "trt-engine", "server")

OPERATORS = (
    "equals",
    "not-equals",
    "in",
    "not-in",
    "gt",
    "gte",
    "lt",
    "lte",
    "matches",
    "empty",
    "not-empty",
    "true",
    "false",
    "version-eq",
    "version-gte",
    "version-lte",
    "exists",
    "absent",
)

# Operators that take no `value`.
UNARY = frozenset({"empty", "not-empty", "true", "false", "exists", "absent"})
