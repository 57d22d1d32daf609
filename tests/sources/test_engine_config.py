from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from preflight.facts import to_tree
from preflight.model import Facts
from preflight.sources.engine_config import BUILD_LIMITS, extract, parse

DATA = Path(__file__).resolve().parents[1] / "data" / "configs"
V13 = "fixtures/configs/v0.13.0_llama2-7b_fp16_tp1_rtxa6000_SqueezeBits-ditto.config.json"
V17 = "fixtures/configs/v0.17.0.post1_qwen2.5-0.5b_bf16_tp1_L4_achatbot-spark-tts.config.json"


def tree(facts: Facts) -> dict[str, Any]:
    result: dict[str, Any] = to_tree(facts)["engine_config"]
    return result


def where(facts: Facts, key: str) -> tuple[int | None, int | None]:
    location = facts[key].location
    assert location is not None
    return location.line, location.column


def test_real_0_13_config(shared: Path) -> None:
    path = shared / V13
    facts = extract(path)
    cfg = tree(facts)
    assert cfg["format"] == "new"
    assert cfg["version"] == "0.13.0"
    assert where(facts, "engine_config.version") == (2, 5)
    assert cfg["architecture"] == "LlamaForCausalLM"
    assert cfg["dtype"] == "float16"
    assert cfg["mapping"]["world_size"] == 1
    assert cfg["mapping"]["tp_size"] == 1
    assert cfg["mapping"]["pp_size"] == 1
    assert cfg["mapping"]["cp_size"] == 1
    assert cfg["mapping"]["gpus_per_node"] == 8
    assert cfg["world_size_effective"] == 1
    assert cfg["build_config"] == {
        "max_batch_size": 256,
        "max_beam_width": 1,
        "max_input_len": 1024,
        "max_seq_len": 4096,
        "max_num_tokens": 8192,
        "max_draft_len": 0,
        "speculative_decoding_mode": 1,
        "kv_cache_type": "PAGED",
    }
    assert where(facts, "engine_config.build_config.max_batch_size") == (60, 9)
    assert cfg["plugin_config"]["gpt_attention_plugin"] == "auto"  # stored raw
    assert cfg["plugin_config"]["gemm_plugin"] is None
    assert cfg["plugin_config"]["tokens_per_block"] == 64
    assert cfg["plugin_config"]["enable_xqa"] is True
    assert len(cfg["plugin_config"]) == 34  # every key, not a chosen few
    assert where(facts, "engine_config.plugin_config.remove_input_padding") == (160, 13)
    assert cfg["cluster_key"] == "NVIDIA-RTX-A6000"
    assert where(facts, "engine_config.cluster_key") == (88, 13)
    assert cfg["quantization"]["quant_algo"] is None
    assert cfg["quantization"]["group_size"] == 128
    assert "build_config.auto_parallel_config.cluster_info.math_throughput.float16" in cfg["keys"]
    assert "pretrained_config.mapping.cp_size" in cfg["keys"]
    assert cfg["keys"] == sorted(cfg["keys"])
    assert facts["engine_config.format"].location is not None
    assert facts["engine_config.format"].location.path == str(path)


def test_real_0_17_config(shared: Path) -> None:
    facts = extract(shared / V17)
    cfg = tree(facts)
    assert cfg["format"] == "new"
    assert cfg["version"] == "0.17.0.post1"
    assert cfg["architecture"] == "Qwen2ForCausalLM"
    assert cfg["dtype"] == "bfloat16"
    assert cfg["build_config"]["max_batch_size"] == 16
    assert cfg["build_config"]["max_seq_len"] == 32768
    assert cfg["build_config"]["max_num_tokens"] == 32768
    assert "max_output_len" not in cfg["build_config"]  # not written, so absent
    assert cfg["plugin_config"]["gemm_plugin"] == "bfloat16"
    assert cfg["plugin_config"]["explicitly_disable_gemm_plugin"] is False
    assert cfg["plugin_config"]["paged_kv_cache"] is True
    assert cfg["cluster_key"] == "L4"
    assert cfg["mapping"]["auto_parallel"] is False
    assert cfg["quantization"]["use_meta_recipe"] is False
    assert where(facts, "engine_config.dtype") == (23, 9)


def test_every_line_points_at_its_key(shared: Path) -> None:
    path = shared / V17
    lines = path.read_text().splitlines()
    facts = extract(path)
    for key, value in facts.items():
        location = value.location
        if key in ("engine_config.format", "engine_config.keys"):
            continue
        assert location is not None and location.line is not None, key
        assert location.column is not None
        name = key.rsplit(".", 1)[-1]
        if key == "engine_config.world_size_effective":
            name = "world_size"
        assert lines[location.line - 1][location.column - 1 :].startswith(f'"{name}"'), key


def test_legacy_format() -> None:
    facts = extract(DATA / "legacy_v0.7_llama_tp2.config.json")
    cfg = tree(facts)
    assert cfg["format"] == "legacy"
    assert "version" not in cfg
    assert cfg["builder_name"] == "llama"  # legacy engine files are named after it
    assert cfg["dtype"] == "float16"
    assert cfg["mapping"] == {"tp_size": 2, "pp_size": 1}
    assert cfg["world_size_effective"] == 2
    assert cfg["build_config"] == {
        "max_batch_size": 8,
        "max_input_len": 2048,
        "max_output_len": 512,
        "max_beam_width": 1,
        "max_num_tokens": None,
    }
    assert cfg["plugin_config"]["gpt_attention_plugin"] == "float16"
    assert cfg["plugin_config"]["paged_kv_cache"] is True
    assert cfg["quantization"] == {"quant_mode": 0}
    assert "architecture" not in cfg
    assert "cluster_key" not in cfg
    assert where(facts, "engine_config.mapping.tp_size") == (5, 5)
    assert where(facts, "engine_config.plugin_config.tokens_per_block") == (26, 5)
    assert "builder_config.tensor_parallel" in cfg["keys"]


