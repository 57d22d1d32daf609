"""Model-folder and repository facts (versions, model files, hidden folders) and the Triton
rules over them: layout, IO, batching, ensembles. Texts and locations are the findings'."""

from __future__ import annotations

import shutil
import string
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
from triton_findings import (
    failures,
    model_problems,
    problems,
    repo_facts,
    results,
    rules,
    texts,
)

from preflight.checks.triton_layout import loaded_versions
from preflight.derive import autocomplete
from preflight.facts import merge
from preflight.model import Fact, Status
from preflight.sources.triton_layout import (
    VersionFolder,
    extract_model,
    extract_repository,
    model_dirs,
    version_folders,
    versions,
)

BASE = Path(__file__).resolve().parents[1] / "data" / "pbtxt" / "base_repo"
REAL = Path(__file__).resolve().parents[1] / "data" / "pbtxt" / "real"


@pytest.fixture()
def repo(tmp_path: Path) -> Path:
    dest = tmp_path / "repo"
    shutil.copytree(BASE, dest)
    return dest


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


def write_model(repo: Path, name: str, config: str, files: dict[str, Any] | None = None) -> None:
    (repo / name).mkdir(parents=True, exist_ok=True)
    (repo / name / "config.pbtxt").write_text(textwrap.dedent(config), encoding="utf-8")
    for rel, content in (files or {}).items():
        target = repo / name / rel
        if content is None:
            target.mkdir(parents=True, exist_ok=True)
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(content, encoding="utf-8")


def statuses(repo: Path, model: str, rule_id: str) -> list[str]:
    return [r.status.value for r in results(repo, model, rule_id)]


# Rules of one model folder: version folders, config, IO, batching, instance groups.
MODEL_RULES = [f"TRITON{n:03d}" for n in range(5, 18)]
ENSEMBLE_RULES = ["TRITON018", "TRITON019", "TRITON020", "TRITON021", "TRITON022"]


def test_the_base_repository_is_clean(repo: Path) -> None:
    for name in ("preprocess", "infer", "ensemble"):
        for rule_id in MODEL_RULES:
            assert statuses(repo, name, rule_id) == ["pass"], (name, rule_id)
    for rule_id in ENSEMBLE_RULES:
        assert statuses(repo, "ensemble", rule_id) == ["pass"], rule_id
        assert statuses(repo, "infer", rule_id) == [], rule_id  # not an ensemble
    assert statuses(repo, "", "TRITON023") == ["pass"]
    assert not [k for k in repo_facts(repo)["infer"] if k.startswith("ensemble.")]


# -- versions ---------------------------------------------------------------------------


def test_version_folders(repo: Path) -> None:
    for d in ("01", "latest", "2_old", "-1", "warmup", "configs"):
        (repo / "infer" / d).mkdir()
    assert texts(repo, "infer", "TRITON007") == [
        "ignore version directory '01' which contains leading zeros in its directory name",
        "ignore version directory 'latest' which fails to convert to integral number",
    ]
    [first, _] = failures(repo, "infer", "TRITON007")
    assert first.location is not None and first.location.path == str(repo / "infer" / "01")
    assert first.location.line is None
    misread = texts(repo, "infer", "TRITON008")
    assert [t.split("'")[1] for t in misread] == ["-1", "2_old"]
    assert "is read as version 2" in misread[1]
    assert list(versions(repo / "infer")) == [-1, 1, 2]
    # the default policy loads the newest version: 2, read from '2_old', which has no model.py
    assert loaded_versions(repo_facts(repo)["infer"]) == [2]
    assert texts(repo, "infer", "TRITON012") == [
        "unable to find 'infer/2/model.py' for model 'infer' (version 2)"
    ]


def test_no_version_folder(repo: Path) -> None:
    shutil.rmtree(repo / "ensemble" / "1")
    assert texts(repo, "ensemble", "TRITON009") == [
        "at least one version must be available under the version policy of model 'ensemble'"
    ]
    [item] = failures(repo, "ensemble", "TRITON009")
    assert item.location is not None
    assert item.location.path == str(repo / "ensemble" / "config.pbtxt")


