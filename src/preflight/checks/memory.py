"""GPU memory at load: the paged KV cache against one sequence and a full batch (``memory.*``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..facts import value_of
from ..model import Facts, Problem
from . import check, problem


def _fields(facts: Facts) -> dict[str, Any]:
    """The numbers a KV cache finding shows."""
    per_token = value_of(facts, "memory.kv_bytes_per_token")
    return {
        "tokens": value_of(facts, "memory.kv_tokens"),
        "kv_gib": value_of(facts, "memory.kv_gib"),
        "sequence": value_of(facts, "memory.sequence_tokens"),
        "beam": value_of(facts, "memory.beam_width"),
        "block": value_of(facts, "memory.tokens_per_block"),
        "fraction": value_of(facts, "memory.kv_fraction"),
        "max_tokens": value_of(facts, "memory.max_tokens_param"),
        "gpu_gib": value_of(facts, "memory.gpu_gib"),
        "weights_gib": value_of(facts, "memory.weights_gib"),
        "kib_per_token": round(per_token / 1024, 1) if isinstance(per_token, float) else None,
        "batch": value_of(facts, "memory.batch_size"),
    }


def _kind(facts: Facts) -> str:
    return (
        "max-tokens"
        if value_of(facts, "memory.kv_limited_by") == "max_tokens_in_paged_kv_cache"
        else "fraction"
    )


@check(
    "memory.sequence-fits-kv-cache",
    requires=("memory.kv_tokens", "memory.sequence_kv_tokens"),
    kinds=("max-tokens", "fraction"),
    at="memory.kv_tokens",
)
def sequence_fits(facts: Facts, params: Mapping[str, Any]) -> list[Problem]:
    """The paged KV cache holds one sequence of the engine's maximum length (every beam).

    ``max-tokens`` when max_tokens_in_paged_kv_cache decides the size, ``fraction`` when
    kv_cache_free_gpu_mem_fraction of the free memory does; fields ``tokens`` (what the cache
    gets), ``need`` (one sequence's blocks in tokens) and the numbers behind them.
    """
    tokens = facts["memory.kv_tokens"]
    need = facts["memory.sequence_kv_tokens"].value
    if not isinstance(tokens.value, int) or not isinstance(need, int) or tokens.value >= need:
        return []
    return [problem(_kind(facts), tokens.location, need=need, **_fields(facts))]


@check(
    "memory.batch-fits-kv-cache",
    requires=("memory.kv_tokens", "memory.batch_kv_tokens"),
    kinds=("max-tokens", "fraction"),
    at="memory.kv_tokens",
)
def batch_fits(facts: Facts, params: Mapping[str, Any]) -> list[Problem]:
    """The paged KV cache holds the engine's max_batch_size sequences of full length.

    Not judged where one sequence does not fit (the sequence check reports that). Fields as
    for the sequence check, plus ``need`` (the batch's tokens) and ``serves`` (how many
    full-length sequences fit).
    """
    tokens = facts["memory.kv_tokens"]
    need = facts["memory.batch_kv_tokens"].value
    one = value_of(facts, "memory.sequence_kv_tokens")
    if not all(isinstance(v, int) for v in (tokens.value, need, one)):
        return []
    if tokens.value >= need or tokens.value < one:
        return []
    serves = tokens.value // one
    return [problem(_kind(facts), tokens.location, need=need, serves=serves, **_fields(facts))]
