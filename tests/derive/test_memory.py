"""GPU memory at load (`memory.*`, derive/memory.py) and the checks that judge it, with numbers
from the load failures users reported; placement and lookahead checks beside them."""

from __future__ import annotations

from typing import Any

import pytest

from preflight.checks import MissingFact, registry
from preflight.derive import memory
from preflight.derive.backend import derive as backend_facts
from preflight.derive.backend import lookahead_draft_len
from preflight.facts import fact
from preflight.model import Fact, Facts, Problem

CFG = "/repo/tensorrt_llm/1/config.json"
PBTXT = "/repo/tensorrt_llm/config.pbtxt"
GIB = 1024**3


def _model(
    *,
    layers: int = 32,
    heads: int = 32,
    kv_heads: int | None = 32,
    head_size: int | None = 128,
    hidden: int = 4096,
    dtype: str = "float16",
    tp: int = 1,
    pp: int = 1,
    limits: dict[str, int] | None = None,
    tokens_per_block: int | None = 64,
    kv_quant: str | None = None,
    rank_bytes: int = int(12.55 * GIB),
    gpu_mib: float | None = 15109,
    params: dict[str, str] | None = None,
) -> Facts:
    """A TensorRT-LLM model's facts as the sources and derivations give them."""
    facts: Facts = {
        "engine_config.num_hidden_layers": fact(layers, CFG, 25),
        "engine_config.num_attention_heads": fact(heads, CFG, 26),
        "engine_config.hidden_size": fact(hidden, CFG, 24),
        "engine_config.dtype": fact(dtype, CFG, 22),
        "engine_config.mapping.tp_size": fact(tp, CFG, 36),
        "engine_config.mapping.pp_size": fact(pp, CFG, 37),
        "triton.backend": fact("tensorrtllm", PBTXT, 2),
        "engines.ranks": Fact(
            [
                {
                    "rank": r,
                    "path": f"/repo/tensorrt_llm/1/rank{r}.engine",
                    "present": True,
                    "format": "ftrt",
                    "size": rank_bytes,
                }
                for r in range(tp * pp)
            ],
            fact(None, "/repo/tensorrt_llm/1").location,
        ),
    }
    if kv_heads is not None:
        facts["engine_config.num_key_value_heads"] = fact(kv_heads, CFG, 32)
    if head_size is not None:
        facts["engine_config.head_size"] = fact(head_size, CFG, 58)
    for line, (key, value) in enumerate(
        (limits or {"max_seq_len": 2048, "max_batch_size": 8}).items(), start=64
    ):
        facts[f"engine_config.build_config.{key}"] = fact(value, CFG, line)
    if tokens_per_block is not None:
        facts["engine_config.plugin_config.tokens_per_block"] = fact(tokens_per_block, CFG, 152)
    if kv_quant is not None:
        facts["engine_config.quantization.kv_cache_quant_algo"] = fact(kv_quant, CFG, 46)
    if gpu_mib is not None:
        facts["target.gpu_memory_mib"] = Fact(gpu_mib)
    for line, (key, value) in enumerate((params or {}).items(), start=70):
        facts[f"triton.parameters.{key}"] = fact(value, PBTXT, line, 12)
    facts.update(backend_facts(facts))
    facts.update(memory.derive(facts))
    return facts


def _values(facts: Facts) -> dict[str, Any]:
    return {k: f.value for k, f in facts.items() if k.startswith("memory.")}


def _check(name: str, facts: Facts) -> list[Problem]:
    found = registry()[name]
    for key in found.requires:
        if key not in facts:
            raise MissingFact(key)
    return found.function(facts, found.params)


# --- the estimate -----------------------------------------------------------------------------


def test_llama_7b_fp16_on_a_t4_at_fraction_0_2_cannot_hold_one_sequence() -> None:
    """NVIDIA/TensorRT-LLM#494 / tensorrtllm_backend#168: 693 tokens reported (activations took
    the rest); the estimate, which leaves activations out, gives at most 896."""
    facts = _model(params={"kv_cache_free_gpu_mem_fraction": "0.2"})
    got = _values(facts)
    assert got["memory.kv_bytes_per_token"] == 2 * 32 * 32 * 128 * 2  # 512 KiB
    assert got["memory.weights_gib"] == 12.55
    assert got["memory.kv_tokens"] == 896
    assert got["memory.kv_limited_by"] == "kv_cache_free_gpu_mem_fraction"
    assert got["memory.sequence_kv_tokens"] == 2048
    assert facts["memory.kv_tokens"].location.line == 70  # at the parameter to change
    [found] = _check("memory.sequence-fits-kv-cache", facts)
    assert found.kind == "fraction"
    assert (found.fields["tokens"], found.fields["need"], found.fields["fraction"]) == (
        896,
        2048,
        0.2,
    )
    assert _check("memory.batch-fits-kv-cache", facts) == []  # one sequence already fails


