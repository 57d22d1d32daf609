"""``memory.*``: what one TensorRT-LLM model needs of each GPU at load, against the target's GPU.

The arithmetic repeats what the TensorRT-LLM runtime does when the tensorrtllm backend loads an
engine (``TrtGptModelInflightBatching`` and ``KVCacheManager::calculateMaxNumBlocks`` in
NVIDIA/TensorRT-LLM ``cpp/tensorrt_llm/batch_manager``): the engine is deserialized (its
weights take about the rank file's size), then the paged KV cache takes
``kv_cache_free_gpu_mem_fraction`` (the backend's default 0.9, ``model_instance_state.cc``) of
the memory still free, capped by ``max_tokens_in_paged_kv_cache`` when that is set (the smaller
of the two wins). A block holds ``tokens_per_block`` tokens of every local layer:
``2 (K and V) x layers / pp x KV heads / tp x head size x KV dtype bytes`` per token. One
sequence needs ``ceil(max_seq_len / tokens_per_block)`` blocks per beam.

The estimate leaves out the activations and the runtime's buffers (neither config.json nor the
plan header gives them): the free memory it finds is an upper bound, so a sequence it finds too
long is too long for certain.

Facts (at the setting that decides each; none when an input is missing):

- ``gpu_mib`` / ``gpu_gib``: the target's usable memory per GPU.
- ``weights_mib`` / ``weights_gib`` / ``weights_rank``: the largest rank engine file.
- ``kv_dtype``, ``kv_bytes_per_token``: one token's K and V of one rank, in bytes.
- ``tokens_per_block`` (config.json's, else the runtime's default 64).
- ``sequence_tokens``: ``max_seq_len`` (legacy: ``max_input_len + max_output_len``), capped by
  ``max_attention_window_size``; ``beam_width``; ``sequence_kv_tokens``: the tokens of the
  blocks one sequence takes at full length, times the beam width.
- ``batch_size`` (the engine's ``max_batch_size``); ``batch_kv_tokens``: the same for a full
  batch.
- ``kv_fraction`` and ``kv_fraction_set`` (whether the parameter gives it);
  ``fraction_kv_tokens``: the tokens the fraction of the free memory holds;
  ``max_tokens_param``: ``max_tokens_in_paged_kv_cache`` when it parses;
  ``kv_tokens``: the tokens the KV cache gets (the smaller of the two), ``kv_limited_by``:
  ``max_tokens_in_paged_kv_cache`` or ``kv_cache_free_gpu_mem_fraction``; ``kv_gib``.
"""

from __future__ import annotations

import math
from typing import Any

from ..facts import value_of
from ..model import Fact, Facts, Location

NAMESPACES = ("memory",)

MIB = 1024 * 1024
DEFAULT_FRACTION = 0.9  # model_instance_state.cc: "will use default value of 0.9"
DEFAULT_TOKENS_PER_BLOCK = 64  # trtllm-build's default (build_config.plugin_config)
DTYPE_BYTES = {"float32": 4.0, "float16": 2.0, "bfloat16": 2.0, "fp8": 1.0, "int8": 1.0}
KV_QUANT_BYTES = {"INT8": 1.0, "FP8": 1.0, "NVFP4": 0.5}


def _int(facts: Facts, key: str) -> int | None:
    value = value_of(facts, key)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        return None
    return value


def _where(facts: Facts, *keys: str) -> Location | None:
    for key in keys:
        found = facts.get(key)
        if found is not None and found.location is not None:
            return found.location
    return None


def _gib(mib: float) -> float:
    return round(mib / 1024, 2)


def derive(facts: Facts) -> Facts:
    """``memory.*`` of one TensorRT-LLM model from ``engine_config.*``, ``engines.*``,
    ``backend.*``, ``triton.parameters.*`` and ``target.gpu_memory_mib``."""
    out: Facts = {}
    gpu = value_of(facts, "target.gpu_memory_mib")
    if not isinstance(gpu, (int, float)) or isinstance(gpu, bool) or gpu <= 0:
        return out
    engine_dir = _where(facts, "engines.ranks", "scan.engine_dir")
    out["memory.gpu_mib"] = Fact(float(gpu), engine_dir)
    out["memory.gpu_gib"] = Fact(_gib(gpu), engine_dir)
    weights = _weights(facts)
    if weights is None:
        return out
    size, rank, where = weights
    out["memory.weights_mib"] = Fact(round(size / MIB, 1), where)
    out["memory.weights_gib"] = Fact(_gib(size / MIB), where)
    out["memory.weights_rank"] = Fact(rank, where)
    if value_of(facts, "backend.encoder_decoder") is True or value_of(facts, "trtllm.recurrent"):
        return out  # cross-attention and recurrent state are sized otherwise: not estimated
    if value_of(facts, "trtllm.kv_cache_paged") is False:
        return out
    out.update(_kv_cache(facts, gpu - size / MIB))
    return out


def _weights(facts: Facts) -> tuple[int, int, Location] | None:
    """The largest rank file: its size in bytes, rank and path."""
    ranks = value_of(facts, "engines.ranks")
    if not isinstance(ranks, list):
        return None
    best: tuple[int, int, Location] | None = None
    for item in ranks:
        size = item.get("size") if isinstance(item, dict) else None
        if item.get("format") not in ("ftrt", "ptrt") or not isinstance(size, int):
            continue  # an LFS pointer or a truncated file says nothing of the weights
        if best is None or size > best[0]:
            best = (size, int(item.get("rank", 0)), Location(str(item.get("path", ""))))
    return best


