"""``rules --format json``: a list of the rules, each with the keys of the public contract
(``id``, ``name``, ``severity``, ``title``) plus ``applies_to`` and option defaults."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, TextIO

from preflight.model import Rule


def to_list(rules: Sequence[Rule]) -> list[dict[str, Any]]:
    return [
        {
            "id": r.id,
            "name": r.name,
            "severity": r.severity.value,
            "title": r.title,
            "applies_to": r.applies_to,
            "options": r.options,
        }
        for r in rules
    ]


def render(rules: Sequence[Rule], out: TextIO) -> None:
    json.dump(to_list(rules), out, indent=2)
    out.write("\n")
