"""``rules --format text``: one line per rule, id, name, severity and title in columns."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TextIO

from preflight.model import Rule


def render(rules: Sequence[Rule], out: TextIO) -> None:
    width = max((len(r.name) for r in rules), default=10)
    for r in rules:
        out.write(f"{r.id}  {r.name:<{width}}  {r.severity.value:<7}  {r.title}\n")
