"""``facts --format text``: one ``key = value`` line per fact, with its file and line when
known; a repository's subjects follow as JSON."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TextIO

from preflight.model import Facts
from preflight.reporters.facts_json import finite, subjects_tree


def render(facts: Facts, out: TextIO, *, subjects: Mapping[str, Facts] | None = None) -> None:
    for key, fact in sorted(facts.items()):
        where = ""
        if fact.location is not None and fact.location.line:
            where = f"  ({fact.location.path}:{fact.location.line})"
        out.write(f"{key} = {json.dumps(fact.value, default=str)}{where}\n")
    if subjects is not None:
        json.dump(finite(subjects_tree(subjects)), out, indent=2, default=str)
        out.write("\n")
