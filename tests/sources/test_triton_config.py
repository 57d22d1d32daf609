"""config.pbtxt source (parse errors, unknown fields, placeholders, locations and facts) and
the rules over them, TRITON001-004: texts and locations are the findings'."""

from __future__ import annotations

import shutil
import string
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from triton_findings import file_problems, file_results, file_texts

from preflight.checks._model_config import message_of
from preflight.model import Status
from preflight.sources import triton_config
from preflight.sources.triton_config import extract, parse
from preflight.triton_proto import from_plain

DATA = Path(__file__).resolve().parents[1] / "data" / "pbtxt"
TEMPLATE = DATA / "tensorrt_llm_template.pbtxt"
BASE = DATA / "base_repo"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.pbtxt"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


# -- parse errors -----------------------------------------------------------------------


def test_placeholder_in_a_number_is_a_parse_error_at_its_line_and_column() -> None:
    pc = parse(TEMPLATE)
    assert pc.message is None
    assert pc.error is not None
    assert (pc.error["line"], pc.error["column"]) == (6, 17)
    assert pc.error["key"] == "max_batch_size"
    assert "Couldn't parse integer: $" in pc.error["message"]
    facts = extract(TEMPLATE)
    assert facts["triton.parse_error"].location is not None
    assert facts["triton.parse_error"].location.line == 6
    assert facts["triton.parse_error"].value["key"] == "max_batch_size"
    [item] = [r for r in file_results(TEMPLATE, "TRITON001") if r.status is Status.FAIL]
    assert item.location is not None and (item.location.line, item.location.column) == (6, 17)
    assert item.message.startswith(
        "m: config.pbtxt does not parse: tensorrt_llm_template.pbtxt:6:17 "
        "(field 'max_batch_size'): "
    )
    assert "Couldn't parse integer: $" in item.message


def test_parse_error_names_the_key_of_a_nested_field(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """\
        name: "m"
        backend: "python"
        input [
          {
            name: "x"
            data_type: TYPE_FP33
            dims: [ 1 ]
          }
        ]
        """,
    )
    pc = parse(path)
    assert pc.error is not None
    assert pc.error["line"] == 6
    assert pc.error["key"] == "input[0].data_type"
    assert "TYPE_FP33" in pc.error["message"]


def test_duplicate_singular_field_and_oneof_clash_are_parse_errors(tmp_path: Path) -> None:
    pc = parse(write(tmp_path, 'name: "a"\nname: "b"\n'))
    assert pc.error is not None and pc.error["line"] == 2 and pc.error["key"] == "name"
    clash = 'name: "a"\ndynamic_batching { }\nsequence_batching { }\n'
    pc = parse(write(tmp_path, clash))
    assert pc.error is not None and pc.error["line"] == 3
    assert "oneof" in pc.error["message"]


def test_missing_and_binary_files_do_not_raise(tmp_path: Path) -> None:
    missing = parse(tmp_path / "nope" / "config.pbtxt")
    assert missing.missing and missing.message is None
    assert extract(tmp_path / "nope" / "config.pbtxt") == {}
    [skipped] = file_results(tmp_path / "nope" / "config.pbtxt", "TRITON001")
    assert skipped.status is Status.SKIP
    assert "no readable config.pbtxt" in skipped.message
    binary = tmp_path / "config.pbtxt"
    binary.write_bytes(b"\xff\xfe\x00garbage")
    pc = parse(binary)
    assert pc.message is None and pc.error is not None
    assert "triton.parse_error" in extract(binary)
    assert file_texts(binary, "TRITON001") == [
        "config.pbtxt does not parse: config.pbtxt: config is not UTF-8 text (byte 0)"
    ]


def test_garbage_text_never_raises(tmp_path: Path) -> None:
    for text in ["{{{{", "}}}} ]]] >>>", 'input [ { name: "x" ', "$ { } $$ ${", "a: [1, 2"]:
        path = write(tmp_path, text)
        assert "triton.parse_error" in extract(path), text
        assert file_texts(path, "TRITON001"), text


# -- unknown fields ---------------------------------------------------------------------