def test_specific_and_latest_policies(repo: Path) -> None:
    cfg = repo / "infer" / "config.pbtxt"
    edit(
        cfg,
        "max_batch_size: 8",
        "max_batch_size: 8\nversion_policy: { specific: { versions: [ 3 ] } }",
    )
    assert texts(repo, "infer", "TRITON010") == [
        "version 3 is specified for model 'infer', but the version directory is not present"
    ]
    assert failures(repo, "infer", "TRITON010")[0].location.line == 4  # type: ignore[union-attr]
    assert len(failures(repo, "infer", "TRITON009")) == 1
    edit(cfg, "specific: { versions: [ 3 ] }", "latest: { num_versions: 0 }")
    assert len(failures(repo, "infer", "TRITON009")) == 1
    edit(cfg, "latest: { num_versions: 0 }", "all: { }")
    (repo / "infer" / "2").mkdir()
    assert loaded_versions(repo_facts(repo)["infer"]) == [1, 2]
    assert [p.fields["version"] for p in model_problems(repo, "infer", "TRITON012")] == [2]


# -- config presence, name, platform ----------------------------------------------------


def test_missing_config_unless_autofill_can_work(repo: Path) -> None:
    (repo / "infer" / "config.pbtxt").unlink()
    # a real server guesses the Python backend from model.py (agreement: lenient_missing_config)
    assert statuses(repo, "infer", "TRITON005") == ["pass"]
    (repo / "infer" / "1" / "model.py").unlink()
    # nothing names a backend: core's AutoCompleteBackendFields refuses the name
    [text] = texts(repo, "infer", "TRITON005")
    assert text == (
        "Invalid model name: Could not determine backend for model 'infer' with no backend in "
        "model configuration. Expected model name of the form 'model.<backend_name>'."
    )
    [item] = failures(repo, "infer", "TRITON005")
    assert item.location is not None and item.location.path == str(repo / "infer")
    assert item.location.line is None
    write_model(repo, "det", 'name: "det"\n', {"1/model.plan": "x"})
    (repo / "det" / "config.pbtxt").unlink()
    assert statuses(repo, "det", "TRITON005") == ["pass"]


def test_name_mismatch_and_platform_backend(repo: Path) -> None:
    cfg = repo / "infer" / "config.pbtxt"
    edit(cfg, 'name: "infer"', 'name: "other"')
    assert texts(repo, "infer", "TRITON006") == [
        "unexpected directory name 'infer' for model 'other', directory name must equal model name"
    ]
    assert failures(repo, "infer", "TRITON006")[0].location.line == 1  # type: ignore[union-attr]
    edit(cfg, 'backend: "python"', 'platform: "onnxruntime_onnx"\nbackend: "tensorrt"')
    assert texts(repo, "infer", "TRITON011") == [
        "unexpected 'platform' and 'backend' pair, got:onnxruntime_onnx, tensorrt"
    ]
    edit(cfg, 'platform: "onnxruntime_onnx"\nbackend: "tensorrt"', 'platform: "made_up"')
    assert texts(repo, "infer", "TRITON011") == ["unexpected platform type 'made_up' for infer"]
    edit(cfg, 'platform: "made_up"', "")
    # with 1/model.py Triton's autofill picks the Python backend; without it nothing tells
    assert texts(repo, "infer", "TRITON011") == []
    (repo / "infer" / "1" / "model.py").unlink()
    assert texts(repo, "infer", "TRITON011") == [
        "Invalid model name: Could not determine backend for model 'infer' with no backend in "
        "model configuration. Expected model name of the form 'model.<backend_name>'."
    ]
    edit(
        repo / "ensemble" / "config.pbtxt",
        'platform: "ensemble"',
        'platform: "ensemble"\nbackend: "python"',
    )
    assert texts(repo, "ensemble", "TRITON011") == [
        "Ensemble model 'ensemble' must have platform type 'ensemble' and empty backend type"
    ]


# -- model files ------------------------------------------------------------------------


