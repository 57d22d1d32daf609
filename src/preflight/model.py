"""Plain data shared by sources, checks, the evaluator and reporters. No logic here."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any


class Severity(str, Enum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        return {"error": 3, "warning": 2, "info": 1}[self.value]


class Status(str, Enum):
    PASS = "pass"
    FAIL = "fail"
    SKIP = "skip"


@dataclass(frozen=True, slots=True)
class Location:
    """Where a fact or finding sits: a file path, 1-based line and column when known."""

    path: str
    line: int | None = None
    column: int | None = None


@dataclass(frozen=True, slots=True)
class Fact:
    """One value extracted from an artifact, with where it was read.

    ``value`` is JSON-like: str, int, float, bool, None, list or dict. Items of a
    list-of-dicts value may carry their own ``path``/``line``/``column`` keys.
    """

    value: Any
    location: Location | None = None


# Facts are keyed by dotted names, e.g. "build_log.plugins.gemm_plugin".
Facts = dict[str, Fact]


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing a named check found wrong. The rule file holds the words: ``kind`` picks the
    rule's ``messages`` template (``message`` when it has none for the kind), and ``fields``
    are the values that template may name (``{tensor}``, ``{version}``)."""

    kind: str
    location: Location | None
    fields: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Subject:
    """One thing rules are evaluated on: a model, an engine file, the repository."""

    kind: str  # "repo" | "triton-model" | "trtllm-model" | "trt-engine"
    name: str  # display name, e.g. "tensorrt_llm" or "tensorrt_llm/1/rank0.engine"
    path: str  # the subject's folder or file
    facts: Facts = field(default_factory=dict)
    # the model it belongs to ("" for the repository): an engine folder outside the repository
    # belongs to the model whose config points at it, whatever its path is
    model: str = ""


@dataclass(frozen=True, slots=True)
class Result:
    rule: str
    name: str
    severity: Severity
    status: Status
    message: str
    subject: str = ""
    location: Location | None = None
    remediation: str = ""
    model: str = ""  # the subject's model (Subject.model): reports group by it


@dataclass(frozen=True, slots=True)
class Target:
    gpu: str | None = None
    compute_capability: str | None = None
    sm_count: int | None = None
    triton_version: str | None = None
    trt_version: str | None = None
    trtllm_version: str | None = None
    trt_version_plain: str | None = None  # the plain -py3 container's, for tensorrt_plan models
    gpu_memory_mib: float | None = None  # usable memory per GPU (--gpu-memory, else the table)
    world_size: int | None = None  # the MPI world size the server is launched with


@dataclass(frozen=True, slots=True)
class RunResult:
    preflight_version: str
    repo: str
    target: Target
    results: tuple[Result, ...]
    notes: tuple[str, ...] = ()
    # run metadata beyond one local repository: the repositories, per store the requests made
    # and bytes read (JSON ``run``); None for a plain local run
    meta: Mapping[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class Condition:
    fact: str
    op: str
    value: Any = None  # a literal, {"fact": key} or {"option": name}
    message: str = ""  # overrides the rule's message when this condition fails


@dataclass(frozen=True, slots=True)
class Expectation:
    mode: str  # "all" or "any"; a single condition is "all" of one
    conditions: tuple[Condition, ...]


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    name: str
    title: str
    severity: Severity
    applies_to: str
    expect: Expectation | None  # None for a rule that names a check
    message: str
    remediation: str
    docs: str
    when: Expectation | None = None
    if_missing: str = "skip"
    check: str = ""  # a named check (preflight.checks) instead of `expect`
    params: dict[str, Any] = field(default_factory=dict)  # the check's parameters
    each: str = ""  # a list fact: `expect` holds for every item (`item.<field>`)
    messages: dict[str, str] = field(default_factory=dict)  # problem kind -> template
    options: dict[str, Any] = field(default_factory=dict)  # name -> default
    option_help: dict[str, str] = field(default_factory=dict)
    missing_message: str = ""
    pass_message: str = ""
    why: str = ""
    example: str = ""
    enabled_by_default: bool = True
    after: tuple[str, ...] = ()  # skipped on a subject where one of these rules failed
    source: str = ""  # the YAML file
