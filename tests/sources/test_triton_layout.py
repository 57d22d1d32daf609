"""Model-folder and repository facts: versions, model files, IO, batching, ensembles."""

from __future__ import annotations

import shutil
import string
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from preflight.model import Facts
from preflight.sources.triton_config import parse
from preflight.sources.triton_layout import extract_model, extract_repo, model_dirs

BASE = Path(__file__).resolve().parents[1] / "data" / "pbtxt" / "base_repo"
REAL = Path(__file__).resolve().parents[1] / "data" / "pbtxt" / "real"


@pytest.fixture()
def repo(tmp_path: Path) -> Path:
    dest = tmp_path / "repo"
    shutil.copytree(BASE, dest)
    return dest


def model(repo: Path, name: str) -> Facts:
    return extract_model(repo / name, parse(repo / name / "config.pbtxt"))


def texts(facts: Facts, key: str) -> list[str]:
    return [item["text"] for item in facts[key].value]


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


def cross(repo: Path) -> dict[str, Facts]:
    models = {d.name: parse(d / "config.pbtxt") for d in model_dirs(repo)}
    return extract_repo(repo, models)


PROBLEM_KEYS = [
    "triton.layout.bad_version_dirs",
    "triton.layout.misread_version_dirs",
    "triton.layout.missing_config",
    "triton.layout.missing_versions",
    "triton.layout.no_versions",
    "triton.layout.name_mismatch",
    "triton.layout.platform_backend",
    "triton.layout.missing_model_file",
    "triton.io.invalid",
    "triton.io.duplicate_names",
    "triton.layout.batching",
    "triton.layout.instance_groups",
    "triton.ensemble.config",
]


def test_the_base_repository_is_clean(repo: Path) -> None:
    for name in ("preprocess", "infer", "ensemble"):
        facts = model(repo, name)
        for key in PROBLEM_KEYS:
            assert facts[key].value == [], (name, key, facts[key].value)
    assert model(repo, "ensemble")["triton.ensemble.dataflow"].value == []
    assert "triton.ensemble.dataflow" not in model(repo, "infer")
    out = cross(repo)
    assert out[""]["repo.hidden_dirs"].value == []
    for key in ("missing_models", "step_io", "batch_size", "cycles"):
        assert out["ensemble"][f"triton.ensemble.{key}"].value == []
    assert out["infer"] == {}


# -- versions ---------------------------------------------------------------------------


def test_version_folders(repo: Path) -> None:
    for d in ("01", "latest", "2_old", "-1", "warmup", "configs"):
        (repo / "infer" / d).mkdir()
    facts = model(repo, "infer")
    bad = texts(facts, "triton.layout.bad_version_dirs")
    assert bad == [
        "ignore version directory '01' which contains leading zeros in its directory name",
        "ignore version directory 'latest' which fails to convert to integral number",
    ]
    assert facts["triton.layout.bad_version_dirs"].value[0]["path"] == str(repo / "infer" / "01")
    misread = facts["triton.layout.misread_version_dirs"].value
    assert [m["dir"] for m in misread] == ["-1", "2_old"]
    assert "is read as version 2" in misread[1]["text"]
    assert facts["triton.layout.versions"].value == [-1, 1, 2]
    # the default policy loads the newest version: 2, read from '2_old', which has no model.py
    assert facts["triton.layout.loaded_versions"].value == [2]
    assert texts(facts, "triton.layout.missing_model_file") == [
        "unable to find 'infer/2/model.py' for model 'infer' (version 2)"
    ]


def test_no_version_folder(repo: Path) -> None:
    shutil.rmtree(repo / "ensemble" / "1")
    facts = model(repo, "ensemble")
    [item] = facts["triton.layout.no_versions"].value
    assert item["text"] == (
        "at least one version must be available under the version policy of model 'ensemble'"
    )
    assert item["path"] == str(repo / "ensemble" / "config.pbtxt")