def test_default_model_files_per_platform(repo: Path) -> None:
    write_model(repo, "det", 'name: "det"\nplatform: "tensorrt_plan"\n', {"1/": None})
    assert texts(repo, "det", "TRITON012") == [
        "unable to find 'det/1/model.plan' for model instance 'det_0'"
    ]
    (repo / "det" / "1" / "model.plan").mkdir()
    assert texts(repo, "det", "TRITON012") == ["'det/1/model.plan' must be a file for model 'det'"]
    write_model(repo, "tf", 'name: "tf"\nplatform: "tensorrt_plan"\n', {"1/model.plan": "x"})
    assert statuses(repo, "tf", "TRITON012") == ["pass"]
    write_model(
        repo, "sm", 'name: "sm"\nplatform: "tensorflow_savedmodel"\n', {"1/model.savedmodel": "x"}
    )
    assert "must be a directory" in texts(repo, "sm", "TRITON012")[0]
    write_model(repo, "ox", 'name: "ox"\nbackend: "onnxruntime"\n', {"1/model.onnx/": None})
    assert statuses(repo, "ox", "TRITON012") == ["pass"]


def test_default_model_filename_and_cc_model_filenames(repo: Path) -> None:
    write_model(
        repo,
        "det",
        """\
        name: "det"
        platform: "tensorrt_plan"
        default_model_filename: "det.plan"
        """,
        {"1/model.plan": "x"},
    )
    [item] = model_problems(repo, "det", "TRITON012")
    assert item.fields["file"] == "det/1/det.plan" and item.location.line == 3  # type: ignore[union-attr]
    write_model(
        repo,
        "det",
        """\
        name: "det"
        platform: "tensorrt_plan"
        cc_model_filenames [ { key: "8.9" value: "sm89.plan" }, { key: "8.0" value: "sm80.plan" } ]
        """,
        {"1/sm89.plan": "x"},
    )
    [item] = model_problems(repo, "det", "TRITON012")
    assert item.fields["file"] == "det/1/sm80.plan" and item.location.line == 3  # type: ignore[union-attr]


def test_tensorrtllm_and_ensembles_need_no_model_file(repo: Path) -> None:
    write_model(
        repo, "tensorrt_llm", 'name: "tensorrt_llm"\nbackend: "tensorrtllm"\n', {"1/": None}
    )
    assert statuses(repo, "tensorrt_llm", "TRITON012") == ["pass"]
    assert statuses(repo, "ensemble", "TRITON012") == ["pass"]


# -- inputs and outputs -----------------------------------------------------------------


IO_MODEL = """\
name: "m"
platform: "tensorrt_plan"
max_batch_size: 0
input [
  { name: "a" data_type: TYPE_FP32 dims: [ 0, 3 ] },
  { name: "b" data_type: TYPE_FP32 dims: [ 2, 3 ] reshape: { shape: [ 7 ] } },
  { name: "c" data_type: TYPE_FP32 dims: [ -1, 4 ] reshape: { shape: [ 2, 2 ] } },
  { name: "d" data_type: TYPE_FP32 dims: [ 1 ] reshape: { shape: [ ] } },
  { name: "e" data_type: TYPE_STRING dims: [ 1 ] },
  { name: "f" dims: [ 1 ] },
  { name: "g" data_type: TYPE_FP32 dims: [ ] },
  { name: "h" data_type: TYPE_FP32 format: FORMAT_NCHW dims: [ 3, 224 ] },
  { name: "i" data_type: TYPE_FP32 dims: [ -1, 6 ] reshape: { shape: [ 3, -1, 2 ] } }
]
output [
  { name: "a" data_type: TYPE_FP32 dims: [ 1 ] },
  { name: "o" data_type: TYPE_FP32 dims: [ 1 ] },
  { name: "o" data_type: TYPE_FP32 dims: [ 1 ] }
]
instance_group [ { kind: KIND_GPU } ]
"""


