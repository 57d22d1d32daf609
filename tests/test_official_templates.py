"""The official TensorRT-LLM Triton templates of several releases, filled as each release's docs
say, with the engine folder its build docs produce: what preflight reports on them.

An error must mean Triton refuses the model or its first request fails. The filled repositories
of v0.10.0 and v0.12.0 hold one such real failure: their docs leave tensorrt_llm_model_name
unfilled, and up to v0.12.0 the BLS model calls the model literally named
"${tensorrt_llm_model_name}" (tensorrtllm_backend#469, #621); from v0.13.0 the BLS model treats
the placeholder as unset. Every other filled repository must give no error, and few notes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from official_templates import RECIPES, RELEASES, TEMPLATES, build, fill, spec_of
from rule_cases import run_check

from preflight.data.placeholders import CONSEQUENCES, consequence_of, load_readers

# (release, recipe) -> the errors its docs-filled repository really has: (rule, model, text)
REAL_FAILURES: dict[tuple[str, str], list[tuple[str, str, str]]] = {
    # the BLS model calls "${tensorrt_llm_model_name}" (tensorrtllm_backend#469, #621)
    ("v0.10.0", "fill"): [("TRITON003", "tensorrt_llm_bls", "${tensorrt_llm_model_name}")],
    ("v0.12.0", "fill"): [("TRITON003", "tensorrt_llm_bls", "${tensorrt_llm_model_name}")],
    # the docs set cross_kv_cache_fraction:0.5 for every multimodal model; LLaVA's LLM is
    # decoder-only: "Assertion failed: Do not set crossKvCacheFraction for decoder-only model"
    # (tensorrtllm_backend#712, NVIDIA/TensorRT-LLM#2814)
    ("v0.19.0", "fill-multimodal"): [("TLLM110", "tensorrt_llm", "crossKvCacheFraction")],
}
HANDFUL = 5


def _check(repo: Path, args: list[str], tmp_path: Path) -> tuple[int, list[dict[str, Any]]]:
    out = tmp_path / "out"
    out.mkdir(exist_ok=True)
    status, report, err = run_check(repo, args, out)
    assert "results" in report, err
    return status, [r for r in report["results"] if r["status"] == "fail"]


def test_corpus_has_the_releases() -> None:
    assert RELEASES == ["v0.8.0", "v0.10.0", "v0.12.0", "v0.15.0", "v0.17.0", "v0.19.0"]
    assert (TEMPLATES / "PROVENANCE.md").is_file()
    assert [r for r in RECIPES if r[1] == "fill-multimodal"] == [
        ("v0.15.0", "fill-multimodal"),
        ("v0.17.0", "fill-multimodal"),
        ("v0.19.0", "fill-multimodal"),
    ]
    for release, recipe in RECIPES:
        spec = spec_of(release, recipe)
        assert len(spec["commit"]) == 40 and spec["tag"] == release


@pytest.mark.parametrize(("release", "recipe"), RECIPES)
def test_filled_repository_has_only_real_errors(release: str, recipe: str, tmp_path: Path) -> None:
    built = build(release, tmp_path, recipe=recipe)
    # the docs fill every model of the repository they lay out
    assert {line["model"] for line in built.spec["fill"]} == {p.name for p in built.repo.iterdir()}
    status, failed = _check(built.repo, built.args, tmp_path)
    errors = [r for r in failed if r["severity"] == "error"]
    expected = REAL_FAILURES.get((release, recipe), [])
    got = [(r["rule"], r["subject"], r["message"]) for r in errors]
    assert len(got) == len(expected), got
    for (rule, model, text), (g_rule, g_model, g_message) in zip(
        sorted(expected), sorted(got), strict=True
    ):
        assert (g_rule, g_model) == (rule, model) and text in g_message
    assert status == (1 if expected else 0)
    notes = [r for r in failed if r["severity"] != "error"]
    assert len(notes) <= HANDFUL, [(r["rule"], r["subject"], r["message"]) for r in notes]
    # unfilled optional parameters: one info line per model, never a warning per key
    defaults = [r for r in failed if r["rule"] == "TRITON004"]
    assert all(r["severity"] == "info" for r in defaults)
    assert len({r["subject"] for r in defaults}) == len(defaults)


def test_bls_model_name_placeholder_depends_on_the_target_release(tmp_path: Path) -> None:
    """The v0.12.0 repository served by a 0.13.0 backend (24.09): the BLS model then calls
    "tensorrt_llm", so the unfilled name is no error."""
    built = build("v0.12.0", tmp_path)
    args = ["--target-gpu", "RTX A6000", "--triton-version", "24.09", *built.args[4:]]
    _, failed = _check(built.repo, args, tmp_path)
    assert not [r for r in failed if r["rule"] == "TRITON003"]


@pytest.mark.parametrize(("release", "recipe"), RECIPES)
def test_raw_templates_fail_where_triton_fails(release: str, recipe: str, tmp_path: Path) -> None:
    """Unfilled, no model of the templates loads: max_batch_size: ${triton_max_batch_size} does
    not parse (Triton: "Expected integer"), and the required parameters are named."""
    built = build(release, tmp_path, filled=False, recipe=recipe)
    status, failed = _check(built.repo, built.args, tmp_path)
    assert status == 1
    errors = [r for r in failed if r["severity"] == "error"]
    models = {p.name for p in built.repo.iterdir()}
    assert {r["subject"] for r in errors if r["rule"] == "TRITON001"} == models
    messages = "\n".join(r["message"] for r in errors if r["rule"] == "TRITON003")
    for needed in ("${tokenizer_dir}", "${engine_dir}"):
        assert needed in messages
    if recipe == "fill-multimodal":  # the visual engine folder of multimodal_encoders
        assert "${visual_model_path}" in messages or "${multimodal_model_path}" in messages
    assert not [r for r in failed if r["severity"] == "warning" and r["rule"] == "TRITON004"]


def test_fill_matches_fill_template() -> None:
    """string.Template.safe_substitute, built-in defaults first, ``\\,`` escapes a comma."""
    text = 'a: ${x} b: "${ids}" c: ${left} d: $$ e: ${max_queue_size}'
    got = fill(text, r"x:1,ids:0\,1", {"max_queue_size": "0"})
    assert got == 'a: 1 b: "0,1" c: ${left} d: $ e: 0'


# -- the placeholder table -----------------------------------------------------------------


def test_table_rows_are_complete() -> None:
    readers = load_readers()
    assert readers[-1].name == "other" and readers[-1].backend is None
    for reader in readers:
        assert reader.other in CONSEQUENCES
        for key, entry in reader.keys.items():
            assert entry["consequence"] in CONSEQUENCES, (reader.name, key)
            assert entry.get("source") and entry.get("reason"), (reader.name, key)
            for value in (entry.get("before") or {}).values():
                assert value in CONSEQUENCES


@pytest.mark.parametrize(
    ("backend", "keys", "key", "release", "expected"),
    [
        ("tensorrtllm", {"gpt_model_type", "gpt_model_path"}, "gpt_model_type", None, "error"),
        ("tensorrtllm", {"gpt_model_path"}, "gpt_model_path", "0.19.0", "error"),
        ("tensorrtllm", {"gpt_model_path"}, "max_beam_width", "0.19.0", "default"),
        ("tensorrtllm", {"tokenizer_dir"}, "tokenizer_dir", "0.19.0", "unset"),
        (None, {"gpt_model_type"}, "gpt_model_type", None, "error"),  # backend: ${triton_backend}
        ("python", {"tokenizer_dir"}, "tokenizer_dir", None, "error"),
        (
            "python",
            {"tokenizer_dir", "multimodal_model_path"},
            "multimodal_model_path",
            None,
            "unset",
        ),
        (
            "python",
            {"multimodal_model_path", "hf_model_path"},
            "multimodal_model_path",
            None,
            "error",
        ),
        ("python", {"multimodal_model_path", "hf_model_path"}, "hf_model_path", None, "error"),
        ("python", {"tensorrt_llm_model_name"}, "tensorrt_llm_model_name", "0.12.0", "error"),
        (
            "python",
            {"tensorrt_llm_model_name"},
            "tensorrt_llm_model_name",
            "0.12.0.dev2024080600",
            "error",
        ),
        ("python", {"tensorrt_llm_model_name"}, "tensorrt_llm_model_name", "0.13.0", "unset"),
        ("python", {"tensorrt_llm_model_name"}, "tensorrt_llm_model_name", None, "unset"),
        ("python", {"tensorrt_llm_model_name"}, "accumulate_tokens", None, "default"),
        ("python", {"n_mels", "zero_pad"}, "n_mels", None, "error"),
        ("python", {"context_model_name"}, "generation_model_name", None, "error"),
        ("python", {"gpt_model_type", "gpt_model_path"}, "gpt_model_path", None, "error"),
        ("python", {"gpt_model_type", "gpt_model_path"}, "max_beam_width", None, "unset"),
        ("", set(), "anything", None, "default"),
    ],
)
def test_consequence_of(
    backend: str | None, keys: set[str], key: str, release: str | None, expected: str
) -> None:
    assert consequence_of(backend, keys, key, release).consequence == expected


# -- the judging on a model's parameters ---------------------------------------------------

_LLM = """name: "tensorrt_llm"
backend: "tensorrtllm"
max_batch_size: 8
parameters: { key: "gpt_model_type" value: { string_value: "inflight_fused_batching" } }
parameters: { key: "gpt_model_path" value: { string_value: "/engines/decoder" } }
"""


def _param(key: str, value: str) -> str:
    return f'parameters: {{ key: "{key}" value: {{ string_value: "{value}" }} }}\n'


def _problems(tmp_path: Path, text: str, rule: str, release: str | None = None) -> list[Any]:
    from triton_findings import problems

    from preflight import safe_files
    from preflight.model import Fact
    from preflight.sources import triton_config

    config = tmp_path / "config.pbtxt"
    config.write_text(text, encoding="utf-8")
    with safe_files.confined(tmp_path):  # an earlier check in this process left its own root
        facts = triton_config.extract(config)
    if release is not None:
        facts["target.trtllm_version"] = Fact(release, None)
    return problems(facts, rule)


def test_cross_kv_fraction_placeholder_is_an_error_only_for_encoder_decoder(tmp_path: Path) -> None:
    text = _LLM + _param("cross_kv_cache_fraction", "${cross_kv_cache_fraction}")
    assert not _problems(tmp_path, text, "TRITON003")
    [info] = _problems(tmp_path, text, "TRITON004")
    assert info.kind == "defaults" and info.fields["keys"] == "cross_kv_cache_fraction"
    enc_dec = text + _param("encoder_model_path", "/engines/encoder")
    [error] = _problems(tmp_path, enc_dec, "TRITON003")
    assert error.kind == "parameter" and "Must set crossKvCacheFraction" in error.fields["reason"]
    assert not _problems(tmp_path, enc_dec, "TRITON004")


def test_engine_path_placeholder_unless_an_encoder_path_is_given(tmp_path: Path) -> None:
    text = _LLM.replace("/engines/decoder", "${engine_dir}")
    [error] = _problems(tmp_path, text, "TRITON003")
    assert error.fields["key"] == "gpt_model_path"
    encoder_only = text + _param("encoder_model_path", "/engines/encoder")
    assert not _problems(tmp_path, encoder_only, "TRITON003")


def test_unset_keys_are_not_reported(tmp_path: Path) -> None:
    """Keys the reader compares with their own placeholder are neither errors nor notes."""
    text = _LLM + _param("tokenizer_dir", "${tokenizer_dir}")
    text += _param("guided_decoding_backend", "${guided_decoding_backend}")
    assert not _problems(tmp_path, text, "TRITON003")
    assert not _problems(tmp_path, text, "TRITON004")


def test_preprocessing_engine_dir_only_matters_for_a_multimodal_model(tmp_path: Path) -> None:
    text = 'name: "preprocessing"\nbackend: "python"\n' + _param("tokenizer_dir", "/hf/llama")
    text += _param("gpt_model_path", "${engine_dir}")
    assert not _problems(tmp_path, text, "TRITON003")
    assert not _problems(tmp_path, text, "TRITON004")
    multimodal = text + _param("multimodal_model_path", "/engines/visual")
    [error] = _problems(tmp_path, multimodal, "TRITON003")
    assert error.fields["key"] == "gpt_model_path" and "config.json" in error.fields["reason"]


def test_bls_name_placeholder_by_release(tmp_path: Path) -> None:
    text = 'name: "bls"\nbackend: "python"\n' + _param(
        "tensorrt_llm_model_name", "${tensorrt_llm_model_name}"
    )
    [error] = _problems(tmp_path, text, "TRITON003", "0.12.0")
    assert "is not ready" in error.fields["reason"]
    assert not _problems(tmp_path, text, "TRITON003", "0.13.0")
    assert not _problems(tmp_path, text, "TRITON003")  # no target release: the newest behaviour


# -- whisper and disaggregated serving: their Python models' parameters ----------------------

# docs/whisper.md (v0.15.0 line 109, v0.17.0 and v0.19.0 line 107), with the values the docs
# export above it (n_mels=128, zero_pad=false, TRITON_MAX_BATCH_SIZE=8, DECOUPLED_MODE=false)
WHISPER_FILL = (
    "engine_dir:/models/whisper/encoder,n_mels:128,zero_pad:false,"
    "triton_max_batch_size:8,decoupled_mode:false"
)
# all_models/disaggregated_serving/README.md step 5: "Set the context_model_name and
# generation_model_name to context and generation"; the other keys as the other templates
DISAGG_FILL = (
    "context_model_name:context,generation_model_name:generation,triton_max_batch_size:8,"
    "decoupled_mode:False,disaggregated_serving_bls_count:1,logits_datatype:TYPE_FP32"
)
PYTHON_TEMPLATES = [
    (release, folder, subs, needed)
    for release in ("v0.15.0", "v0.17.0", "v0.19.0")
    for folder, subs, needed in (
        ("whisper/whisper_bls", WHISPER_FILL, "n_mels"),
        ("disaggregated_serving/disaggregated_serving_bls", DISAGG_FILL, "context_model_name"),
    )
]


@pytest.mark.parametrize(("release", "folder", "subs", "needed"), PYTHON_TEMPLATES)
def test_python_model_templates(
    release: str, folder: str, subs: str, needed: str, tmp_path: Path
) -> None:
    raw = (TEMPLATES / release / folder / "config.pbtxt").read_text(encoding="utf-8")
    filled = fill(raw, subs, {"max_queue_size": "0"})
    assert not _problems(tmp_path, filled, "TRITON003")
    assert not _problems(tmp_path, filled, "TRITON004")
    # the key the model cannot do without, left unfilled: an error naming it
    partial = fill(raw, ",".join(s for s in subs.split(",") if not s.startswith(needed)), {})
    [error] = _problems(tmp_path, partial, "TRITON003")
    assert error.kind == "parameter" and error.fields["key"] == needed