def test_every_unknown_field_is_listed_with_a_suggestion(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """\
        name: "m"
        max_batch_sise: 8
        input [
          {
            name: "x"
            data_typ: TYPE_FP32
            dims: [ 1 ]
          }
        ]
        dynamic_batching { preferred_batch_sizes: [ 4 ] }
        zzzz_qqq: 1
        """,
    )
    pc = parse(path)
    assert pc.error is not None and pc.error["line"] == 2  # protobuf stops at the first
    found = {(u["name"], u["line"], u["column"], u["suggestion"]) for u in pc.unknown_fields}
    assert found == {
        ("max_batch_sise", 2, 1, "max_batch_size"),
        ("data_typ", 6, 5, "data_type"),
        ("preferred_batch_sizes", 10, 20, "preferred_batch_size"),
        ("zzzz_qqq", 11, 1, None),
    }
    texts = file_texts(path, "TRITON002")
    assert texts[0] == (
        "unknown field 'max_batch_sise' in inference.ModelConfig (did you mean 'max_batch_size'?)"
    )
    assert texts[3] == "unknown field 'zzzz_qqq' in inference.ModelConfig"
    found = [r for r in file_results(path, "TRITON002") if r.status is Status.FAIL]
    assert all(r.location is not None and r.location.path == str(path) for r in found)
    assert [(r.location.line, r.location.column) for r in found if r.location] == [
        (2, 1),
        (6, 5),
        (10, 20),
        (11, 1),
    ]


def test_known_fields_are_not_reported() -> None:
    assert parse(TEMPLATE).unknown_fields == []
    for model in ("preprocess", "infer", "ensemble"):
        assert parse(BASE / model / "config.pbtxt").unknown_fields == []


# -- placeholders -----------------------------------------------------------------------


def test_placeholders_in_values_and_in_strings() -> None:
    pc = parse(TEMPLATE)
    by_name = {(p["name"], p["line"]): p for p in pc.placeholders}
    mbs = by_name[("triton_max_batch_size", 6)]
    assert (mbs["column"], mbs["key"], mbs["fill"]) == (
        17,
        "max_batch_size",
        "triton_max_batch_size:<int>",
    )
    assert not mbs["in_string"]
    dec = by_name[("decoupled_mode", 9)]
    assert dec["key"] == "decoupled" and dec["fill"] == "decoupled_mode:<true|false>"
    dtype = by_name[("logits_datatype", 47)]
    assert dtype["key"] == "data_type" and dtype["fill"].startswith("logits_datatype:<TYPE_")
    backend = by_name[("triton_backend", 5)]
    assert backend["in_string"] and backend["key"] == "backend" and backend["column"] == 11
    engine = by_name[("engine_dir", 78)]
    assert engine["in_string"] and engine["key"] == "gpt_model_path"
    assert engine["column"] == 20 and engine["fill"] == "engine_dir:<value>"
    # a placeholder inside a comment is not in the config
    assert "not_a_placeholder" not in {p["name"] for p in pc.placeholders}
    assert len(pc.placeholders) == 13


def test_placeholder_findings_split_by_position() -> None:
    facts = extract(TEMPLATE)
    values = [p.fields for p in file_problems(TEMPLATE, "TRITON003")]
    strings = [p.fields for p in file_problems(TEMPLATE, "TRITON004")]
    # a string Triton reads itself (backend) counts with the values
    assert {p["name"] for p in values} >= {
        "triton_max_batch_size",
        "decoupled_mode",
        "triton_backend",
    }
    # optional parameters the backend defaults: one note listing their keys
    [note] = strings
    assert "max_beam_width" in note["keys"].split(", ")
    assert "triton_backend" not in note["keys"]
    # gpt_model_type has no default and gpt_model_path is the engine: the backend refuses to
    # load, so they count with the values
    assert {"batching_strategy", "engine_dir"} <= {p["name"] for p in values}
    assert not {"gpt_model_type", "gpt_model_path"} & set(note["keys"].split(", "))
    keys = {p["key"] for p in values} | set(note["keys"].split(", "))
    assert keys == {p["key"] for p in facts["triton.placeholders"].value}
    assert values[0]["name"] == "triton_backend"
    first = file_texts(TEMPLATE, "TRITON003")[1]
    assert first == (
        "unfilled template placeholder ${triton_max_batch_size} in 'max_batch_size' at "
        "tensorrt_llm_template.pbtxt:6; fill it: fill_template.py -i "
        'tensorrt_llm_template.pbtxt "triton_max_batch_size:<int>"'
    )
    [at, *_] = [
        r.location
        for r in file_results(TEMPLATE, "TRITON003")
        if "${triton_max_batch_size}" in r.message
    ]
    assert at is not None and (at.line, at.column) == (6, 17)


