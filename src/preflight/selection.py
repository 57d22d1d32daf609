"""``--select`` / ``--ignore``: which rules a run evaluates, as a linter picks them.

A selector is a rule id (``TLLM003``), a rule name (``remove-input-padding``), an id prefix
(``TRITON``, ``TLLM00``) or a rule group, the folder its file sits in (``tensorrt``,
``backend``); case does not matter and several may be given comma-separated. ``--select``
keeps the rules any selector matches (all when none is given), then ``--ignore`` drops the
rules one of its selectors matches. A rule left out is not evaluated at all, so nothing waits
for it (``after:``): the run behaves as if the rule did not exist.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

from .model import Rule


def split(values: Iterable[str]) -> list[str]:
    """Selectors from repeated and comma-separated option values."""
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


def group_of(rule: Rule) -> str:
    """The folder a rule file sits in (``rules/<group>/<ID>.yaml``), '' when unknown."""
    return Path(rule.source).parent.name.lower() if rule.source else ""


def matches(selector: str, rule: Rule) -> bool:
    key = selector.strip()
    upper, lower = key.upper(), key.lower()
    return (
        rule.id.startswith(upper)
        or rule.name == lower
        or (bool(group_of(rule)) and group_of(rule) == lower)
    )


def unknown(selectors: Sequence[str], rules: Sequence[Rule]) -> list[str]:
    """The selectors that match no rule (a typo should not silently select nothing)."""
    return [s for s in selectors if not any(matches(s, r) for r in rules)]


def select(rules: Sequence[Rule], chosen: Sequence[str], ignored: Sequence[str]) -> list[Rule]:
    kept = [r for r in rules if not chosen or any(matches(s, r) for s in chosen)]
    return [r for r in kept if not any(matches(s, r) for s in ignored)]