def test_specific_and_latest_policies(repo: Path) -> None:
    cfg = repo / "infer" / "config.pbtxt"
    edit(
        cfg,
        "max_batch_size: 8",
        "max_batch_size: 8\nversion_policy: { specific: { versions: [ 3 ] } }",
    )
    facts = model(repo, "infer")
    assert texts(facts, "triton.layout.missing_versions") == [
        "version 3 is specified for model 'infer', but the version directory is not present"
    ]
    assert facts["triton.layout.missing_versions"].value[0]["line"] == 4
    assert len(facts["triton.layout.no_versions"].value) == 1
    edit(cfg, "specific: { versions: [ 3 ] }", "latest: { num_versions: 0 }")
    assert len(model(repo, "infer")["triton.layout.no_versions"].value) == 1
    edit(cfg, "latest: { num_versions: 0 }", "all: { }")
    (repo / "infer" / "2").mkdir()
    facts = model(repo, "infer")
    assert facts["triton.layout.loaded_versions"].value == [1, 2]
    assert [i["version"] for i in facts["triton.layout.missing_model_file"].value] == [2]


# -- config presence, name, platform ----------------------------------------------------


def test_missing_config_unless_autofill_can_work(repo: Path) -> None:
    (repo / "infer" / "config.pbtxt").unlink()
    # a real server guesses the Python backend from model.py (agreement: lenient_missing_config)
    assert model(repo, "infer")["triton.layout.missing_config"].value == []
    (repo / "infer" / "1" / "model.py").unlink()
    facts = model(repo, "infer")
    [item] = facts["triton.layout.missing_config"].value
    assert item["text"].startswith("failed to open text file for read")
    write_model(repo, "det", 'name: "det"\n', {"1/model.plan": "x"})
    (repo / "det" / "config.pbtxt").unlink()
    assert model(repo, "det")["triton.layout.missing_config"].value == []


def test_name_mismatch_and_platform_backend(repo: Path) -> None:
    cfg = repo / "infer" / "config.pbtxt"
    edit(cfg, 'name: "infer"', 'name: "other"')
    [item] = model(repo, "infer")["triton.layout.name_mismatch"].value
    assert item["text"] == (
        "unexpected directory name 'infer' for model 'other', directory name must equal model name"
    )
    assert item["line"] == 1
    edit(cfg, 'backend: "python"', 'platform: "onnxruntime_onnx"\nbackend: "tensorrt"')
    assert texts(model(repo, "infer"), "triton.layout.platform_backend") == [
        "unexpected 'platform' and 'backend' pair, got:onnxruntime_onnx, tensorrt"
    ]
    edit(cfg, 'platform: "onnxruntime_onnx"\nbackend: "tensorrt"', 'platform: "made_up"')
    assert texts(model(repo, "infer"), "triton.layout.platform_backend") == [
        "unexpected platform type 'made_up' for infer"
    ]
    edit(cfg, 'platform: "made_up"', "")
    # with 1/model.py Triton's autofill picks the Python backend; without it nothing tells
    assert texts(model(repo, "infer"), "triton.layout.platform_backend") == []
    (repo / "infer" / "1" / "model.py").unlink()
    assert texts(model(repo, "infer"), "triton.layout.platform_backend") == [
        "must specify 'platform' or 'backend' for 'infer'"
    ]
    edit(
        repo / "ensemble" / "config.pbtxt",
        'platform: "ensemble"',
        'platform: "ensemble"\nbackend: "python"',
    )
    assert texts(model(repo, "ensemble"), "triton.layout.platform_backend") == [
        "Ensemble model 'ensemble' must have platform type 'ensemble' and empty backend type"
    ]


# -- model files ------------------------------------------------------------------------


