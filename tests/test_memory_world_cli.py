"""`--gpu-memory` and `--world-size` (and their `.preflight.yaml` keys) end to end: the target
they make, the findings they enable, and the usage errors (exit 2) for bad values."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from preflight.cli import main

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "model_repo"


@pytest.fixture()
def repo(tmp_path: Path) -> Path:
    dest = tmp_path / "repo"
    shutil.copytree(EXAMPLE, dest, symlinks=True)
    config = dest / "tensorrt_llm" / "1" / "config.json"
    text = config.read_text()
    config.write_text(
        text.replace('"world_size": 1,', '"world_size": 2,').replace(
            '"tp_size": 1,', '"tp_size": 2,'
        )
    )
    return dest


def _check(repo: Path, tmp_path: Path, *args: str) -> tuple[int, dict[str, Any]]:
    out = tmp_path / "report.json"
    status = main(["check", str(repo), "--format", "json", "--output", str(out), *args])
    return status, json.loads(out.read_text()) if out.exists() else {}


def _results(report: dict[str, Any], rule: str) -> list[dict[str, Any]]:
    return [r for r in report["results"] if r["rule"] == rule]


def test_world_size_flag_against_the_engine(repo: Path, tmp_path: Path) -> None:
    args = ("--target-gpu", "L4", "--triton-version", "25.06", "--gpu-count", "2")
    _, report = _check(repo, tmp_path, *args, "--world-size", "1")
    [found] = _results(report, "TLLM124")
    assert found["status"] == "fail" and "MPI world size 1" in found["message"]
    _, report = _check(repo, tmp_path, *args, "--world-size", "2")
    assert [r["status"] for r in _results(report, "TLLM124")] == ["pass"]


def test_settings_give_world_size_and_gpu_memory(repo: Path, tmp_path: Path) -> None:
    (repo / ".preflight.yaml").write_text(
        'target: {gpu: L4, triton: "25.06", gpu_count: 2, world_size: 2, gpu_memory: 19.5}\n'
    )
    _, report = _check(repo, tmp_path)
    assert [r["status"] for r in _results(report, "TLLM124")] == ["pass"]
    # a 20 GB MIG slice of an L4 class GPU instead of the table's 21.96 GiB
    [weights] = _results(report, "TLLM120")
    assert weights["status"] == "pass" and "fits the GPU's 19.5 GiB" in weights["message"]
    assert report["target"].get("gpu") == "L4"


def test_launch_script_in_the_repository(repo: Path, tmp_path: Path) -> None:
    (repo / "serve.sh").write_text("python3 /opt/scripts/launch_triton_server.py --model_repo /m\n")
    _, report = _check(repo, tmp_path, "--target-gpu", "L4", "--triton-version", "25.06")
    [found] = _results(report, "TLLM123")
    assert found["status"] == "fail"
    assert found["location"]["path"].endswith("serve.sh") and found["location"]["line"] == 1


@pytest.mark.parametrize(
    ("args", "text"),
    [
        (["--world-size", "0"], "--world-size 0: expected a positive whole number"),
        (["--gpu-memory", "-1"], "--gpu-memory -1.0: expected GiB"),
    ],
)
def test_bad_values_are_usage_errors(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], text: str
) -> None:
    status, _ = _check(repo, tmp_path, "--target-gpu", "L4", *args)
    assert status == 2
    assert text in capsys.readouterr().err


def test_bad_settings_values_name_the_line(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (repo / ".preflight.yaml").write_text(
        'target:\n  gpu: L4\n  world_size: two\n  gpu_memory: "20"\n'
    )
    status, _ = _check(repo, tmp_path)
    err = capsys.readouterr().err
    assert status == 2
    assert ".preflight.yaml:3:" in err and "positive whole number" in err
    assert ".preflight.yaml:4:" in err and "expected GiB" in err


def test_settings_gpu_memory_belongs_to_the_settings_gpu(tmp_path: Path) -> None:
    """The example's .preflight.yaml gives its RTX 4060 Ti 16 GiB; a GPU named on the command
    line is measured by the GPU table instead, unless --gpu-memory is given too."""
    repo = tmp_path / "example"
    shutil.copytree(EXAMPLE, repo, symlinks=True)
    _status, report = _check(repo, tmp_path)
    [own] = _results(report, "TLLM120")
    assert own["status"] == "pass" and "GPU's 16.0 GiB" in own["message"]
    _status, report = _check(repo, tmp_path, "--target-gpu", "L40S")
    [l40s] = _results(report, "TLLM120")
    assert "GPU's 44.31 GiB" in l40s["message"]
    _status, report = _check(repo, tmp_path, "--target-gpu", "L40S", "--gpu-memory", "20")
    [given] = _results(report, "TLLM120")
    assert "GPU's 20.0 GiB" in given["message"]