def test_placeholder_inside_an_unknown_block_is_still_found(tmp_path: Path) -> None:
    path = write(tmp_path, 'name: "m"\nmystery { size: ${x_size} }\n')
    [ph] = parse(path).placeholders
    assert (ph["name"], ph["line"], ph["column"]) == ("x_size", 2, 17)


# -- locations --------------------------------------------------------------------------


def test_locations_of_nested_fields_and_parameters() -> None:
    pc = parse(TEMPLATE)
    loc = pc.locate("max_batch_size")
    assert loc is not None and (loc.line, loc.column) == (6, 1)
    assert loc.path == str(TEMPLATE)
    dims = pc.locate("input[1].dims")
    assert dims is not None and (dims.line, dims.column) == (28, 5)
    assert pc.locate("input[2].reshape.shape") is not None
    assert pc.locate("input[2].reshape.shape").line == 36  # type: ignore[union-attr]
    assert pc.locate("dynamic_batching.default_queue_policy.max_queue_size").line == 15  # type: ignore[union-attr]
    param = pc.locate("parameters[gpt_model_path]")
    value = pc.locate("parameters[gpt_model_path].value.string_value")
    assert param is not None and value is not None
    assert (param.line, value.line) == (75, 78)
    assert pc.locate("parameters[lookahead_window_size].value.string_value").line == 91  # type: ignore[union-attr]
    assert pc.locate("input[9]") is None
    assert pc.locate("no_such_field") is None


def test_parameter_facts_carry_the_location_of_their_value(tmp_path: Path) -> None:
    filled = TEMPLATE.read_text(encoding="utf-8")
    for name, value in [
        ("${triton_max_batch_size}", "64"),
        ("${decoupled_mode}", "true"),
        ("${max_queue_delay_microseconds}", "100"),
        ("${max_queue_size}", "0"),
        ("${encoder_input_features_data_type}", "TYPE_FP16"),
        ("${logits_datatype}", "TYPE_FP32"),
        ("${triton_backend}", "tensorrtllm"),
        ("${engine_dir}", "/engines/llama"),
        ("${batching_strategy}", "inflight_fused_batching"),
    ]:
        filled = filled.replace(name, value)
    path = write(tmp_path, filled)
    facts = extract(path)
    assert "triton.parse_error" not in facts
    gpt = facts["triton.parameters.gpt_model_path"]
    assert gpt.value == "/engines/llama"
    assert gpt.location is not None and (gpt.location.line, gpt.location.column) == (78, 5)
    assert facts["triton.parameters.max_beam_width"].value == "${max_beam_width}"
    assert facts["triton.backend"].value == "tensorrtllm"
    assert facts["triton.max_batch_size"].value == 64
    assert facts["triton.max_batch_size"].location.line == 6  # type: ignore[union-attr]
    assert facts["triton.decoupled"].value is True
    assert facts["triton.decoupled"].location.line == 9  # type: ignore[union-attr]
    db = facts["triton.dynamic_batching"].value
    assert db["preferred_batch_size"] == [64] and db["max_queue_delay_microseconds"] == 100
    inputs = facts["triton.inputs"].value
    assert [i["name"] for i in inputs] == ["input_ids", "encoder_input_features", "input_lengths"]
    assert inputs[1]["data_type"] == "TYPE_FP16" and inputs[1]["dims"] == [-1, -1]
    assert inputs[1]["line"] == 25 and inputs[2]["reshape"] == []
    assert facts["triton.outputs"].value[1]["data_type"] == "TYPE_FP32"
    [group] = facts["triton.instance_groups"].value
    assert (group["kind"], group["count"], group["line"]) == ("KIND_CPU", 1, 52)
    assert file_problems(path, "TRITON003") == []
    [note] = file_problems(path, "TRITON004")
    assert "max_beam_width" in note.fields["keys"].split(", ")


