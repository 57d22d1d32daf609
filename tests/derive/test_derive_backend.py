"""The `backend.*` facts (how the tensorrtllm backend reads parameters, joined with the engine)
and the checks that judge them (`checks/backend.py`), with the words of their rules."""

from __future__ import annotations

import shutil
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from preflight.checks import MissingFact, registry
from preflight.derive.backend import derive as backend_facts
from preflight.derive.backend import python_model_facts
from preflight.evaluator import evaluate_rule
from preflight.facts import fact
from preflight.model import Facts, Problem, Result, Status, Subject
from preflight.rules.loader import builtin_rules_dir, load_rules
from preflight.scan import ScanOptions, scan
from preflight.sources import engine_config

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "model_repo"
PBTXT = "/repo/tensorrt_llm/config.pbtxt"


def _params(**values: str) -> Facts:
    """Parameter facts as the config source writes them, one line each from line 50."""
    facts: Facts = {"triton.config_path": fact(PBTXT, PBTXT, 1)}
    for line, (key, value) in enumerate(values.items(), start=50):
        facts[f"triton.parameters.{key}"] = fact(value, PBTXT, line, 12)
    return facts


def _values(facts: Facts) -> dict[str, Any]:
    return {k: f.value for k, f in facts.items()}


def _check(name: str, facts: Facts) -> list[Problem]:
    """The problems the named check finds in ``facts`` (with the backend facts derived)."""
    return registry()[name].function({**facts, **backend_facts(facts)}, {})


@cache
def _rules() -> dict[str, Any]:
    return {r.id: r for r in load_rules([(builtin_rules_dir(), False)])}


def _failures(rule_id: str, facts: Facts) -> list[Result]:
    """The failures of the rule on a tensorrt_llm model with ``facts`` (backend facts derived)."""
    subject = Subject("trtllm-model", "m", "/repo/m", {**facts, **backend_facts(facts)})
    return [r for r in evaluate_rule(_rules()[rule_id], subject) if r.status is Status.FAIL]


