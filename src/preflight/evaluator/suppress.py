"""Suppressions: findings a repository has decided to accept, each with a reason.

Two sources:

* ``.preflight.yaml``::

      ignore:
        - rules: [TLLM106, world-size-fits-gpu-count]   # ids or names
          paths: ["tensorrt_llm/**"]                    # globs on the finding's path (optional)
          reason: the engine is rebuilt nightly with the larger batch

* a comment in a model's ``config.pbtxt``, for findings on that model::

      # preflight: ignore[TRITON004,TLLM106] optional parameters keep the backend defaults

A suppressed failure stays in the report as ``skip`` with ``suppressed (<where>: <reason>)``
before its message, so it is shown but does not fail the run. A directive without a reason
suppresses nothing and says so in a note.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from fnmatch import fnmatchcase

from ..facts import value_of
from ..model import Facts, Result, Status


@dataclass(frozen=True, slots=True)
class Suppression:
    rules: frozenset[str]  # ids and names
    paths: tuple[str, ...]  # globs relative to the repository; empty: every path
    reason: str
    where: str  # "config.pbtxt:3" or ".preflight.yaml:12"
    model: str = ""  # a pbtxt directive applies to this model only

    def covers(self, result: Result) -> bool:
        if result.rule not in self.rules and result.name not in self.rules:
            return False
        path = result.location.path if result.location else ""
        if self.model:
            return result.subject == self.model or path.startswith(self.model + "/")
        return not self.paths or any(fnmatchcase(path, glob) for glob in self.paths)


def from_facts(model: str, facts: Facts) -> tuple[list[Suppression], list[str]]:
    """A model's ``# preflight: ignore[...]`` directives (``triton.ignore_directives``, read by
    the config.pbtxt source), and notes on directives without rules or a reason."""
    found: list[Suppression] = []
    notes: list[str] = []
    directives = value_of(facts, "triton.ignore_directives")
    for item in directives if isinstance(directives, list) else []:
        if not isinstance(item, dict):
            continue
        rules = frozenset(str(r) for r in item.get("rules") or [] if str(r).strip())
        reason = str(item.get("reason") or "").strip()
        where = f"{model}/config.pbtxt:{item.get('line')}"
        if not reason or not rules:
            notes.append(
                f"{where}: preflight: ignore[...] needs rule ids and a reason; not applied"
            )
            continue
        found.append(Suppression(rules, (), reason, where, model))
    return found, notes


def apply(results: list[Result], suppressions: list[Suppression]) -> list[Result]:
    out = []
    for result in results:
        match = next((s for s in suppressions if s.covers(result)), None)
        if result.status is Status.FAIL and match is not None:
            message = f"suppressed ({match.where}: {match.reason}): {result.message}"
            result = replace(result, status=Status.SKIP, message=message)
        out.append(result)
    return out
