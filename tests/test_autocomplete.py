"""Triton's auto-complete as preflight follows it (derive/autocomplete.py, issue 9 part B): the
backend found from the config, the first subfolder's model file or a ``<name>.<backend>``
folder; what the backends complete; the target setting that turns it off; and the checks
that read the resolved backend (engine rules on a ``model.plan`` whose config names no
platform, TRITON005/011/012/013/060/064). The real server's verdicts on the same themes are
in tests/agreement/cases_autocomplete_ensemble.py.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from preflight.cli import main
from preflight.derive.autocomplete import resolve
from preflight.sources import triton_layout

LFS_POINTER = (
    "version https://git-lfs.github.com/spec/v1\n"
    "oid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\n"
    "size 1312321\n"
)
TARGET = ("--target-gpu", "L4", "--triton-version", "25.06")
IO = """\
input [{ name: "IN", data_type: TYPE_FP32, dims: [ 2 ] }]
output [{ name: "OUT", data_type: TYPE_FP32, dims: [ 2 ] }]
"""


def write(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def check(capsys: pytest.CaptureFixture[str], repo: Path, *args: str) -> list[dict[str, Any]]:
    status = main(["check", str(repo), "--format", "json", *TARGET, *args])
    out = capsys.readouterr().out
    assert status in (0, 1), out
    results: list[dict[str, Any]] = json.loads(out)["results"]
    return results


def failing(results: list[dict[str, Any]], rule: str) -> list[str]:
    return [r["message"] for r in results if r["rule"] == rule and r["status"] == "fail"]


# -- the port of AutoCompleteBackendFields ------------------------------------------------


@pytest.mark.parametrize(
    ("config", "folder", "first", "expected"),
    [
        # the config names it
        ({"backend": "python"}, "m", {}, ("", "python", "model.py", "config")),
        (
            {"platform": "tensorrt_plan"},
            "m",
            {},
            ("tensorrt_plan", "tensorrt", "model.plan", "platform"),
        ),
        ({"backend": "tensorrt"}, "m", {}, ("tensorrt_plan", "tensorrt", "model.plan", "config")),
        (
            {"backend": "onnxruntime"},
            "m",
            {},
            ("onnxruntime_onnx", "onnxruntime", "model.onnx", "config"),
        ),
        (
            {"platform": "onnxruntime_onnx"},
            "m",
            {},
            ("onnxruntime_onnx", "onnxruntime", "model.onnx", "platform"),
        ),
        (
            {"default_model_filename": "model.plan"},
            "m",
            {},
            ("tensorrt_plan", "tensorrt", "model.plan", "default_model_filename"),
        ),
        (
            {"default_model_filename": "model.xml"},
            "m",
            {},
            ("", "openvino", "model.xml", "default_model_filename"),
        ),
        (
            {"default_model_filename": "model.py"},
            "m",
            {},
            ("", "python", "model.py", "default_model_filename"),
        ),
        (
            {"platform": "pytorch_libtorch"},
            "m",
            {},
            ("pytorch_libtorch", "pytorch", "", "platform"),
        ),
        ({"backend": "pytorch"}, "m", {}, ("pytorch_libtorch", "pytorch", "model.pt", "config")),
        ({"platform": "torch_aoti"}, "m", {}, ("torch_aoti", "pytorch", "model.pt2", "platform")),
        (
            {"platform": "tensorflow_savedmodel"},
            "m",
            {},
            ("tensorflow_savedmodel", "tensorflow", "model.savedmodel", "platform"),
        ),
        # the first subfolder's files
        (
            {},
            "m",
            {"model.plan": "file"},
            ("tensorrt_plan", "tensorrt", "model.plan", "file model.plan"),
        ),
        # a model.plan folder is no plan; a model.onnx folder is an ONNX model
        ({}, "m.x", {"model.plan": "dir"}, ("", "x", "model.x", "folder name")),
        (
            {},
            "m",
            {"model.onnx": "dir"},
            ("onnxruntime_onnx", "onnxruntime", "model.onnx", "file model.onnx"),
        ),
        ({}, "m", {"model.xml": "file"}, ("", "openvino", "model.xml", "file model.xml")),
        (
            {},
            "m",
            {"model.pt": "file"},
            # core sets the platform with the backend, so default_model_filename stays unset
            ("pytorch_libtorch", "pytorch", "", "file model.pt"),
        ),
        ({}, "m", {"model.pt2": "file"}, ("torch_aoti", "pytorch", "model.pt2", "file model.pt2")),
        ({}, "m", {"model.py": "file"}, ("", "python", "model.py", "file model.py")),
        (
            {},
            "m",
            {"model.savedmodel": "dir"},
            ("tensorflow_savedmodel", "tensorflow", "model.savedmodel", "file model.savedmodel"),
        ),
        # the order core tries them in: TensorRT before ONNX before Python
        (
            {},
            "m",
            {"model.py": "file", "model.plan": "file"},
            ("tensorrt_plan", "tensorrt", "model.plan", "file model.plan"),
        ),
        (
            {},
            "m",
            {"model.py": "file", "model.onnx": "file"},
            ("onnxruntime_onnx", "onnxruntime", "model.onnx", "file model.onnx"),
        ),
        # a platform alone keeps the file from deciding
        ({"platform": "custom"}, "m", {"model.py": "file"}, ("custom", "", "", "")),
        # the folder name: <name>.<backend>
        ({}, "tok.identity", {}, ("", "identity", "model.identity", "folder name")),
        ({}, "tok.python", {"model.py": "file"}, ("", "python", "model.py", "file model.py")),
        # a set default_model_filename no backend claims: nothing (core: "unexpected platform type")
        (
            {"default_model_filename": "model.bin"},
            "m",
            {"model.py": "file"},
            ("", "", "model.bin", ""),
        ),
    ],
)
def test_resolve_follows_core(
    config: dict[str, str], folder: str, first: dict[str, str], expected: tuple[str, ...]
) -> None:
    got = resolve(config, folder, first, has_version=True)
    assert (got["platform"], got["backend"], got["default_model_filename"], got["how"]) == expected
    assert got["name_error"] is False


def test_resolve_without_a_backend_or_a_dotted_name_is_core_s_name_error() -> None:
    assert resolve({}, "plain", {}, has_version=True)["name_error"] is True
    assert resolve({}, "plain", {"model.py": "file"}, has_version=False)["name_error"] is True


def test_the_first_subfolder_is_the_first_in_byte_order_hidden_ones_too(tmp_path: Path) -> None:
    model = write(
        tmp_path / "m", {"1/model.py": "", ".ipynb_checkpoints/x": "", "2/model.plan": ""}
    )
    facts = triton_layout.extract_model(model)
    assert facts["layout.first_subdir"].value == ".ipynb_checkpoints"
    assert facts["layout.first_subdir_files"].value == {}
    model = write(tmp_path / "n", {"1/model.py": "", "warmup/x": ""})
    facts = triton_layout.extract_model(model)
    assert facts["layout.first_subdir"].value == "1"
    assert facts["layout.first_subdir_files"].value == {"model.py": "file"}


def test_model_py_defining_auto_complete_config_is_read_not_run(tmp_path: Path) -> None:
    model = write(
        tmp_path / "m",
        {"1/model.py": "raise SystemExit(3)\ndef auto_complete_config(c):\n    return c\n"},
    )
    assert triton_layout.extract_model(model)["layout.defines_auto_complete"].value is True
    other = write(tmp_path / "o", {"1/model.py": "class TritonPythonModel: pass\n"})
    assert triton_layout.extract_model(other)["layout.defines_auto_complete"].value is False


# -- checks that read the resolved backend -----------------------------------------------


def plan_repo(root: Path, config: str) -> Path:
    return write(root, {"det/config.pbtxt": config, "det/1/model.plan": LFS_POINTER})


@pytest.mark.parametrize(
    "head",
    ['platform: "tensorrt_plan"\n', 'backend: "tensorrt"\n', ""],
    ids=["platform", "backend", "none"],
)
def test_an_lfs_pointer_model_plan_fails_whether_or_not_the_config_names_the_platform(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, head: str
) -> None:
    repo = plan_repo(tmp_path / "repo", f'name: "det"\n{head}max_batch_size: 4\n{IO}')
    results = check(capsys, repo)
    trt001 = [r for r in results if r["rule"] == "TRT001"]
    assert [r["status"] for r in trt001] == ["fail"], trt001
    assert "lfs-pointer" in trt001[0]["message"]
    assert trt001[0]["location"]["path"] == "det/1/model.plan"
    assert not failing(results, "TRITON011")
    assert not failing(results, "TRITON012")


def test_a_model_plan_without_config_pbtxt_gets_the_engine_checks(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    repo = write(tmp_path / "repo", {"det/1/model.plan": LFS_POINTER})
    results = check(capsys, repo)
    assert failing(results, "TRT001")
    assert not failing(results, "TRITON005")


def test_partial_io_is_completed_by_tensorrt_unless_auto_complete_is_off(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    config = 'name: "det"\nmax_batch_size: 4\ninput [{ name: "images" }]\n'
    repo = plan_repo(tmp_path / "repo", config)
    results = check(capsys, repo)
    assert not failing(results, "TRITON013")
    notes = failing(results, "TRITON060")
    assert any("input 'images' of det has no dims" in m for m in notes), notes
    assert any("lists no outputs" in m for m in notes), notes

    strict = check(capsys, repo, "--disable-auto-complete-config")
    assert any("must specify 'dims'" in m for m in failing(strict, "TRITON013"))
    assert any("must specify 'data_type'" in m for m in failing(strict, "TRITON013"))
    assert not failing(strict, "TRITON060")

    (repo / ".preflight.yaml").write_text("target:\n  auto_complete: false\n")
    from_settings = check(capsys, repo)
    assert failing(from_settings, "TRITON013")


def test_a_kind_cpu_tensorrt_model_is_not_completed(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # tensorrt_backend auto-completes only when the first instance group is KIND_GPU
    config = (
        'name: "det"\nmax_batch_size: 4\ninput [{ name: "images" }]\n'
        "instance_group [{ kind: KIND_CPU }]\n"
    )
    results = check(capsys, plan_repo(tmp_path / "repo", config))
    assert failing(results, "TRITON013")


def test_onnx_fills_only_a_missing_list_not_a_partial_entry(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    repo = write(
        tmp_path / "repo",
        {
            "cls/config.pbtxt": 'max_batch_size: 4\ninput [{ name: "x" }]\n',
            "cls/1/model.onnx": "onnx",
        },
    )
    results = check(capsys, repo)
    assert any("must specify 'dims'" in m for m in failing(results, "TRITON013"))
    assert any("lists no outputs" in m for m in failing(results, "TRITON060"))


def test_missing_config_pbtxt_with_and_without_auto_complete(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    repo = write(tmp_path / "repo", {"tok/1/model.py": "", "empty/1/notes.txt": ""})
    results = check(capsys, repo)
    assert failing(results, "TRITON005") == [
        "empty: Invalid model name: Could not determine backend for model 'empty' with no "
        "backend in model configuration. Expected model name of the form 'model.<backend_name>'."
    ]
    strict = failing(check(capsys, repo, "--disable-auto-complete-config"), "TRITON005")
    assert len(strict) == 2
    assert all("failed to open text file for read" in m for m in strict)


def test_platform_backend_pairs_follow_core(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    repo = write(
        tmp_path / "repo",
        {
            "a/config.pbtxt": f'platform: "libtorch"\nbackend: "pytorch"\nmax_batch_size: 4\n{IO}',
            "a/1/model.pt": "",
            "b/config.pbtxt": f'platform: "onnxruntime_onnx"\ndefault_model_filename: "model.plan"\n{IO}',
            "b/1/model.plan": "",
            "c/config.pbtxt": f'default_model_filename: "model.bin"\n{IO}',
            "c/1/model.bin": "",
            "d/config.pbtxt": f'backend: "python"\nplatform: "tensorrt_plan"\n{IO}',
            "d/1/model.py": "",
            "e/config.pbtxt": f"max_batch_size: 4\n{IO}",
            "e/.git/HEAD": "",
            "e/1/model.py": "",
        },
    )
    found = failing(check(capsys, repo), "TRITON011")
    assert "a: unexpected 'platform' and 'backend' pair, got:libtorch, pytorch" in found
    # model.plan named as the file makes the backend tensorrt, which onnxruntime_onnx is not
    assert "b: unexpected 'platform' and 'backend' pair, got:onnxruntime_onnx, tensorrt" in found
    assert "c: unexpected platform type '' for c" in found
    assert not [m for m in found if m.startswith("d:")]
    # .git sorts before 1/: core looks there and finds no backend
    assert [m for m in found if m.startswith("e: Invalid model name")]


def test_python_model_file_name_from_a_dotted_folder(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    repo = write(
        tmp_path / "repo",
        {
            "tok.python/config.pbtxt": f"max_batch_size: 4\n{IO}",
            "tok.python/1/model.python": "",
            "ok.python/config.pbtxt": f"max_batch_size: 4\n{IO}",
            "ok.python/1/model.py": "",
        },
    )
    results = check(capsys, repo)
    assert failing(results, "TRITON064") == [
        "tok.python: Model name must end with '.py'. Model name is \"model.python\"."
    ]
    assert not failing(results, "TRITON011")


def test_non_linear_format_io_needs_the_tensorrt_platform_and_3_dims(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    io = (
        'input [{ name: "x", data_type: TYPE_FP32, dims: [ 3, 4 ] is_non_linear_format_io: true }]\n'
        'output [{ name: "y", data_type: TYPE_FP32, dims: [ 1 ] }]\n'
    )
    repo = write(
        tmp_path / "repo",
        {
            "trt/config.pbtxt": f"max_batch_size: 4\n{io}",
            "trt/1/model.plan": LFS_POINTER,
            "py/config.pbtxt": f'backend: "python"\nmax_batch_size: 4\n{io}',
            "py/1/model.py": "",
        },
    )
    found = failing(check(capsys, repo), "TRITON013")
    # the platform comes from auto-complete (model.plan): TensorRT, but only 2 dims
    assert "trt: Non-linear IO format input requires 3 dims for trt" in found
    assert "py: Non-linear IO format is only supported for the TensorRT platform for py" in found


def test_auto_complete_setting_must_be_a_boolean(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    repo = write(
        tmp_path / "repo",
        {"m/1/model.py": "", ".preflight.yaml": "target:\n  auto_complete: no way\n"},
    )
    status = main(["check", str(repo), *TARGET])
    err = capsys.readouterr().err
    assert status == 2
    assert ".preflight.yaml:2" in err and "auto_complete" in err