def test_default_model_files_per_platform(repo: Path) -> None:
    write_model(repo, "det", 'name: "det"\nplatform: "tensorrt_plan"\n', {"1/": None})
    [item] = model(repo, "det")["triton.layout.missing_model_file"].value
    assert item["text"] == "unable to find 'det/1/model.plan' for model instance 'det_0'"
    (repo / "det" / "1" / "model.plan").mkdir()
    [item] = model(repo, "det")["triton.layout.missing_model_file"].value
    assert item["text"] == "'det/1/model.plan' must be a file for model 'det'"
    write_model(repo, "tf", 'name: "tf"\nplatform: "tensorrt_plan"\n', {"1/model.plan": "x"})
    assert model(repo, "tf")["triton.layout.missing_model_file"].value == []
    write_model(
        repo, "sm", 'name: "sm"\nplatform: "tensorflow_savedmodel"\n', {"1/model.savedmodel": "x"}
    )
    assert "must be a directory" in texts(model(repo, "sm"), "triton.layout.missing_model_file")[0]
    write_model(repo, "ox", 'name: "ox"\nbackend: "onnxruntime"\n', {"1/model.onnx/": None})
    assert model(repo, "ox")["triton.layout.missing_model_file"].value == []


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
    [item] = model(repo, "det")["triton.layout.missing_model_file"].value
    assert item["file"] == "det/1/det.plan" and item["line"] == 3
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
    [item] = model(repo, "det")["triton.layout.missing_model_file"].value
    assert item["file"] == "det/1/sm80.plan" and item["line"] == 3


def test_tensorrtllm_and_ensembles_need_no_model_file(repo: Path) -> None:
    write_model(
        repo, "tensorrt_llm", 'name: "tensorrt_llm"\nbackend: "tensorrtllm"\n', {"1/": None}
    )
    assert model(repo, "tensorrt_llm")["triton.layout.missing_model_file"].value == []
    assert model(repo, "ensemble")["triton.layout.missing_model_file"].value == []


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
    facts = model(repo, "m")
    by_tensor: dict[str, list[str]] = {}
    for item in facts["triton.io.invalid"].value:
        by_tensor.setdefault(item["tensor"], []).append(item["text"])
    assert "dimension must be integer >= 1" in by_tensor["a"][0]
    assert by_tensor["b"] == ["model input 'b' has different size for dims and reshape for m"]
    assert by_tensor["c"] == [
        "model input 'c' has different number of variable-size dimensions for dims and "
        "reshape for m"
    ]
    assert "cannot have empty reshape for non-batching model" in by_tensor["d"][0]
    assert by_tensor["e"][0].startswith("unsupported datatype TYPE_STRING for input 'e'")
    assert by_tensor["f"] == ["model input 'f' must specify 'data_type' for m"]
    assert by_tensor["g"] == ["model input 'g' must specify 'dims' for m"]
    assert by_tensor["h"] == ["model input NHWC/NCHW require 3 dims for m"]
    assert by_tensor["i"] == ["model input 'i' has different size for dims and reshape for m"]
    first = facts["triton.io.invalid"].value[0]
    assert first["line"] == 5 and first["path"] == str(repo / "m" / "config.pbtxt")
    # 'a' is both an input and an output: separate namespaces, not a finding
    assert texts(facts, "triton.io.duplicate_names") == [
        "output 'o' of model 'm' is declared twice",
    ]


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
    facts = model(repo, "preprocessing")
    for key in PROBLEM_KEYS:
        assert facts[key].value == [], key
    assert facts["triton.io.duplicate_names"].value == []


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
    assert model(repo, "m")["triton.io.invalid"].value == []


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
    got = texts(model(repo, "m"), "triton.layout.batching")
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
    [item] = model(repo, "m")["triton.layout.batching"].value
    assert item["text"] == (
        "Response Cache does not currently support model m with 'decoupled' transaction "
        "policy. Please disable the response cache."
    )
    assert item["line"] == 6
    write_model(repo, "m", config.replace("decoupled: true", "decoupled: false"))
    assert model(repo, "m")["triton.layout.batching"].value == []


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
    got = texts(model(repo, "det"), "triton.layout.instance_groups")
    assert got == [
        "unable to load model 'det', TensorRT backend supports only GPU device",
        "instance group g of model det has kind KIND_MODEL but specifies one or more GPUs",
        "instance group det_2 of model det specifies invalid or unsupported gpu id -1",
        "instance group det_2 of model det specifies invalid profile 'x': profile indices are "
        "non-negative integers",
    ]
    # profiles are a TensorRT feature; a KIND_CPU python model is fine
    edit(repo / "infer" / "config.pbtxt", "kind: KIND_CPU", 'kind: KIND_CPU, profile: [ "0" ]')
    assert texts(model(repo, "infer"), "triton.layout.instance_groups") == [
        "instance group infer_0 of model infer specifies profile field which is only supported "
        "for TensorRT models"
    ]