def _copy_example(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    shutil.copytree(EXAMPLE, repo, symlinks=True)
    return repo


def _subject_facts(repo: Path, kind: str, name: str, path_map: Any = None) -> Facts:
    result = scan(repo, {}, ScanOptions(path_map=path_map or []))
    for subject in result.subjects:
        if subject.kind == kind and subject.name == name:
            return subject.facts
    raise AssertionError(f"no {kind} subject {name}")


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


def test_example_repository_facts(tmp_path: Path) -> None:
    facts = _subject_facts(_copy_example(tmp_path), "trtllm-model", "tensorrt_llm")
    got = _values({k: f for k, f in facts.items() if k.startswith("backend.")})
    assert got == {
        "backend.gpt_model_type": "inflight_fused_batching",
        "backend.batching_mode": "inflight",
        "backend.max_beam_width": 1,
        "backend.kv_cache_free_gpu_mem_fraction": 0.85,
        "backend.kv_cache_free_gpu_mem_fraction_parses": True,
        "backend.enable_kv_cache_reuse": False,
        "backend.encoder_decoder": False,
        "backend.cross_kv_cache_fraction_set": False,
        "backend.engine_speculative_mode": "none",
    }
    where = facts["backend.max_beam_width"].location
    assert where is not None and where.path.endswith("tensorrt_llm/config.pbtxt")
    assert where.line == 53
    checks = registry()
    assert checks["backend.inflight-batching-engine"].function(facts, {}) == []
    assert checks["backend.engine-config-keys"].function(facts, {}) == []


def test_placeholders_give_no_fact() -> None:
    facts = _params(
        gpt_model_type="${batching_strategy}",
        max_beam_width="${max_beam_width}",
        kv_cache_free_gpu_mem_fraction="${kv_cache_free_gpu_mem_fraction}",
        enable_kv_cache_reuse="${enable_kv_cache_reuse}",
        cross_kv_cache_fraction="${cross_kv_cache_fraction}",
        decoding_mode="${decoding_mode}",
    )
    assert backend_facts(facts) == {}


def test_missing_gpt_model_type_is_none_at_the_config_file() -> None:
    out = backend_facts(_params(max_beam_width="2"))
    assert out["backend.gpt_model_type"].value is None
    location = out["backend.gpt_model_type"].location
    # a finding names a line: the first one when nothing better is known
    assert location is not None and location.path == PBTXT and location.line == 1
    assert "backend.batching_mode" not in out


def test_missing_gpt_model_type_is_reported_at_the_backend_line() -> None:
    facts = _params(max_beam_width="2")
    facts["triton.backend"] = fact("tensorrtllm", PBTXT, 3, 1)
    location = backend_facts(facts)["backend.gpt_model_type"].location
    assert location is not None and (location.path, location.line) == (PBTXT, 3)


def test_a_config_that_does_not_parse_gives_no_backend_fact(tmp_path: Path) -> None:
    # A typo'd field stops the parse before `parameters`: the parameters are unknown, not
    # absent, so no "gpt_model_type is None" finding may follow the parse error.
    repo = _copy_example(tmp_path)
    _edit(repo / "tensorrt_llm" / "config.pbtxt", "    kind: KIND_CPU", "    kinds: KIND_CPU")
    facts = _subject_facts(repo, "trtllm-model", "tensorrt_llm")
    assert "triton.parse_error" in facts
    assert not [k for k in facts if k.startswith("backend.")]


def test_kv_cache_type_disabled_meets_inflight_batching(tmp_path: Path) -> None:
    # modelConfig.h supportsInflightBatching(): kv cache type PAGED or DISABLED
    repo = _copy_example(tmp_path)
    config = repo / "tensorrt_llm" / "1" / "config.json"
    _edit(config, '"kv_cache_type": "PAGED"', '"kv_cache_type": "DISABLED"')
    facts = _subject_facts(repo, "trtllm-model", "tensorrt_llm")
    inflight = registry()["backend.inflight-batching-engine"].function
    assert inflight(facts, {}) == []
    _edit(config, '"kv_cache_type": "DISABLED"', '"kv_cache_type": "CONTINUOUS"')
    facts = _subject_facts(repo, "trtllm-model", "tensorrt_llm")
    [unmet] = inflight(facts, {})
    assert unmet.kind == "kv-cache-not-paged"
    assert unmet.location is not None and unmet.location.line == 72


@pytest.mark.parametrize(
    ("raw", "mode"),
    [("V1", "static"), ("v1", "static"), ("inflight_batching", "inflight"), ("Inflight", None)],
)
def test_batching_mode(raw: str, mode: str | None) -> None:
    out = backend_facts(_params(gpt_model_type=raw))
    assert out["backend.gpt_model_type"].value == raw
    assert _values(out).get("backend.batching_mode") == mode


def test_static_batching_target_version_sits_at_the_parameter() -> None:
    facts = _params(gpt_model_type="V1")
    facts["target.trtllm_version"] = fact("0.20.0", "target")
    out = backend_facts(facts)
    version = out["backend.static_batching_target_version"]
    assert version.value == "0.20.0"
    assert version.location is not None and version.location.line == 50


IFB = (
    'the model fails to load with "TrtGptModelInflightBatching requires GPT attention/Mamba Conv '
    '1d plugin with packed input and paged KV cache."'
)


def test_inflight_requirements_transformer() -> None:
    facts = _params(gpt_model_type="inflight_fused_batching")
    facts["trtllm.gpt_attention_plugin"] = fact(None, "/e/build.log", 3)
    facts["trtllm.remove_input_padding"] = fact(True, "/e/build.log", 17)
    facts["trtllm.kv_cache_paged"] = fact(False, "/e/config.json", 72)
    unmet = _failures("TLLM101", facts)
    assert [(u.message, u.location.line if u.location else None) for u in unmet] == [
        (
            "m: gpt_model_type inflight_fused_batching but gpt_attention_plugin is disabled: "
            + IFB,
            3,
        ),
        ("m: gpt_model_type inflight_fused_batching but the KV cache is not paged: " + IFB, 72),
    ]


def test_inflight_requirements_recurrent_use_mamba_and_paged_state() -> None:
    facts = _params(gpt_model_type="inflight_batching")
    facts["trtllm.recurrent"] = fact(True, "/e/config.json", 21)
    facts["trtllm.gpt_attention_plugin"] = fact(None, "/e/build.log", 3)  # not needed
    facts["trtllm.mamba_conv1d_plugin"] = fact("float16", "/e/build.log", 11)
    facts["trtllm.remove_input_padding"] = fact(True, "/e/build.log", 17)
    facts["trtllm.paged_state"] = fact(False, "/e/build.log", 49)
    [unmet] = _check("backend.inflight-batching-engine", facts)
    assert unmet.kind == "paged-state-off"
    [failure] = _failures("TLLM101", facts)
    assert failure.message == "m: gpt_model_type inflight_batching but paged_state is off: " + IFB


def test_inflight_requirements_leave_packed_input_to_its_own_rule() -> None:
    facts = _params(gpt_model_type="inflight_fused_batching")
    facts["trtllm.gpt_attention_plugin"] = fact("float16", "/e/build.log", 3)
    facts["trtllm.remove_input_padding"] = fact(False, "/e/build.log", 17)
    facts["trtllm.kv_cache_paged"] = fact(True, "/e/config.json", 72)
    assert _check("backend.inflight-batching-engine", facts) == []


def test_inflight_requirements_unknown_without_engine_facts() -> None:
    with pytest.raises(MissingFact):
        _check("backend.inflight-batching-engine", _params(gpt_model_type="inflight_batching"))


@pytest.mark.parametrize(("raw", "expected"), [("4", 4), (" 2 ", 2), ("two", None), ("1.5", None)])
def test_max_beam_width_parses_as_int(raw: str, expected: int | None) -> None:
    assert _values(backend_facts(_params(max_beam_width=raw))).get("backend.max_beam_width") == (
        expected
    )


def _world(tp: int, pp: int = 1) -> Facts:
    return {
        "engine_config.world_size_effective": fact(tp * pp, "/e/config.json", 36),
        "engine_config.mapping.tp_size": fact(tp, "/e/config.json", 39),
        "engine_config.mapping.pp_size": fact(pp, "/e/config.json", 40),
    }


def test_device_ids_per_instance_group() -> None:
    facts = {**_params(gpu_device_ids="0,1;2,3;4"), **_world(2)}
    groups = backend_facts(facts)["backend.instance_ids"].value
    assert [(g["parameter"], g["ids"], g["line"]) for g in groups] == [
        ("gpu_device_ids", ["0", "1"], 50),
        ("gpu_device_ids", ["2", "3"], 50),
        ("gpu_device_ids", ["4"], 50),
    ]
    [problem] = _failures("TLLM103", facts)
    assert problem.message.startswith("m: gpu_device_ids '4' gives 1 GPU(s) on one node = 1")
    assert "world size is 2 (tp 2 x pp 1 x cp 1)" in problem.message
    assert problem.message.endswith(
        'the executor requires "When specifying deviceIds, deviceIds (n) * numNodes (m) must be '
        'equal to tp*pp*cp"'
    )
    assert problem.location is not None and problem.location.line == 50


def test_device_ids_with_num_nodes() -> None:
    good = {**_params(gpu_device_ids="0,1", num_nodes="2"), **_world(2, 2)}
    assert _check("backend.instance-ids-match-world-size", good) == []
    bad = {**_params(gpu_device_ids="0,1,2,3", num_nodes="2"), **_world(2, 2)}
    [problem] = _failures("TLLM103", bad)
    assert "x num_nodes 2 = 8" in problem.message


def test_participant_ids() -> None:
    facts = {**_params(participant_ids="1,2,3"), **_world(2)}
    [problem] = _check("backend.instance-ids-match-world-size", facts)
    assert problem.kind == "participants"
    [failure] = _failures("TLLM103", facts)
    assert "participant_ids '1,2,3' names 3 rank(s)" in failure.message


def test_device_problems_are_reported_before_participant_problems() -> None:
    facts = {**_params(gpu_device_ids="0", participant_ids="1,2,3"), **_world(2)}
    assert [p.kind for p in _check("backend.instance-ids-match-world-size", facts)] == ["devices"]


def test_no_device_facts_when_neither_parameter_is_set() -> None:
    out = backend_facts({**_params(max_beam_width="1"), **_world(2)})
    assert "backend.instance_ids" not in out
    # no result then: TLLM103 does not apply
    subject = Subject("trtllm-model", "m", "/repo/m", {**_world(2), **out})
    assert evaluate_rule(_rules()["TLLM103"], subject) == []


def test_kv_cache_parameters() -> None:
    out = _values(backend_facts(_params(kv_cache_free_gpu_mem_fraction="abc")))
    assert out["backend.kv_cache_free_gpu_mem_fraction_parses"] is False
    assert "backend.kv_cache_free_gpu_mem_fraction" not in out
    for raw, flag in (("TRUE", True), ("1", True), ("False", False), ("0", False)):
        got = _values(backend_facts(_params(enable_kv_cache_reuse=raw)))
        assert got["backend.enable_kv_cache_reuse"] is flag
    assert "backend.enable_kv_cache_reuse" not in backend_facts(
        _params(enable_kv_cache_reuse="yes")
    )


def test_encoder_decoder_from_encoder_path_or_architecture() -> None:
    by_path = backend_facts(_params(encoder_model_path="/models/encoder/1"))
    assert by_path["backend.encoder_decoder"].value is True
    missing = by_path["backend.cross_kv_cache_fraction_set"]
    assert missing.value is False
    assert missing.location is not None and missing.location.line == 50  # the encoder path

    facts = _params(cross_kv_cache_fraction="half")
    facts["engine_config.architecture"] = fact("DecoderModel", "/e/config.json", 21)
    out = _values(backend_facts(facts))
    assert out["backend.encoder_decoder"] is True
    assert out["backend.cross_kv_cache_fraction_set"] is False  # dropped by the backend

    facts["engine_config.architecture"] = fact("LlamaForCausalLM", "/e/config.json", 21)
    facts["triton.parameters.cross_kv_cache_fraction"] = fact("0.5", PBTXT, 50)
    out = _values(backend_facts(facts))
    assert out["backend.encoder_decoder"] is False
    assert out["backend.cross_kv_cache_fraction_set"] is True
    assert out["backend.cross_kv_cache_fraction"] == 0.5


@pytest.mark.parametrize(
    ("mode", "speculative", "enum"),
    [
        ("medusa", True, 4),
        ("lookahead", True, 8),
        ("redrafter", True, 16),
        ("eagle", True, 32),
        ("top_k_top_p", False, None),
        ("beam_search", False, None),
    ],
)
def test_decoding_mode(mode: str, speculative: bool, enum: int | None) -> None:
    facts = _params(decoding_mode=mode)
    facts["engine_config.build_config.speculative_decoding_mode"] = fact(16, "/e/config.json", 80)
    out = _values(backend_facts(facts))
    assert out["backend.decoding_mode_speculative"] is speculative
    assert out.get("backend.decoding_mode_enum") == enum
    assert out["backend.engine_speculative_mode"] == "explicit_draft_tokens"


@pytest.mark.parametrize(
    "name",
    [
        "v0.13.0_llama2-7b_fp16_tp1_rtxa6000_SqueezeBits-ditto.config.json",
        "v0.17.0.post1_qwen2.5-0.5b_bf16_tp1_L4_achatbot-spark-tts.config.json",
    ],
)
def test_real_engine_configs_have_every_required_key(shared: Path, name: str) -> None:
    facts = engine_config.extract(shared / "fixtures" / "configs" / name)
    assert _check("backend.engine-config-keys", facts) == []


def test_trimmed_engine_config_lists_missing_keys(shared: Path, tmp_path: Path) -> None:
    source = shared / "fixtures" / "configs"
    text = (
        source / "v0.13.0_llama2-7b_fp16_tp1_rtxa6000_SqueezeBits-ditto.config.json"
    ).read_text()
    assert '"use_paged_context_fmha": ' in text and '"lora_config": ' in text
    trimmed = tmp_path / "config.json"
    trimmed.write_text(
        text.replace('"use_paged_context_fmha": ', '"x_use_paged_context_fmha": ').replace(
            '"lora_config": ', '"x_lora_config": '
        )
    )
    facts = engine_config.extract(trimmed)
    missing = _failures("TLLM113", facts)
    texts = [m.message for m in missing]
    assert texts == [
        "m: config.json has no 'build_config.plugin_config.use_paged_context_fmha': the runtime "
        "fails with \"[json.exception.out_of_range.403] key 'use_paged_context_fmha' not found\"",
        "m: config.json has no 'build_config.lora_config': the runtime fails with "
        "\"[json.exception.out_of_range.403] key 'lora_config' not found\"",
    ]
    first_plugin_line = min(
        f.location.line
        for k, f in facts.items()
        if k.startswith("engine_config.plugin_config.") and f.location and f.location.line
    )
    assert missing[0].location is not None and missing[0].location.line == first_plugin_line
    assert all(m.location is not None and m.location.path == str(trimmed) for m in missing)


def test_recurrent_engine_needs_rnn_keys() -> None:
    facts: Facts = {
        "engine_config.format": fact("new", "/e/config.json"),
        "engine_config.keys": fact([], "/e/config.json"),
        "trtllm.recurrent": fact(True, "/e/config.json", 21),
    }
    keys = [p.fields["key"] for p in _check("backend.engine-config-keys", facts)]
    assert "pretrained_config.state_size" in keys


def test_legacy_engine_config_is_not_held_to_the_new_keys() -> None:
    facts: Facts = {
        "engine_config.format": fact("legacy", "/e/config.json"),
        "engine_config.keys": fact(["builder_config"], "/e/config.json"),
    }
    with pytest.raises(MissingFact):
        _check("backend.engine-config-keys", facts)


def test_odd_values_do_not_raise() -> None:
    facts: Facts = {
        "triton.parameters.gpt_model_type": fact(7, PBTXT, 50),
        "triton.parameters.gpu_device_ids": fact(";;", PBTXT, 51),
        "engine_config.world_size_effective": fact(True, "/e/config.json", 36),
        "engine_config.format": fact("new", "/e/config.json"),
        "engine_config.keys": fact("not a list", "/e/config.json"),
    }
    out = backend_facts(facts)
    assert "backend.batching_mode" not in out
    assert out["backend.instance_ids"].value == []
    assert (
        evaluate_rule(_rules()["TLLM103"], Subject("trtllm-model", "m", "/m", {**facts, **out}))
        == []
    )
    with pytest.raises(MissingFact):  # a world size that is not a number of ranks
        _check("backend.instance-ids-match-world-size", facts)


def test_tokenizer_dir_through_path_map(tmp_path: Path) -> None:
    repo = _copy_example(tmp_path)
    tokenizers = tmp_path / "hf" / "tok"
    tokenizers.mkdir(parents=True)
    (tokenizers / "tokenizer.model").write_bytes(b"\x00")
    _edit(repo / "preprocessing" / "config.pbtxt", "/models/preprocessing/1/tokenizer", "/hf/tok")
    facts = _subject_facts(repo, "triton-model", "preprocessing", [("/hf", str(tmp_path / "hf"))])
    got = _values({k: f for k, f in facts.items() if k.startswith("scan.tokenizer")})
    assert got["scan.tokenizer_dir"] == "/hf/tok"
    assert got["scan.tokenizer_dir_found"] is True
    assert got["scan.tokenizer_files"] == ["tokenizer.model"]
    assert "path map /hf=" in got["scan.tokenizer_dir_mapping"]


def test_tokenizer_dir_missing_or_placeholder(tmp_path: Path) -> None:
    repo = _copy_example(tmp_path)
    _edit(
        repo / "preprocessing" / "config.pbtxt", "/models/preprocessing/1/tokenizer", "/nowhere/tok"
    )
    _edit(
        repo / "postprocessing" / "config.pbtxt",
        "/models/preprocessing/1/tokenizer",
        "${tokenizer_dir}",
    )
    pre = _subject_facts(repo, "triton-model", "preprocessing")
    assert pre["scan.tokenizer_dir_found"].value is False
    assert "scan.tokenizer_files" not in pre
    post = _subject_facts(repo, "triton-model", "postprocessing")
    assert not any(k.startswith("scan.tokenizer") for k in post)


def test_bls_target_decoupled() -> None:
    llm: Facts = {"triton.decoupled": fact(True, "/r/tensorrt_llm/config.pbtxt", 6)}
    bls = {
        "triton.backend": fact("python", "/r/bls/config.pbtxt", 3),
        "triton.parameters.tensorrt_llm_model_name": fact(
            "tensorrt_llm", "/r/bls/config.pbtxt", 24
        ),
    }
    out = python_model_facts(bls, {"tensorrt_llm": llm, "bls": bls})
    assert out["backend.bls_target"].value == "tensorrt_llm"
    decoupled = out["backend.bls_target_decoupled"]
    assert decoupled.value is True
    assert decoupled.location is not None and decoupled.location.line == 6
    assert out["backend.bls_target_found"].value is True
    not_python = {**bls, "triton.backend": fact("tensorrtllm", "/r/bls/config.pbtxt", 3)}
    assert python_model_facts(not_python, {"tensorrt_llm": llm}) == {}


def test_bls_target_missing_from_the_repository() -> None:
    # tensorrt_llm_bls filled with a model name the repository does not hold: Triton loads the
    # BLS model, and every request then fails (TLLM116)
    bls = {
        "triton.backend": fact("python", "/r/bls/config.pbtxt", 3),
        "triton.parameters.tensorrt_llm_model_name": fact("tensorrtllm", "/r/bls/config.pbtxt", 24),
    }
    out = python_model_facts(bls, {"bls": bls, "tensorrt_llm": {}})
    assert out["backend.bls_target_name"].value == "tensorrtllm"
    found = out["backend.bls_target_found"]
    assert found.value is False
    assert found.location is not None and found.location.line == 24
    assert "backend.bls_target_decoupled" not in out
    unfilled = {
        **bls,
        "triton.parameters.tensorrt_llm_model_name": fact(
            "${tensorrt_llm_model_name}", "/r/bls/config.pbtxt", 24
        ),
    }
    assert python_model_facts(unfilled, {"bls": bls}) == {}
