"""Speculative decoding settings of the tensorrtllm backend against the engine."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..facts import value_of
from ..model import Facts, Problem
from . import MissingFact, check, problem


@check(
    "backend.lookahead-fits-engine",
    requires=("backend.lookahead",),
    kinds=("missing-params", "too-large", "too-small", "illegal"),
)
def lookahead_fits_engine(facts: Facts, params: Mapping[str, Any]) -> list[Problem]:
    """The lookahead (W, N, G) parameters need exactly the engine's max_draft_len.

    ``missing-params``: ``names`` are not set to numbers; ``illegal``: (W, N, G) breaks
    LookaheadDecodingConfig::isLegal; ``too-large`` / ``too-small``: ``draft_len`` (from ``w``,
    ``n``, ``g``) is above / below the engine's ``max_draft_len``.
    """
    found = facts["backend.lookahead"]
    config = found.value
    missing = config.get("missing") or []
    if missing:
        return [problem("missing-params", found.location, names=", ".join(missing))]
    w, n, g = config["window"], config["ngram"], config["verification"]
    shown = {"w": w, "n": n, "g": g, "draft_len": config["draft_len"]}
    legal = n >= 1 and w >= 1 and (n != 1 or (w == 1 and g == 0))
    if not legal:
        return [problem("illegal", found.location, **shown)]
    engine = value_of(facts, "engine_config.build_config.max_draft_len")
    if not isinstance(engine, int) or isinstance(engine, bool):
        raise MissingFact("engine_config.build_config.max_draft_len")
    if config["draft_len"] > engine:
        return [problem("too-large", found.location, max_draft_len=engine, **shown)]
    if config["draft_len"] < engine:
        return [problem("too-small", found.location, max_draft_len=engine, **shown)]
    return []