def test_io_rules(repo: Path) -> None:
    write_model(repo, "m", IO_MODEL, {"1/model.plan": "x"})
    found = model_problems(repo, "m", "TRITON013")
    by_tensor: dict[str, list[str]] = {}
    for item, text in zip(found, texts(repo, "m", "TRITON013"), strict=True):
        by_tensor.setdefault(item.fields["tensor"], []).append(text)
    assert "dimension must be integer >= 1" in by_tensor["a"][0]
    assert by_tensor["b"] == ["model input 'b' has different size for dims and reshape for m"]
    assert by_tensor["c"] == [
        "model input 'c' has different number of variable-size dimensions for dims and "
        "reshape for m"
    ]
    # max_batch_size 0 with auto-complete: the TensorRT backend may still set it from the
    # engine before core validates the IO, so an empty reshape is judged in strict mode only
    assert "d" not in by_tensor
    assert by_tensor["e"][0].startswith("unsupported datatype TYPE_STRING for input 'e'")
    # with auto-complete (Triton's default) the TensorRT backend fills data_type and dims
    assert "f" not in by_tensor and "g" not in by_tensor
    noted = {(p.kind, p.fields["tensor"]) for p in model_problems(repo, "m", "TRITON060")}
    assert {("data-type", "f"), ("dims", "g")} <= noted
    # a server run with --disable-auto-complete-config validates them at poll time
    strict = {k: f for k, f in repo_facts(repo)["m"].items() if not k.startswith("autocomplete.")}
    strict["target.auto_complete"] = Fact(False)
    merge(strict, autocomplete.derive(strict), autocomplete.NAMESPACES)
    kinds = {(p.kind, p.fields["tensor"]) for p in problems(strict, "TRITON013")}
    assert {("no-data-type", "f"), ("no-dims", "g"), ("empty-reshape", "d")} <= kinds
    assert by_tensor["h"] == ["model input NHWC/NCHW require 3 dims for m"]
    assert by_tensor["i"] == ["model input 'i' has different size for dims and reshape for m"]
    first = failures(repo, "m", "TRITON013")[0].location
    assert first is not None
    assert first.line == 5 and first.path == str(repo / "m" / "config.pbtxt")
    # 'a' is both an input and an output: separate namespaces, not a finding
    assert texts(repo, "m", "TRITON014") == ["output 'o' of model 'm' is declared twice"]


def test_real_preprocessing_template_reads_and_writes_request_output_len(repo: Path) -> None:
    # The official preprocessing template has REQUEST_OUTPUT_LEN as an input and an output.
    text = (REAL / "tbe_preprocessing.pbtxt").read_text(encoding="utf-8")
    filled = string.Template(text).safe_substitute(
        triton_max_batch_size="8",
        tokenizer_dir="/models/tokenizer",
        add_special_tokens="False",
        preprocessing_instance_count="1",
    )
    write_model(repo, "preprocessing", filled, {"1/model.py": "x"})
    for rule_id in MODEL_RULES:
        assert statuses(repo, "preprocessing", rule_id) == ["pass"], rule_id
    assert texts(repo, "preprocessing", "TRITON014") == []


def test_valid_reshape_with_matching_wildcard_segments(repo: Path) -> None:
    write_model(
        repo,
        "m",
        """\
        name: "m"
        backend: "python"
        max_batch_size: 4
        input [
          { name: "x" data_type: TYPE_BF16 dims: [ -1, 6 ] reshape: { shape: [ -1, 2, 3 ] } }
        ]
        input [ { name: "y" data_type: TYPE_INT32 dims: [ 1 ] reshape: { shape: [ ] } } ]
        """,
        {"1/model.py": "x"},
    )
    assert statuses(repo, "m", "TRITON013") == ["pass"]


# -- batching and instance groups -------------------------------------------------------


def test_batching_rules(repo: Path) -> None:
    write_model(
        repo,
        "m",
        """\
        name: "m"
        backend: "python"
        max_batch_size: -2
        dynamic_batching {
          preferred_batch_size: [ 0, 4 ]
          priority_levels: 2
          default_priority_level: 3
          preserve_ordering: true
        }
        """,
        {"1/model.py": "x"},
    )
    got = texts(repo, "m", "TRITON015")
    assert got[0] == "'max_batch_size' must be non-negative value for m"
    assert "dynamic batching preferred size must be positive for m" in got
    assert any(
        t.startswith("dynamic batching preferred size must be <= max batch size") for t in got
    )
    assert "default priority level must be in range [1, 2] for m" in got
    assert "Only one priority level is allowed when 'preserve_ordering' is true for m" in got