# -- ensembles --------------------------------------------------------------------------


def test_ensemble_config_rules(repo: Path) -> None:
    cfg = repo / "ensemble" / "config.pbtxt"
    edit(cfg, "max_batch_size: 8", "max_batch_size: 8\ninstance_group [ { kind: KIND_CPU } ]")
    assert texts(model(repo, "ensemble"), "triton.ensemble.config") == [
        "instance group should not be specified for ensemble 'ensemble'"
    ]
    # (preprocess has no dynamic_batching: the two share a oneof)
    edit(
        repo / "preprocess" / "config.pbtxt",
        "max_batch_size: 8",
        "max_batch_size: 8\nensemble_scheduling { }",
    )
    assert texts(model(repo, "preprocess"), "triton.ensemble.config") == [
        "ensemble scheduling cannot be set for model 'preprocess' whose platform is not ensemble"
    ]


def test_ensemble_dataflow(repo: Path) -> None:
    cfg = repo / "ensemble" / "config.pbtxt"
    edit(
        cfg,
        'output_map { key: "IDS" value: "ids" }',
        'output_map { key: "IDS" value: "token_ids" }',
    )
    got = texts(model(repo, "ensemble"), "triton.ensemble.dataflow")
    assert got == [
        "ensemble tensor 'ids' read by step 1 ('infer') of ensemble 'ensemble' is neither an "
        "ensemble input nor written by any step",
        "ensemble tensor 'token_ids' is unused in ensemble 'ensemble'",
    ]
    edit(
        cfg, 'input_map { key: "TEXT" value: "TEXT" }', 'input_map { key: "TEXT" value: "PROMPT" }'
    )
    got = texts(model(repo, "ensemble"), "triton.ensemble.dataflow")
    assert "ensemble input 'TEXT' for ensemble ensemble' is not used" in got


def test_ensemble_missing_step_model_and_version(repo: Path) -> None:
    edit(repo / "ensemble" / "config.pbtxt", 'model_name: "infer"', 'model_name: "infer_xl"')
    edit(
        repo / "ensemble" / "config.pbtxt",
        'model_version: -1\n      input_map { key: "TEXT"',
        'model_version: 4\n      input_map { key: "TEXT"',
    )
    out = cross(repo)["ensemble"]
    missing = out["triton.ensemble.missing_models"].value
    assert [m["text"] for m in missing] == [
        "ensemble 'ensemble' depends on 'preprocess' whose required version 4 is not loaded.",
        "ensemble ensemble contains models that are not available or ambiguous: infer_xl",
    ]
    assert missing[1]["line"] == 26 and missing[1]["path"] == str(
        repo / "ensemble" / "config.pbtxt"
    )


def test_ensemble_internal_tensor_dtype_between_steps(repo: Path) -> None:
    # a real server refuses it (tests/agreement variant bad_ens_dtype_mismatch): step infer
    # reads 'ids' as FP32 while step preprocess writes it as INT32
    edit(repo / "infer" / "config.pbtxt", "TYPE_INT32", "TYPE_FP32")
    [item] = cross(repo)["ensemble"]["triton.ensemble.step_io"].value
    assert item["text"] == (
        "in ensemble ensemble, ensemble tensor ids: inconsistent data type: TYPE_INT32 is "
        "inferred from model preprocess while TYPE_FP32 is inferred from model infer"
    )
    assert item["line"] == 26 and item["model"] == "infer"