def test_default_fraction_is_the_backends_0_9_and_the_batch_warning_counts_sequences() -> None:
    facts = _model()
    got = _values(facts)
    assert got["memory.kv_fraction"] == 0.9 and got["memory.kv_fraction_set"] is False
    assert facts["memory.kv_fraction"].location.line == 2  # the config's backend line
    assert _check("memory.sequence-fits-kv-cache", facts) == []
    [batch] = _check("memory.batch-fits-kv-cache", facts)
    assert (batch.fields["serves"], batch.fields["batch"], batch.fields["need"]) == (1, 8, 16384)


def test_max_tokens_parameter_caps_the_fraction_baichuan2_13b_tp2() -> None:
    """tensorrtllm_backend#59: Baichuan2-13B, tp 2, max_input_len 2048 + max_output_len 4096
    (a legacy config without max_seq_len); the maintainer's max_tokens_in_paged_kv_cache 2560
    is below the 6144 tokens one sequence needs."""
    facts = _model(
        layers=40,
        heads=40,
        kv_heads=40,
        head_size=128,
        hidden=5120,
        tp=2,
        limits={"max_input_len": 2048, "max_output_len": 4096, "max_batch_size": 4},
        rank_bytes=int(13.1 * GIB),
        gpu_mib=81038,
        params={"max_tokens_in_paged_kv_cache": "2560"},
    )
    got = _values(facts)
    assert got["memory.sequence_tokens"] == 6144
    assert got["memory.kv_bytes_per_token"] == 2 * 40 * 20 * 128 * 2  # 20 KV heads per rank
    assert got["memory.kv_tokens"] == 2560
    assert got["memory.kv_limited_by"] == "max_tokens_in_paged_kv_cache"
    [found] = _check("memory.sequence-fits-kv-cache", facts)
    assert found.kind == "max-tokens" and found.fields["need"] == 6144


def test_gqa_kv_quantization_pipeline_and_beams_shape_the_tokens() -> None:
    facts = _model(
        layers=80,
        heads=64,
        kv_heads=8,
        head_size=None,
        hidden=8192,
        tp=4,
        pp=2,
        kv_quant="FP8",
        limits={"max_seq_len": 4096, "max_batch_size": 4, "max_beam_width": 2},
    )
    got = _values(facts)
    # 2 x 40 local layers x 2 local KV heads x head 128 x 1 byte (FP8)
    assert got["memory.kv_bytes_per_token"] == 2 * 40 * 2 * 128 * 1
    assert got["memory.kv_dtype"] == "FP8"
    assert got["memory.beam_width"] == 2
    assert got["memory.sequence_kv_tokens"] == 4096 * 2


def test_attention_window_caps_the_sequence_and_tokens_per_block_rounds_up() -> None:
    facts = _model(
        limits={"max_seq_len": 32768, "max_batch_size": 1},
        tokens_per_block=None,  # the runtime's default 64
        params={"max_attention_window_size": "4000"},
    )
    got = _values(facts)
    assert got["memory.tokens_per_block"] == 64
    assert got["memory.sequence_tokens"] == 4000
    assert got["memory.sequence_kv_tokens"] == 4032  # 63 blocks of 64
    assert facts["memory.sequence_tokens"].location.line == 70


def test_weights_larger_than_the_gpu_and_nothing_without_a_target_memory() -> None:
    facts = _model(rank_bytes=69568823808, gpu_mib=45373)
    got = _values(facts)
    assert got["memory.weights_mib"] > got["memory.gpu_mib"]
    assert got["memory.fraction_kv_tokens"] == 0  # nothing left for the cache
    assert _values(_model(gpu_mib=None)) == {}


def test_no_estimate_for_lfs_pointers_recurrent_or_encoder_decoder_models() -> None:
    facts = _model()
    pointer = dict(facts)
    pointer["engines.ranks"] = Fact([{"rank": 0, "format": "lfs-pointer", "size": 132}])
    assert "memory.weights_mib" not in memory.derive(pointer)
    recurrent = dict(facts)
    recurrent["trtllm.recurrent"] = Fact(True)
    assert "memory.kv_tokens" not in memory.derive(recurrent)
    enc_dec = dict(facts)
    enc_dec["backend.encoder_decoder"] = Fact(True)
    assert "memory.kv_tokens" not in memory.derive(enc_dec)


def test_a_fraction_outside_0_1_is_left_to_tllm107() -> None:
    facts = _model(params={"kv_cache_free_gpu_mem_fraction": "85"})
    assert "memory.kv_tokens" not in facts


# --- placement --------------------------------------------------------------------------------


def _groups(*groups: dict[str, Any], **extra: Any) -> Facts:
    facts: Facts = {
        "triton.instance_groups": fact(
            [{"name": "", "gpus": [], "count": 1, "path": PBTXT, "line": 46, **g} for g in groups],
            PBTXT,
            45,
        ),
        "triton.name": fact("tensorrt_llm", PBTXT, 1),
    }
    for key, value in extra.items():
        facts[key] = Fact(value)
    return facts


def test_kind_gpu_gpu_list_is_ignored_by_the_backend_issue_481() -> None:
    facts = _groups({"kind": "KIND_GPU", "gpus": [0, 1]})
    [found] = _check("backend.instance-placement", facts)
    assert found.kind == "gpu-list-ignored"
    assert (found.fields["group"], found.fields["instances"]) == ("tensorrt_llm_0", 2)


