"""The placeholder table (``placeholders.yaml``): what an unfilled ``${key}`` in a ``parameters``
string does, by what reads the parameter (the tensorrtllm backend, or one of the templates'
Python models), and where that depends on the backend release."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from .. import versions
from . import load_table

__all__ = ["CONSEQUENCES", "Consequence", "Reader", "consequence_of", "load_readers", "reader_for"]

CONSEQUENCES = ("error", "default", "unset")


@dataclass(frozen=True)
class Consequence:
    """What an unfilled parameter does: ``error`` / ``default`` / ``unset``, with why."""

    consequence: str
    reason: str = ""
    kind: str = ""
    source: str = ""
    unless_filled: tuple[str, ...] = ()
    error_when_filled: tuple[str, ...] = ()


@dataclass(frozen=True)
class Reader:
    """One row of ``readers``: how a kind of model reads its parameters."""

    name: str
    backend: str | None
    has: tuple[str, ...]
    lacks: tuple[str, ...]
    other: str
    keys: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    def matches(self, backend: str | None, keys: set[str]) -> bool:
        """``backend`` None: not known (an unfilled placeholder), so any backend matches."""
        if self.backend is not None and backend is not None and backend != self.backend:
            return False
        return all(k in keys for k in self.has) and not any(k in keys for k in self.lacks)


def _strings(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, Sequence):
        return tuple(str(v) for v in value)
    return ()


@cache
def load_readers() -> tuple[Reader, ...]:
    """The rows of ``preflight/data/placeholders.yaml``, in matching order."""
    data = load_table("placeholders.yaml")
    rows = data.get("readers", []) if isinstance(data, dict) else []
    readers = []
    for row in rows:
        if not isinstance(row, dict):
            continue
        match = row.get("match") or {}
        keys = row.get("keys") or {}
        readers.append(
            Reader(
                name=str(row.get("name")),
                backend=match.get("backend"),
                has=_strings(match.get("has")),
                lacks=_strings(match.get("lacks")),
                other=str(row.get("other", "default")),
                keys={
                    str(k): (v if isinstance(v, dict) else {"consequence": v})
                    for k, v in keys.items()
                },
            )
        )
    return tuple(readers)


def reader_for(backend: str | None, keys: set[str]) -> Reader | None:
    """The first reader whose match holds for a model of ``backend`` with these parameter keys."""
    for reader in load_readers():
        if reader.matches(backend, keys):
            return reader
    return None


def _for_release(entry: Mapping[str, Any], release: str | None) -> str:
    """The entry's consequence for the backend ``release`` (``before:`` rows, lowest first)."""
    before = entry.get("before")
    if release and isinstance(before, dict):
        for bound in sorted(before, key=lambda b: versions.parse(str(b))):
            try:
                if versions.compare(release, str(bound), prefix=False) < 0:
                    return str(before[bound])
            except ValueError:
                break
    return str(entry.get("consequence", "default"))


def consequence_of(
    backend: str | None, keys: set[str], key: str, release: str | None
) -> Consequence:
    """What an unfilled parameter ``key`` does in a model of ``backend`` (None: not known, "":
    none) with parameter ``keys``, served by backend ``release`` (None: unknown, the newest
    behaviour)."""
    reader = reader_for(backend, keys)
    if reader is None:
        return Consequence("default")
    entry = reader.keys.get(key)
    if entry is None:
        return Consequence(reader.other, source=reader.name)
    return Consequence(
        _for_release(entry, release),
        reason=" ".join(str(entry.get("reason", "")).split()),
        kind=str(entry.get("kind", "")),
        source=str(entry.get("source", "")),
        unless_filled=_strings(entry.get("unless-filled")),
        error_when_filled=_strings(entry.get("error-when-filled")),
    )
