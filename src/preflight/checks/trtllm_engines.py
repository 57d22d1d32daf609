"""The rank engines of a TensorRT-LLM model: every one there, every one from the logged build."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..model import Facts, Location, Problem
from . import MissingFact, check, problem

_NOT_THERE = ("missing", "not-a-file")  # engine.format of a path that is not an engine file


def _ranks(facts: Facts) -> list[dict[str, Any]]:
    found = facts.get("engines.ranks")
    if found is None or not isinstance(found.value, list):
        raise MissingFact("engines.ranks")
    return [r for r in found.value if isinstance(r, dict)]


def _missing(item: Mapping[str, Any]) -> bool:
    return not item.get("present") or item.get("format") in _NOT_THERE


@check(
    "trtllm.rank-engines-present",
    requires=("engines.world_size",),
    kinds=("too-many-ranks", "missing", "empty"),
)
def rank_engines_present(facts: Facts, params: Mapping[str, Any]) -> list[Problem]:
    """Every rank below config.json's world size has its engine file, and none is empty.

    ``too-many-ranks``: a world size above ``limit`` (``engines.rank_limit``) is not looked at
    rank by rank; ``missing``: one per absent rank file (``name``), else ``empty``: one per
    0-byte file.
    """
    world = facts["engines.world_size"]
    limit = facts.get("engines.rank_limit")
    if limit is not None and isinstance(world.value, int) and world.value > limit.value:
        declared = facts.get("engine_config.world_size_effective")
        where = declared.location if declared is not None else world.location
        at = Location(where.path) if where is not None else None
        return [problem("too-many-ranks", at, limit=limit.value)]
    ranks = _ranks(facts)
    missing = [r for r in ranks if _missing(r)]
    if missing:
        return [problem("missing", Location(str(r["path"])), name=r["name"]) for r in missing]
    return [
        problem("empty", Location(str(r["path"])), name=r["name"])
        for r in ranks
        if r.get("size") == 0 and not isinstance(r.get("size"), bool)
    ]


@check(
    "trtllm.rank-engines-serialized",
    requires=("engines.ranks", "build_log.serialized_ranks"),
    kinds=("not-serialized", "other-ranks"),
)
def rank_engines_serialized(facts: Facts, params: Mapping[str, Any]) -> list[Problem]:
    """The build log serialized every rank engine there is, and no rank beyond the world size.

    ``not-serialized``: one per rank file (``name``) the log does not show serialized;
    ``other-ranks``: the log serialized ``ranks`` at or beyond ``world_size``, at the first one's
    ``Serializing engine to`` line.
    """
    ranks = _ranks(facts)
    unlogged = [r for r in ranks if not _missing(r) and r.get("serialized") is False]
    if unlogged:
        return [
            problem("not-serialized", Location(str(r["path"])), name=r["name"]) for r in unlogged
        ]
    world = facts.get("engines.world_size")
    size = world.value if world is not None else len(ranks)
    logged = facts["build_log.serialized_ranks"]
    foreign = sorted(
        r
        for r in (logged.value if isinstance(logged.value, list) else [])
        if isinstance(r, int) and not isinstance(r, bool) and r >= size
    )
    if not foreign:
        return []
    log = facts.get("scan.build_log")
    where = log.location if log is not None else logged.location
    path = where.path if where is not None else ""
    names = [f"rank{r}.engine" for r in foreign]
    at = Location(path, _serialized_line(facts, foreign[0]))
    return [problem("other-ranks", at, ranks=names, world_size=size)]


def _serialized_line(facts: Facts, rank: int) -> int | None:
    """The log line of the `Serializing engine to ...rank<r>.engine` line, when known."""
    started = facts.get("build_log.started_engines")
    for item in started.value if started is not None and isinstance(started.value, list) else []:
        if (
            isinstance(item, dict)
            and item.get("rank") == rank
            and isinstance(item.get("line"), int)
        ):
            line: int = item["line"]
            return line
    return None