def test_response_cache_on_a_decoupled_model(repo: Path) -> None:
    # Triton refuses to load it (server QA L0_response_cache greps "response cache does not
    # currently support ... decoupled"); a cache on a non-decoupled model is fine
    config = """\
        name: "m"
        backend: "python"
        max_batch_size: 0
        model_transaction_policy { decoupled: true }
        response_cache {
          enable: true
        }
        """
    write_model(repo, "m", config, {"1/model.py": "x"})
    assert texts(repo, "m", "TRITON015") == [
        "Response Cache does not currently support model m with 'decoupled' transaction "
        "policy. Please disable the response cache."
    ]
    assert failures(repo, "m", "TRITON015")[0].location.line == 6  # type: ignore[union-attr]
    write_model(repo, "m", config.replace("decoupled: true", "decoupled: false"))
    assert statuses(repo, "m", "TRITON015") == ["pass"]


def test_instance_group_rules(repo: Path) -> None:
    write_model(
        repo,
        "det",
        """\
        name: "det"
        platform: "tensorrt_plan"
        instance_group [
          { kind: KIND_CPU },
          { name: "g", kind: KIND_MODEL, gpus: [ 0 ] },
          { kind: KIND_GPU, gpus: [ -1 ], profile: [ "0", "x" ] }
        ]
        """,
        {"1/model.plan": "x"},
    )
    got = texts(repo, "det", "TRITON016")
    assert got == [
        "unable to load model 'det', TensorRT backend supports only GPU device",
        "instance group g of model det has kind KIND_MODEL but specifies one or more GPUs",
        "instance group det_2 of model det specifies invalid or unsupported gpu id -1",
        "instance group det_2 of model det specifies invalid profile 'x': profile indices are "
        "non-negative integers",
    ]
    # profiles are a TensorRT feature; a KIND_CPU python model is fine
    edit(repo / "infer" / "config.pbtxt", "kind: KIND_CPU", 'kind: KIND_CPU, profile: [ "0" ]')
    assert texts(repo, "infer", "TRITON016") == [
        "instance group infer_0 of model infer specifies profile field which is only supported "
        "for TensorRT models"
    ]


# -- ensembles --------------------------------------------------------------------------


def test_ensemble_config_rules(repo: Path) -> None:
    cfg = repo / "ensemble" / "config.pbtxt"
    edit(cfg, "max_batch_size: 8", "max_batch_size: 8\ninstance_group [ { kind: KIND_CPU } ]")
    assert texts(repo, "ensemble", "TRITON017") == [
        "instance group should not be specified for ensemble 'ensemble'"
    ]
    # (preprocess has no dynamic_batching: the two share a oneof)
    edit(
        repo / "preprocess" / "config.pbtxt",
        "max_batch_size: 8",
        "max_batch_size: 8\nensemble_scheduling { }",
    )
    assert texts(repo, "preprocess", "TRITON017") == [
        "ensemble scheduling cannot be set for model 'preprocess' whose platform is not ensemble"
    ]


def test_ensemble_dataflow(repo: Path) -> None:
    cfg = repo / "ensemble" / "config.pbtxt"
    edit(
        cfg,
        'output_map { key: "IDS" value: "ids" }',
        'output_map { key: "IDS" value: "token_ids" }',
    )
    got = texts(repo, "ensemble", "TRITON018")
    assert got == [
        "ensemble tensor 'ids' read by step 1 ('infer') of ensemble 'ensemble' is neither an "
        "ensemble input nor written by any step",
        "ensemble tensor 'token_ids' is unused in ensemble 'ensemble'",
    ]
    edit(
        cfg, 'input_map { key: "TEXT" value: "TEXT" }', 'input_map { key: "TEXT" value: "PROMPT" }'
    )
    got = texts(repo, "ensemble", "TRITON018")
    assert "ensemble input 'TEXT' for ensemble ensemble' is not used" in got