def test_instances_without_device_ids_share_gpus_and_kind_cpu_one_instance_passes() -> None:
    many = _groups({"kind": "KIND_CPU", "count": 2})
    [found] = _check("backend.instance-placement", many)
    assert found.kind == "instances-share-gpus" and found.fields["instances"] == 2
    assert _check("backend.instance-placement", _groups({"kind": "KIND_CPU"})) == []
    # KIND_GPU without gpus: one instance per GPU of the target
    per_gpu = _groups({"kind": "KIND_GPU"}, **{"target.gpu_count": 4})
    [found] = _check("backend.instance-placement", per_gpu)
    assert found.fields["instances"] == 4


def test_fewer_device_groups_than_instances() -> None:
    facts = _groups({"kind": "KIND_CPU", "count": 3})
    facts["backend.instance_ids"] = Fact(
        [
            {"parameter": "gpu_device_ids", "ids": ["0", "1"], "path": PBTXT, "line": 80},
            {"parameter": "gpu_device_ids", "ids": ["2", "3"], "path": PBTXT, "line": 80},
        ]
    )
    [found] = _check("backend.instance-placement", facts)
    assert (found.kind, found.fields["groups"], found.fields["instances"]) == (
        "fewer-device-groups",
        2,
        3,
    )


def test_device_ids_at_or_above_the_gpu_count_and_not_numbers() -> None:
    facts: Facts = {
        "backend.instance_ids": Fact(
            [{"parameter": "gpu_device_ids", "ids": ["1", "2", "x"], "path": PBTXT, "line": 80}]
        ),
        "target.gpu_count": Fact(2),
    }
    kinds = [(p.kind, p.fields["id"]) for p in _check("backend.gpu-device-ids-exist", facts)]
    assert kinds == [("out-of-range", 2), ("not-a-number", "x")]


def test_shared_gpu_instances_that_do_not_fit_together_issue_274() -> None:
    """Falcon-7B, a 13768 MiB engine, count 2 KIND_GPU on one 24 GB GPU."""
    facts = _groups(
        {"kind": "KIND_GPU", "count": 2},
        **{"target.gpu_count": 1, "memory.weights_mib": 13768.0, "memory.gpu_mib": 22593.0},
    )
    facts["memory.weights_gib"] = Fact(13.45)
    facts["memory.gpu_gib"] = Fact(22.06)
    [found] = _check("backend.instances-fit-gpu-memory", facts)
    assert (found.fields["per_gpu"], found.fields["need_gib"]) == (2, 26.89)
    facts["backend.instance_ids"] = Fact(
        [
            {"parameter": "gpu_device_ids", "ids": ["0"]},
            {"parameter": "gpu_device_ids", "ids": ["1"]},
        ]
    )
    assert _check("backend.instances-fit-gpu-memory", facts) == []


# --- lookahead --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("wng", "draft"),
    [((7, 7, 7), 83), ((4, 3, 4), 15), ((1, 1, 0), 0), ((2, 2, 1), 2), ((8, 7, 7), 89)],
)
def test_lookahead_draft_len_is_tensorrt_llms_formula(
    wng: tuple[int, int, int], draft: int
) -> None:
    """(N == 1 ? 0 : N - 2) + (W - 1 + G) x (N - 1): calculateSpeculativeResourceTuple;
    (7, 7, 7) -> 83 is examples/lookahead/README.md's engine."""
    assert lookahead_draft_len(*wng) == draft


def _lookahead(engine_draft: int | None, **params: str) -> Facts:
    facts: Facts = {"triton.parameters.decoding_mode": fact("lookahead", PBTXT, 60, 12)}
    for line, (key, value) in enumerate(params.items(), start=61):
        facts[f"triton.parameters.{key}"] = fact(value, PBTXT, line, 12)
    if engine_draft is not None:
        facts["engine_config.build_config.max_draft_len"] = fact(engine_draft, CFG, 80)
    facts.update(backend_facts(facts))
    return facts


def test_lookahead_against_the_engine() -> None:
    params = {
        "lookahead_window_size": "7",
        "lookahead_ngram_size": "7",
        "lookahead_verification_set_size": "7",
    }
    assert _check("backend.lookahead-fits-engine", _lookahead(83, **params)) == []
    [large] = _check("backend.lookahead-fits-engine", _lookahead(64, **params))
    assert (large.kind, large.fields["draft_len"], large.location.line) == ("too-large", 83, 61)
    [small] = _check("backend.lookahead-fits-engine", _lookahead(100, **params))
    assert small.kind == "too-small"
    with pytest.raises(MissingFact):
        _check("backend.lookahead-fits-engine", _lookahead(None, **params))
    [missing] = _check("backend.lookahead-fits-engine", _lookahead(83, lookahead_window_size="7"))
    assert missing.kind == "missing-params"
    assert missing.fields["names"] == "lookahead_ngram_size, lookahead_verification_set_size"
    illegal = {**params, "lookahead_ngram_size": "1"}
    [bad] = _check("backend.lookahead-fits-engine", _lookahead(83, **illegal))
    assert bad.kind == "illegal"