def test_other_facts(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """\
        name: "det"
        platform: "tensorrt_plan"
        max_batch_size: 4
        default_model_filename: "det.plan"
        cc_model_filenames [ { key: "8.9" value: "det_sm89.plan" }, { key: "8.0" value: "a.plan" } ]
        version_policy: { specific: { versions: [ 1, 3 ] } }
        sequence_batching { max_sequence_idle_microseconds: 5000 }
        """,
    )
    facts = extract(path)
    assert facts["triton.name"].value == "det"
    assert facts["triton.platform"].value == "tensorrt_plan"
    assert "triton.backend" not in facts
    assert facts["triton.default_model_filename"].value == "det.plan"
    assert facts["triton.default_model_filename"].location.line == 4  # type: ignore[union-attr]
    assert facts["triton.cc_model_filenames"].value == {"8.0": "a.plan", "8.9": "det_sm89.plan"}
    assert facts["triton.version_policy"].value == {"specific": {"versions": [1, 3]}}
    assert facts["triton.sequence_batching"].value["max_sequence_idle_microseconds"] == 5000
    assert facts["triton.dynamic_batching"].value is False
    assert facts["triton.decoupled"].value is False
    pc = parse(path)
    assert pc.locate("cc_model_filenames[8.9].value").line == 5  # type: ignore[union-attr]


def test_ensemble_steps() -> None:
    facts = extract(BASE / "ensemble" / "config.pbtxt")
    steps = facts["triton.ensemble.steps"].value
    assert [s["model_name"] for s in steps] == ["preprocess", "infer"]
    assert steps[0]["input_map"] == {"TEXT": "TEXT"} and steps[0]["output_map"] == {"IDS": "ids"}
    assert steps[1]["model_version"] == -1 and steps[1]["line"] == 26
    assert facts["triton.platform"].value == "ensemble"


def test_partial_identity_facts_of_a_broken_file() -> None:
    facts = extract(TEMPLATE)
    assert facts["triton.name"].value == "tensorrt_llm"
    assert "triton.inputs" not in facts and "triton.max_batch_size" not in facts


# -- import cost and safety -------------------------------------------------------------