def test_ensemble_missing_step_model_and_version(repo: Path) -> None:
    edit(repo / "ensemble" / "config.pbtxt", 'model_name: "infer"', 'model_name: "infer_xl"')
    edit(
        repo / "ensemble" / "config.pbtxt",
        'model_version: -1\n      input_map { key: "TEXT"',
        'model_version: 4\n      input_map { key: "TEXT"',
    )
    assert texts(repo, "ensemble", "TRITON019") == [
        "ensemble 'ensemble' depends on 'preprocess' whose required version 4 is not loaded.",
        "ensemble ensemble contains models that are not available or ambiguous: infer_xl",
    ]
    where = failures(repo, "ensemble", "TRITON019")[1].location
    assert where is not None
    assert where.line == 26 and where.path == str(repo / "ensemble" / "config.pbtxt")


def test_ensemble_internal_tensor_dtype_between_steps(repo: Path) -> None:
    # a real server refuses it (tests/agreement variant bad_ens_dtype_mismatch): step infer
    # reads 'ids' as FP32 while step preprocess writes it as INT32
    edit(repo / "infer" / "config.pbtxt", "TYPE_INT32", "TYPE_FP32")
    assert texts(repo, "ensemble", "TRITON020") == [
        "in ensemble ensemble, ensemble tensor ids: inconsistent data type: TYPE_INT32 is "
        "inferred from model preprocess while TYPE_FP32 is inferred from model infer"
    ]
    [item] = model_problems(repo, "ensemble", "TRITON020")
    assert item.location.line == 26 and item.fields["step_model"] == "infer"  # type: ignore[union-attr]


def test_platform_beside_a_set_backend(repo: Path) -> None:
    # a real server loads platform tensorrt_plan beside backend python with the Python backend
    # (tests/agreement variant lenient_platform_with_python_backend): model.py, CPU instances
    cfg = repo / "infer" / "config.pbtxt"
    edit(cfg, 'backend: "python"', 'platform: "tensorrt_plan"\nbackend: "python"')
    for rule_id in ("TRITON012", "TRITON016", "TRITON011"):
        assert statuses(repo, "infer", rule_id) == ["pass"], rule_id
    # backend "tensorrt" without a platform may name optimization profiles
    write_model(
        repo,
        "det",
        """\
        backend: "tensorrt"
        max_batch_size: 0
        instance_group [ { kind: KIND_GPU, profile: [ "0" ] } ]
        """,
        {"1/model.plan": "x"},
    )
    assert statuses(repo, "det", "TRITON016") == ["pass"]


def test_ensemble_step_io_and_batch_size(repo: Path) -> None:
    cfg = repo / "ensemble" / "config.pbtxt"
    edit(
        cfg,
        'output_map { key: "LOGITS" value: "LOGITS" }',
        'output_map { key: "SCORES" value: "LOGITS" }',
    )
    edit(cfg, "max_batch_size: 8", "max_batch_size: 32")
    edit(repo / "preprocess" / "config.pbtxt", "TYPE_STRING", "TYPE_UINT8")
    assert texts(repo, "ensemble", "TRITON020") == [
        "in ensemble ensemble, ensemble tensor TEXT: inconsistent data type: TYPE_STRING is "
        "inferred from model ensemble while TYPE_UINT8 is inferred from model preprocess",
        "in ensemble ensemble, ensemble tensor LOGITS is mapped from non-existing output SCORES "
        "in model infer",
    ]
    batch = model_problems(repo, "ensemble", "TRITON022")
    assert [i.fields["step_model"] for i in batch] == ["preprocess", "infer"]
    assert texts(repo, "ensemble", "TRITON022")[0] == (
        "ensemble ensemble allows maximum batch size 32, but it contains model preprocess which "
        "only allows maximum batch size to be 8"
    )


def test_optional_inputs_need_no_mapping(repo: Path) -> None:
    edit(
        repo / "infer" / "config.pbtxt",
        "input [\n",
        'input [\n  { name: "BIAS" data_type: TYPE_FP32 dims: [ -1 ] optional: true },\n'
        '  { name: "TEMP" data_type: TYPE_FP32 dims: [ 1 ] },\n',
    )
    assert texts(repo, "ensemble", "TRITON020") == [
        "in ensemble ensemble, input TEMP in model infer is not mapped to any ensemble tensors"
    ]