def test_legacy_context_parallel_counts_in_the_world_size() -> None:
    text = '{"builder_config": {"tensor_parallel": 2, "context_parallel": 2}}'
    cfg = tree(parse(text, "/e/config.json"))
    assert cfg["mapping"] == {"tp_size": 2, "cp_size": 2}
    assert cfg["world_size_effective"] == 4


def test_invalid_json() -> None:
    facts = extract(DATA / "invalid_trailing_comma.config.json")
    assert tree(facts) == {
        "format": "invalid",
        "parse_error": {
            "message": "Expecting property name enclosed in double quotes",
            "line": 6,
            "column": 5,
        },
    }
    assert where(facts, "engine_config.parse_error") == (6, 5)


@pytest.mark.parametrize(
    ("text", "message"),
    [("", "Expecting value"), ("[1, 2]", "expected a JSON object, found list")],
)
def test_not_a_json_object(text: str, message: str) -> None:
    cfg = tree(parse(text, "config.json"))
    assert cfg["format"] == "invalid"
    assert cfg["parse_error"]["message"] == message


def test_unreadable_file(tmp_path: Path) -> None:
    facts = extract(tmp_path / "config.json")
    assert list(facts) == ["engine_config.read_error"]


def test_missing_keys_are_absent(shared: Path, tmp_path: Path) -> None:
    data = json.loads((shared / V13).read_text())
    del data["pretrained_config"]["mapping"]["world_size"]
    del data["pretrained_config"]["mapping"]["cp_size"]
    del data["pretrained_config"]["architecture"]
    del data["build_config"]["kv_cache_type"]
    del data["build_config"]["auto_parallel_config"]
    data["pretrained_config"]["mapping"]["tp_size"] = 4
    data["pretrained_config"]["mapping"]["pp_size"] = 2
    path = tmp_path / "config.json"
    path.write_text(json.dumps(data, indent=4))
    cfg = tree(extract(path))
    assert cfg["format"] == "new"
    assert "world_size" not in cfg["mapping"]
    assert cfg["world_size_effective"] == 8  # tp * pp when world_size is not written
    assert "architecture" not in cfg
    assert "kv_cache_type" not in cfg["build_config"]
    assert "cluster_key" not in cfg
    assert "build_config.kv_cache_type" not in cfg["keys"]


def test_written_world_size_wins(shared: Path, tmp_path: Path) -> None:
    data = json.loads((shared / V13).read_text())
    data["pretrained_config"]["mapping"].update(world_size=2, tp_size=4, pp_size=1)
    path = tmp_path / "config.json"
    path.write_text(json.dumps(data))
    cfg = tree(extract(path))
    assert cfg["world_size_effective"] == 2
    assert cfg["mapping"]["tp_size"] == 4


def test_no_mapping_no_effective_world_size() -> None:
    cfg = tree(parse('{"version": "0.9.0", "build_config": {"max_batch_size": 4}}', "c.json"))
    assert cfg["format"] == "new"
    assert "world_size_effective" not in cfg
    assert "mapping" not in cfg
    assert cfg["build_config"] == {"max_batch_size": 4}


def test_wrong_shapes_do_not_raise() -> None:
    text = json.dumps(
        {"version": 8, "pretrained_config": [], "build_config": {"plugin_config": "x"}}
    )
    cfg = tree(parse(text, "c.json"))
    assert cfg["format"] == "new"
    assert cfg["version"] == 8
    assert "plugin_config" not in cfg


def test_object_without_either_layout_is_unknown() -> None:
    cfg = tree(parse('{"architecture": "GPT"}', "c.json"))
    assert cfg["format"] == "unknown"
    assert cfg["keys"] == ["architecture"]


def test_every_build_limit_is_read() -> None:
    build = {name: i for i, name in enumerate(BUILD_LIMITS)}
    cfg = tree(parse(json.dumps({"version": "0.20.0", "build_config": build}), "c.json"))
    assert cfg["build_config"] == build


def test_utf8_bom_is_accepted(shared: Path, tmp_path: Path) -> None:
    path = tmp_path / "config.json"
    path.write_bytes(b"\xef\xbb\xbf" + (shared / V17).read_bytes())
    assert tree(extract(path))["version"] == "0.17.0.post1"


def test_locations_of_a_large_config_in_one_pass(tmp_path: Path) -> None:
    """60 000 plugin keys: every key still located, by one linear scan (no per-key search)."""
    plugins = {f"k{i}": i for i in range(60000)}
    text = json.dumps({"version": "0.20.0", "build_config": {"plugin_config": plugins}}, indent=2)
    path = tmp_path / "config.json"
    path.write_text(text)
    facts = extract(path)
    location = facts["engine_config.plugin_config.k59999"].location
    assert location is not None and location.line == 60004
    assert text.splitlines()[location.line - 1].strip().startswith('"k59999"')