def test_platform_beside_a_set_backend(repo: Path) -> None:
    # a real server loads platform tensorrt_plan beside backend python with the Python backend
    # (tests/agreement variant lenient_platform_with_python_backend): model.py, CPU instances
    cfg = repo / "infer" / "config.pbtxt"
    edit(cfg, 'backend: "python"', 'platform: "tensorrt_plan"\nbackend: "python"')
    facts = model(repo, "infer")
    assert facts["triton.layout.missing_model_file"].value == []
    assert facts["triton.layout.instance_groups"].value == []
    assert facts["triton.layout.platform_backend"].value == []
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
    assert model(repo, "det")["triton.layout.instance_groups"].value == []


def test_ensemble_step_io_and_batch_size(repo: Path) -> None:
    cfg = repo / "ensemble" / "config.pbtxt"
    edit(
        cfg,
        'output_map { key: "LOGITS" value: "LOGITS" }',
        'output_map { key: "SCORES" value: "LOGITS" }',
    )
    edit(cfg, "max_batch_size: 8", "max_batch_size: 32")
    edit(repo / "preprocess" / "config.pbtxt", "TYPE_STRING", "TYPE_UINT8")
    out = cross(repo)["ensemble"]
    assert [i["text"] for i in out["triton.ensemble.step_io"].value] == [
        "in ensemble ensemble, ensemble tensor TEXT: inconsistent data type: TYPE_STRING is "
        "inferred from model ensemble while TYPE_UINT8 is inferred from model preprocess",
        "in ensemble ensemble, ensemble tensor LOGITS is mapped from non-existing output SCORES "
        "in model infer",
    ]
    assert [i["model"] for i in out["triton.ensemble.batch_size"].value] == ["preprocess", "infer"]
    assert out["triton.ensemble.batch_size"].value[0]["text"] == (
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
    out = cross(repo)["ensemble"]
    assert [i["text"] for i in out["triton.ensemble.step_io"].value] == [
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
    out = cross(repo)
    assert texts(out["a"], "triton.ensemble.cycles") == [
        "circular dependency between ensembles: a -> b -> c -> a"
    ]
    assert texts(out["b"], "triton.ensemble.cycles") == texts(out["a"], "triton.ensemble.cycles")
    assert out["d"]["triton.ensemble.cycles"].value == []  # depends on a cycle, is not in one
    assert texts(out["self"], "triton.ensemble.cycles") == [
        "circular dependency between ensembles: self -> self"
    ]
    assert out["ensemble"]["triton.ensemble.cycles"].value == []


def test_hidden_folders(repo: Path) -> None:
    (repo / ".ipynb_checkpoints").mkdir()
    (repo / "__pycache__").mkdir()
    (repo / ".gitignore").write_text("x\n")
    items = cross(repo)[""]["repo.hidden_dirs"].value
    assert [i["dir"] for i in items] == [".ipynb_checkpoints", "__pycache__"]
    assert "Poll failed for model directory '.ipynb_checkpoints'" in items[0]["text"]
    assert [d.name for d in model_dirs(repo)] == ["ensemble", "infer", "preprocess"]


def test_broken_config_gives_only_folder_facts(repo: Path) -> None:
    edit(repo / "infer" / "config.pbtxt", "max_batch_size: 8", "max_batch_size: ${x}")
    (repo / "infer" / "01").mkdir()
    facts = model(repo, "infer")
    assert len(facts["triton.layout.bad_version_dirs"].value) == 1
    assert "triton.io.invalid" not in facts and "triton.layout.no_versions" not in facts
    out = cross(repo)
    # the ensemble still sees that infer exists; its IO cannot be compared
    assert out["ensemble"]["triton.ensemble.missing_models"].value == []


def test_layout_never_runs_model_code(repo: Path) -> None:
    before = set(sys.modules)
    for name in ("preprocess", "infer", "ensemble"):
        model(repo, name)
    cross(repo)
    assert not list(repo.rglob("EXECUTED"))
    assert not [m for m in set(sys.modules) - before if m == "model" or m.endswith(".model")]