ENSEMBLE = """\
name: "{name}"
platform: "ensemble"
input [ {{ name: "X" data_type: TYPE_FP32 dims: [ 1 ] }} ]
output [ {{ name: "Y" data_type: TYPE_FP32 dims: [ 1 ] }} ]
ensemble_scheduling {{
  step [
    {{
      model_name: "{step}"
      input_map {{ key: "X" value: "X" }}
      output_map {{ key: "Y" value: "Y" }}
    }}
  ]
}}
"""


def test_ensemble_cycles(repo: Path) -> None:
    for name, step in (("a", "b"), ("b", "c"), ("c", "a"), ("d", "a"), ("self", "self")):
        write_model(repo, name, ENSEMBLE.format(name=name, step=step), {"1/": None})
    assert texts(repo, "a", "TRITON021") == [
        "circular dependency between ensembles: a -> b -> c -> a"
    ]
    assert texts(repo, "b", "TRITON021") == texts(repo, "a", "TRITON021")
    assert statuses(repo, "d", "TRITON021") == ["pass"]  # depends on a cycle, is not in one
    assert texts(repo, "self", "TRITON021") == [
        "circular dependency between ensembles: self -> self"
    ]
    assert statuses(repo, "ensemble", "TRITON021") == ["pass"]
    assert repo_facts(repo)["b"]["ensemble.cycle"].value == ["a", "b", "c", "a"]


def test_hidden_folders(repo: Path) -> None:
    (repo / ".ipynb_checkpoints").mkdir()
    (repo / "__pycache__").mkdir()
    (repo / ".gitignore").write_text("x\n")
    items = extract_repository(repo)["repo.hidden_dirs"].value
    assert [i["name"] for i in items] == [".ipynb_checkpoints", "__pycache__"]
    assert items[0]["path"] == str(repo / ".ipynb_checkpoints")
    found = texts(repo, "", "TRITON023")
    assert "Poll failed for model directory '.ipynb_checkpoints'" in found[0]
    assert found[0].startswith("'.ipynb_checkpoints' is a folder of the repository")
    where = failures(repo, "", "TRITON023")[0].location
    assert where is not None and where.path == str(repo / ".ipynb_checkpoints")
    assert [d.name for d in model_dirs(repo)] == ["ensemble", "infer", "preprocess"]
    assert extract_repository(repo)["repo.models"].value == ["ensemble", "infer", "preprocess"]


def test_broken_config_gives_only_folder_facts(repo: Path) -> None:
    edit(repo / "infer" / "config.pbtxt", "max_batch_size: 8", "max_batch_size: ${x}")
    (repo / "infer" / "01").mkdir()
    assert len(failures(repo, "infer", "TRITON007")) == 1
    assert "triton.config" not in repo_facts(repo)["infer"]
    for rule_id in ("TRITON013", "TRITON009"):
        # alone, the rule cannot judge; in a run it waits for TRITON001, which fails first
        [skipped] = results(repo, "infer", rule_id)
        assert skipped.status is Status.SKIP
        assert skipped.message == "infer: not checked: triton.config is not known"
        assert rules()[rule_id].after == ("TRITON001",)
    # the ensemble still sees that infer exists; its IO cannot be compared
    assert statuses(repo, "ensemble", "TRITON019") == ["pass"]
    assert statuses(repo, "ensemble", "TRITON020") == ["pass"]


def test_layout_never_runs_model_code(repo: Path) -> None:
    before = set(sys.modules)
    for name in ("preprocess", "infer", "ensemble"):
        extract_model(repo / name, {})
    repo_facts(repo)
    for rule_id in (*MODEL_RULES, *ENSEMBLE_RULES):
        results(repo, "ensemble", rule_id)
    assert not list(repo.rglob("EXECUTED"))
    assert not [m for m in set(sys.modules) - before if m == "model" or m.endswith(".model")]


# -- the folder source itself -----------------------------------------------------------


