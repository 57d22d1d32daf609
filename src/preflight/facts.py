"""Small helpers over :data:`preflight.model.Facts`: build one, read one, nest them into a tree."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from preflight.model import Fact, Facts, Location


def fact(value: Any, path: str | Path, line: int | None = None, column: int | None = None) -> Fact:
    """A :class:`Fact` read from ``path`` at the 1-based ``line``/``column`` (when known)."""
    return Fact(value=value, location=Location(path=str(path), line=line, column=column))


class NamespaceError(Exception):
    """A writer returned a fact outside the namespaces it owns (a bug in preflight)."""


def merge(into: Facts, new: Facts, namespaces: tuple[str, ...]) -> Facts:
    """Add ``new`` to ``into``; every key must lie in one of the writer's ``namespaces``.

    Each fact namespace has one writer (a source or a derivation, listed in docs/design.md);
    the scan adds every writer's facts through here, so a second writer is caught at once.
    """
    prefixes = tuple(f"{n}." for n in namespaces)
    for key in new:
        if not key.startswith(prefixes):
            raise NamespaceError(f"{key!r} is outside {', '.join(namespaces)}")
    into.update(new)
    return into


def item_location(item: Mapping[str, Any], default_path: str) -> Location:
    """Where one item of a list fact sits: its own ``path`` (else ``default_path``), ``line``
    and ``column`` keys."""
    line, column = item.get("line"), item.get("column")
    return Location(
        str(item.get("path") or default_path),
        line if isinstance(line, int) else None,
        column if isinstance(column, int) else None,
    )


def value_of(facts: Facts, key: str) -> Any:
    """The value of ``key``, or None when the fact is absent."""
    found = facts.get(key)
    return None if found is None else found.value


def to_tree(facts: Facts) -> dict[str, Any]:
    """Nest dotted keys into dicts, keeping values only.

    ``{"a.b": Fact(1), "a.c": Fact(2)}`` becomes ``{"a": {"b": 1, "c": 2}}``. Keys are visited
    in sorted order. When a key is both a value and a prefix of other keys (``a`` and ``a.b``),
    nothing is dropped: the longer key keeps its remaining dotted suffix at the deepest dict it
    can reach (``{"a": 1, "a.b": 2}`` stays ``{"a": 1, "a.b": 2}``).
    """
    tree: dict[str, Any] = {}
    made = {id(tree)}  # dicts built here; a fact's own dict value is never descended into
    for key in sorted(facts):
        parts = key.split(".")
        node = tree
        depth = 0
        while depth < len(parts) - 1:
            if parts[depth] not in node:
                node[parts[depth]] = {}
                made.add(id(node[parts[depth]]))
            child = node[parts[depth]]
            if not (isinstance(child, dict) and id(child) in made):
                break
            node = child
            depth += 1
        node[".".join(parts[depth:])] = facts[key].value
    return tree