def _kv_cache(facts: Facts, free_mib: float) -> Facts:
    out: Facts = {}
    per_token = _bytes_per_token(facts, out)
    tokens_fact = facts.get("engine_config.plugin_config.tokens_per_block")
    block = _int(facts, "engine_config.plugin_config.tokens_per_block")
    block = block or DEFAULT_TOKENS_PER_BLOCK
    where_block = tokens_fact.location if tokens_fact is not None else None
    out["memory.tokens_per_block"] = Fact(block, where_block)
    sequence = _sequence(facts, out)
    if per_token is None or sequence is None:
        return out
    beam = (
        value_of(facts, "backend.max_beam_width")
        or _int(facts, "engine_config.build_config.max_beam_width")
        or 1
    )
    beam_where = _where(
        facts, "backend.max_beam_width", "engine_config.build_config.max_beam_width"
    )
    out["memory.beam_width"] = Fact(beam, beam_where)
    seq_tokens = math.ceil(sequence / block) * block * beam
    seq_where = out["memory.sequence_tokens"].location
    out["memory.sequence_kv_tokens"] = Fact(seq_tokens, seq_where)
    batch = _int(facts, "engine_config.build_config.max_batch_size")
    if batch is not None:
        batch_where = _where(facts, "engine_config.build_config.max_batch_size")
        out["memory.batch_size"] = Fact(batch, batch_where)
        out["memory.batch_kv_tokens"] = Fact(seq_tokens * batch, batch_where)

    fraction_fact = facts.get("backend.kv_cache_free_gpu_mem_fraction")
    fraction = fraction_fact.value if fraction_fact is not None else DEFAULT_FRACTION
    if not isinstance(fraction, (int, float)) or not 0 < fraction <= 1:
        return out  # TLLM107 reports a fraction outside (0, 1]
    config_line = _where(facts, "triton.backend", "triton.config_path")
    fraction_where = fraction_fact.location if fraction_fact is not None else config_line
    out["memory.kv_fraction"] = Fact(fraction, fraction_where)
    out["memory.kv_fraction_set"] = Fact(fraction_fact is not None, fraction_where)
    block_bytes = per_token * block
    blocks = max(0, math.floor(max(free_mib, 0.0) * MIB * fraction / block_bytes))
    out["memory.fraction_kv_tokens"] = Fact(blocks * block, fraction_where)
    chosen, limited_by, where = blocks * block, "kv_cache_free_gpu_mem_fraction", fraction_where
    param = facts.get("triton.parameters.max_tokens_in_paged_kv_cache")
    max_tokens = _parse_int(param.value) if param is not None else None
    if param is not None and max_tokens is not None and max_tokens > 0:
        out["memory.max_tokens_param"] = Fact(max_tokens, param.location)
        capped = math.ceil(max_tokens / block) * block
        if capped < chosen:
            chosen, limited_by, where = capped, "max_tokens_in_paged_kv_cache", param.location
    out["memory.kv_tokens"] = Fact(chosen, where)
    out["memory.kv_limited_by"] = Fact(limited_by, where)
    out["memory.kv_gib"] = Fact(_gib(chosen * per_token / MIB), where)
    return out


def _parse_int(value: Any) -> int | None:
    if not isinstance(value, str):
        return None
    try:
        return int(value.strip())
    except ValueError:
        return None


def _bytes_per_token(facts: Facts, out: Facts) -> float | None:
    """K and V of one token on one rank: 2 x local layers x local KV heads x head size x bytes."""
    layers = _int(facts, "engine_config.num_hidden_layers")
    heads = _int(facts, "engine_config.num_attention_heads")
    kv_heads = _int(facts, "engine_config.num_key_value_heads") or heads
    head_size = _int(facts, "engine_config.head_size")
    hidden = _int(facts, "engine_config.hidden_size")
    if head_size is None and hidden is not None and heads is not None:
        head_size = hidden // heads
    tp = _int(facts, "engine_config.mapping.tp_size") or 1
    pp = _int(facts, "engine_config.mapping.pp_size") or 1
    quant = value_of(facts, "engine_config.quantization.kv_cache_quant_algo")
    dtype = value_of(facts, "engine_config.dtype")
    if isinstance(quant, str) and quant.upper() in KV_QUANT_BYTES:
        kv_dtype, size = quant.upper(), KV_QUANT_BYTES[quant.upper()]
    elif isinstance(dtype, str) and dtype in DTYPE_BYTES:
        kv_dtype, size = dtype, DTYPE_BYTES[dtype]
    else:
        return None
    if layers is None or kv_heads is None or head_size is None:
        return None
    local_layers = math.ceil(layers / pp)
    local_heads = max(1, math.ceil(kv_heads / tp))
    per_token = 2 * local_layers * local_heads * head_size * size
    where = _where(facts, "engine_config.num_hidden_layers")
    out["memory.kv_dtype"] = Fact(kv_dtype, _where(facts, "engine_config.dtype"))
    out["memory.kv_bytes_per_token"] = Fact(per_token, where)
    return per_token


def _sequence(facts: Facts, out: Facts) -> int | None:
    """The longest sequence the engine takes: max_seq_len, else max_input_len + max_output_len;
    a max_attention_window_size parameter caps the tokens kept."""
    seq = _int(facts, "engine_config.build_config.max_seq_len")
    where = _where(facts, "engine_config.build_config.max_seq_len")
    if seq is None:
        first = _int(facts, "engine_config.build_config.max_input_len")
        second = _int(facts, "engine_config.build_config.max_output_len")
        if first is None or second is None:
            return None
        seq, where = first + second, _where(facts, "engine_config.build_config.max_input_len")
    window = facts.get("triton.parameters.max_attention_window_size")
    size = _parse_int(window.value) if window is not None else None
    if window is not None and size is not None and 0 < size < seq:
        seq, where = size, window.location
    out["memory.sequence_tokens"] = Fact(seq, where)
    return seq