def test_version_folders_read_names_as_triton_does(tmp_path: Path) -> None:
    for d in ("1", "10", "01", "0", "2_old", "-1", "+3", "latest", "warmup", "configs", "٣"):
        (tmp_path / d).mkdir()
    (tmp_path / "7").write_text("a file, not a folder")
    got = {f.name: (f.number, f.reading) for f in version_folders(tmp_path)}
    assert got == {
        "0": (0, "plain"),
        "1": (1, "plain"),
        "10": (10, "plain"),
        "01": (None, "leading-zeros"),
        "2_old": (2, "misread"),
        "-1": (-1, "misread"),
        "+3": (3, "misread"),
        "latest": (None, "not-integral"),
        "٣": (None, "not-integral"),  # std::stoll reads ASCII digits only
    }
    assert all(isinstance(f, VersionFolder) for f in version_folders(tmp_path))
    assert versions(tmp_path) == {n: tmp_path / str(n) for n in (-1, 0, 1, 2, 3, 10)}
    assert version_folders(tmp_path / "nope") == []


def test_model_file_kinds_per_version(repo: Path) -> None:
    write_model(
        repo,
        "det",
        """\
        name: "det"
        platform: "tensorrt_plan"
        cc_model_filenames [ { key: "8.9" value: "sm89.plan" } ]
        """,
        {"1/model.plan": "x", "2/sm89.plan/": None},
    )
    facts = extract_model(repo / "det", repo_facts(repo)["det"])
    kinds = {(f["version"], f["name"]): f["kind"] for f in facts["layout.model_files"].value}
    # every file auto-complete may choose is listed too (model.onnx, model.py, ...)
    assert {k: v for k, v in kinds.items() if k[1] in ("sm89.plan", "model.plan")} == {
        (1, "sm89.plan"): "missing",
        (2, "sm89.plan"): "dir",
        (1, "model.plan"): "file",
        (2, "model.plan"): "missing",
    }
    assert kinds[(1, "model.onnx")] == "missing"
    assert facts["layout.config_file"].value == "file"
    assert facts["layout.folder_name"].value == "det"
    located = facts["layout.model_files"].location
    assert located is not None and (located.path, located.line) == (
        str(repo / "det" / "config.pbtxt"),
        1,
    )


def test_model_file_names_leading_out_of_the_model_folder_are_not_looked_at(
    repo: Path, tmp_path: Path
) -> None:
    outside = tmp_path / "elsewhere.plan"
    outside.write_text("x")
    write_model(
        repo,
        "det",
        f"""\
        name: "det"
        platform: "tensorrt_plan"
        default_model_filename: "{outside}"
        """,
        {"1/": None},
    )
    facts = repo_facts(repo)["det"]
    [entry] = [f for f in facts["layout.model_files"].value if f["name"] == str(outside)]
    assert entry["kind"] == "outside"
    assert texts(repo, "det", "TRITON012") == [
        f"the model file '{outside}' leads out of the model folder (from 'det/1/'); "
        "preflight does not look outside it"
    ]
    edit(repo / "det" / "config.pbtxt", str(outside), "../../elsewhere.plan")
    [problem] = model_problems(repo, "det", "TRITON012")
    assert problem.kind == "outside" and problem.location.line == 3  # type: ignore[union-attr]


def test_missing_config_folder_facts(repo: Path) -> None:
    (repo / "infer" / "config.pbtxt").unlink()
    facts = repo_facts(repo)["infer"]
    assert facts["layout.config_file"].value == "missing"
    assert facts["layout.autofill_files"].value == ["model.py"]
    assert not [k for k in facts if k.startswith("triton.")]
    # the default version policy still applies: version 1 loads
    assert statuses(repo, "infer", "TRITON009") == ["pass"]
    [skipped] = results(repo, "infer", "TRITON012")
    assert skipped.status is Status.SKIP


def test_ensemble_derivation_facts(repo: Path) -> None:
    facts = repo_facts(repo)
    models = facts["ensemble"]["ensemble.models"].value
    assert sorted(models) == ["infer", "preprocess"]
    assert models["infer"]["config"] is facts["infer"]["triton.config"].value
    assert models["infer"]["folders"] == ["1"]
    assert facts["ensemble"]["ensemble.cycle"].value == []