def test_protobuf_module_loads_without_grpc_or_numpy_and_lazily() -> None:
    code = textwrap.dedent(
        f"""
        import sys
        from pathlib import Path
        from preflight.sources import triton_config
        assert "tritonclient.grpc.model_config_pb2" not in sys.modules, "imported eagerly"
        pc = triton_config.parse(Path({str(BASE / "infer" / "config.pbtxt")!r}))
        assert pc.message is not None and pc.message.max_batch_size == 8
        print(sorted(m for m in sys.modules if m.split(".")[0] in ("grpc", "numpy")))
        """
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_the_direct_load_is_the_module_the_package_exposes() -> None:
    pb2 = triton_config.load_model_config_pb2()
    assert pb2.__name__ == "tritonclient.grpc.model_config_pb2"
    assert pb2.ModelConfig.DESCRIPTOR.full_name == "inference.ModelConfig"
    assert triton_config.load_model_config_pb2() is pb2


def test_parsing_never_runs_code_from_the_repository(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    shutil.copytree(BASE, repo)
    for model in ("preprocess", "infer", "ensemble"):
        extract(repo / model / "config.pbtxt")
    assert not list(repo.rglob("EXECUTED"))


@pytest.mark.parametrize("model", ["preprocess", "infer", "ensemble"])
def test_base_repository_configs_parse(model: str) -> None:
    pc = parse(BASE / model / "config.pbtxt")
    assert pc.error is None and pc.message is not None
    assert pc.placeholders == []


# -- real templates (tests/data/pbtxt/real, each file names its source) ---------------------

REAL = DATA / "real"
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "model_repo"
# What the tensorrtllm_backend docs (docs/model_config.md) call mandatory, filled as
# fill_template.py would (string.Template.safe_substitute leaves every other key as ${name}).
MANDATORY = {
    "triton_backend": "tensorrtllm",
    "triton_max_batch_size": "8",
    "decoupled_mode": "False",
    "max_queue_delay_microseconds": "0",
    "max_queue_size": "0",
    "engine_dir": "/models/tensorrt_llm/1",
    "batching_strategy": "inflight_fused_batching",
    "encoder_input_features_data_type": "TYPE_FP16",
    "logits_datatype": "TYPE_FP32",
    "prompt_embedding_table_data_type": "TYPE_FP16",
    "tokenizer_dir": "/models/preprocessing/1/tokenizer",
    "preprocessing_instance_count": "1",
    "postprocessing_instance_count": "1",
    "bls_instance_count": "1",
}


def _fill(name: str, **extra: str) -> str:
    text = (REAL / name).read_text(encoding="utf-8")
    return string.Template(text).safe_substitute({**MANDATORY, **extra})


@pytest.mark.parametrize(
    "name",
    [
        "trtllm_main_tensorrt_llm.pbtxt",
        "tbe_v0.10_tensorrt_llm.pbtxt",
        "tbe_bls.pbtxt",
        "tbe_preprocessing.pbtxt",
        "tbe_postprocessing.pbtxt",
    ],
)
def test_real_templates_filled_with_the_mandatory_keys_parse_cleanly(
    tmp_path: Path, name: str
) -> None:
    path = tmp_path / "config.pbtxt"
    path.write_text(_fill(name), encoding="utf-8")
    facts = extract(path)
    assert "triton.parse_error" not in facts
    assert facts["triton.unknown_fields"].value == []
    # optional parameters may stay unfilled (a warning at most), nothing Triton needs
    assert file_texts(path, "TRITON003") == []


def test_real_template_required_parameter_left_unfilled(tmp_path: Path) -> None:
    # tensorrt_llm from TensorRT-LLM's triton_backend: ${batching_strategy} left in
    # gpt_model_type makes the backend refuse the model ("Invalid gpt_model_type")
    path = tmp_path / "config.pbtxt"
    path.write_text(_fill("trtllm_main_tensorrt_llm.pbtxt", batching_strategy="${x}"), "utf-8")
    [item] = file_problems(path, "TRITON003")
    assert (item.fields["name"], item.fields["key"], item.fields["line"]) == (
        "x",
        "gpt_model_type",
        144,
    )
    assert item.kind == "gpt-model-type"
    [text] = file_texts(path, "TRITON003")
    assert text == (
        "unfilled template placeholder ${x} in 'gpt_model_type' at config.pbtxt:144: the "
        'tensorrtllm backend fails to load the model with "Invalid gpt_model_type. Must be '
        'v1/inflight_batching/inflight_fused_batching."; fill it: fill_template.py -i '
        'config.pbtxt "x:<value>"'
    )
    # its tokenizer_dir is optional (guided decoding only) and the backend compares it with
    # "${tokenizer_dir}" (getGuidedDecodingConfigFromParams): neither an error nor a note
    path.write_text(_fill("trtllm_main_tensorrt_llm.pbtxt", tokenizer_dir="${t}"), "utf-8")
    assert file_problems(path, "TRITON003") == []
    notes = file_problems(path, "TRITON004")
    assert all("tokenizer_dir" not in p.fields["keys"].split(", ") for p in notes)


def test_real_preprocessing_tokenizer_dir_left_unfilled(tmp_path: Path) -> None:
    path = tmp_path / "config.pbtxt"
    path.write_text(_fill("tbe_preprocessing.pbtxt", tokenizer_dir="${tokenizer_dir}"), "utf-8")
    [item] = file_problems(path, "TRITON003")
    assert (item.fields["name"], item.fields["line"], item.kind) == (
        "tokenizer_dir",
        117,
        "tokenizer-dir",
    )
    [text] = file_texts(path, "TRITON003")
    assert "fails to load a tokenizer" in text
    # add_special_tokens has a default in model.py: a note, not an error
    [note] = file_problems(path, "TRITON004")
    assert note.fields["keys"] == "add_special_tokens"
    assert file_texts(path, "TRITON004") == [
        "1 optional parameter(s) left unfilled, the backend uses its defaults: add_special_tokens"
    ]


def test_real_tab_indented_template_locations(tmp_path: Path) -> None:
    # tensorrtllm_backend 0.10 indents the LoRA inputs with tabs
    path = tmp_path / "config.pbtxt"
    path.write_text(_fill("tbe_v0.10_tensorrt_llm.pbtxt"), encoding="utf-8")
    pc = parse(path)
    assert pc.message is not None
    lines = path.read_text(encoding="utf-8").split("\n")
    dims = pc.locate("input[6].dims")
    assert dims is not None and lines[dims.line - 1].startswith("\tdims: [ 1 ]")
    names = [t.name for t in pc.message.input]
    assert names[6] == "lora_task_id" and names[7] == "lora_config"


def test_real_bls_template_with_commas_between_fields(tmp_path: Path) -> None:
    # the BLS template separates some fields with commas: valid text format
    path = tmp_path / "config.pbtxt"
    path.write_text(_fill("tbe_bls.pbtxt"), encoding="utf-8")
    facts = extract(path)
    names = [i["name"] for i in facts["triton.inputs"].value]
    assert names[-2:] == ["num_draft_tokens", "use_draft_logits"]
    [group] = facts["triton.instance_groups"].value
    assert (group["kind"], group["count"]) == ("KIND_CPU", 1)
    # without a target release the newest BLS model is assumed: it treats the unfilled model
    # names as unset (tensorrt_llm_bls/1/model.py get_valid_param_value), so only
    # accumulate_tokens, which falls back to False, is noted
    [note] = file_problems(path, "TRITON004")
    assert note.fields["keys"] == "accumulate_tokens"
    assert file_problems(path, "TRITON003") == []


def test_real_template_in_the_example_repository_exits_0_then_1(tmp_path: Path) -> None:
    from preflight.cli import main

    repo = tmp_path / "repo"
    shutil.copytree(EXAMPLE, repo)
    config = repo / "tensorrt_llm" / "config.pbtxt"
    config.write_text(_fill("trtllm_main_tensorrt_llm.pbtxt"), encoding="utf-8")
    assert main(["check", str(repo), "--format", "json", "--output", str(tmp_path / "a")]) == 0
    config.write_text(_fill("trtllm_main_tensorrt_llm.pbtxt", batching_strategy="${b}"), "utf-8")
    out = tmp_path / "b.json"
    assert main(["check", str(repo), "--format", "json", "--output", str(out)]) == 1
    import json

    errors = [
        r
        for r in json.loads(out.read_text(encoding="utf-8"))["results"]
        if r["status"] == "fail" and r["severity"] == "error"
    ]
    assert [(r["rule"], r["location"]["path"], r["location"]["line"]) for r in errors] == [
        ("TRITON003", "tensorrt_llm/config.pbtxt", 144)
    ]


# -- the whole config as a fact, ignore directives ------------------------------------------


def test_the_config_fact_rebuilds_the_same_message(tmp_path: Path) -> None:
    path = tmp_path / "config.pbtxt"
    path.write_text(_fill("trtllm_main_tensorrt_llm.pbtxt"), encoding="utf-8")
    pc = parse(path)
    value = extract(path)["triton.config"].value
    assert from_plain(value) == pc.message
    assert isinstance(value["max_batch_size"], int)
    assert value["input"][0]["data_type"] == "TYPE_INT32"  # enums by name
    assert value["parameters"]["gpt_model_type"] == {"string_value": "inflight_fused_batching"}
    # one message per fact value, however many checks read it
    assert message_of(value) is message_of(value)
    for model in ("preprocess", "infer", "ensemble"):
        config = BASE / model / "config.pbtxt"
        assert from_plain(extract(config)["triton.config"].value) == parse(config).message


def test_presence_and_unnamed_enum_numbers_survive(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """\
        name: "m"
        backend: "python"
        input [ { name: "x" data_type: 99 dims: [ 1 ] reshape: { shape: [ ] } } ]
        dynamic_batching { }
        response_cache { }
        """,
    )
    value = extract(path)["triton.config"].value
    assert value["input"][0]["data_type"] == 99
    message = from_plain(value)
    assert message.input[0].HasField("reshape") and message.HasField("response_cache")
    assert message.WhichOneof("scheduling_choice") == "dynamic_batching"
    assert file_results(path, "TRITON001")[0].status is Status.PASS


def test_locations_fact(tmp_path: Path) -> None:
    locations = extract(TEMPLATE)["triton.locations"].value  # also for a file that does not parse
    assert locations["max_batch_size"] == [6, 1]
    assert locations["parameters[gpt_model_path].value.string_value"] == [78, 5]


def test_ignore_directives(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """\
        name: "m"  # preflight: ignore[TRITON004, TLLM106] defaults are fine here
        # preflight: ignore[TRITON002]
        backend: "python"
        """,
    )
    assert extract(path)["triton.ignore_directives"].value == [
        {
            "rules": ["TRITON004", "TLLM106"],
            "reason": "defaults are fine here",
            "path": str(path),
            "line": 1,
        },
        {"rules": ["TRITON002"], "reason": "", "path": str(path), "line": 2},
    ]
    # also in a file that does not parse, or is not UTF-8
    path.write_bytes(b"\xff # preflight: ignore[TRITON001] generated\nmax_batch_size: x\n")
    [directive] = extract(path)["triton.ignore_directives"].value
    assert directive["rules"] == ["TRITON001"] and directive["reason"] == "generated"
