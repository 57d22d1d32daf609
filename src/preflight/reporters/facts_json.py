"""``facts --format json``: the facts of each input nested by their dotted keys.

Each input adds its top-level keys (``build_log``, ``engine`` ...); ``--repo`` adds ``repo``,
one entry per subject (``kind:name``) holding that subject's own facts.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, TextIO

from preflight.facts import to_tree
from preflight.model import Facts


def finite(value: Any) -> Any:
    """JSON has no NaN or infinity: a config.json may still hold them; print them as text."""
    if isinstance(value, float) and (value != value or abs(value) == float("inf")):
        return str(value)
    if isinstance(value, dict):
        return {k: finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [finite(v) for v in value]
    return value


def subjects_tree(subjects: Mapping[str, Facts]) -> dict[str, Any]:
    return {label: to_tree(facts) for label, facts in subjects.items()}


def render(facts: Facts, out: TextIO, *, subjects: Mapping[str, Facts] | None = None) -> None:
    tree = to_tree(facts)
    if subjects is not None:
        tree["repo"] = subjects_tree(subjects)
    json.dump(finite(tree), out, indent=2, default=str)
    out.write("\n")
