"""Ordinary TensorRT models (platform tensorrt_plan) get the same version and GPU checks,
against the plain `-py3` container's TensorRT, on real plans."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from preflight.cli import main

CONFIG = """name: "{name}"
platform: "tensorrt_plan"
max_batch_size: 1
{extra}
"""


def make_repo(tmp_path: Path, plan: Path, *, extra: str = "", filename: str = "model.plan") -> Path:
    repo = tmp_path / "repo"
    model = repo / "detector"
    (model / "1").mkdir(parents=True)
    (model / "config.pbtxt").write_text(CONFIG.format(name="detector", extra=extra))
    shutil.copy(plan, model / "1" / filename)
    return repo


def results(
    repo: Path, capsys: pytest.CaptureFixture[str], *args: str
) -> tuple[int, list[dict[str, object]]]:
    status = main(["check", str(repo), "--format", "json", *args])
    return status, json.loads(capsys.readouterr().out)["results"]


def by_rule(found: list[dict[str, object]], rule: str) -> list[dict[str, object]]:
    return [r for r in found if r["rule"] == rule]


def test_plain_plan_from_another_tensorrt_fails_naming_both(
    shared: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plan = (
        shared / "fixtures" / "engines" / "Mycoearthdome_camera_model.engine"
    )  # TRT 10.15.1.29, sm_86
    repo = make_repo(tmp_path, plan)
    status, found = results(repo, capsys, "--triton-version", "25.06", "--target-gpu", "RTX 3060")
    assert status == 1
    [trt] = by_rule(found, "TRT002")
    assert trt["status"] == "fail"
    assert "10.15.1.29" in str(trt["message"]) and "10.11.0.33" in str(trt["message"])
    assert trt["location"] == {"path": "detector/1/model.plan"}
    [gpu] = by_rule(found, "TRT003")
    assert gpu["status"] == "pass"


def test_plain_plan_on_its_own_tensorrt_and_gpu_passes(
    shared: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plan = shared / "fixtures" / "engines" / "nttrung2406_COVID19_model.trt"  # TRT 10.3.0.26, T4
    repo = make_repo(tmp_path, plan)
    _, found = results(repo, capsys, "--trt-version", "10.3.0.26", "--target-gpu", "T4")
    engine_results = by_rule(found, "TRT001") + by_rule(found, "TRT002") + by_rule(found, "TRT003")
    assert [r["status"] for r in engine_results] == ["pass", "pass", "pass"]


def test_cc_model_filenames_are_each_checked(
    shared: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    engines = shared / "fixtures" / "engines"
    extra = 'cc_model_filenames { key: "7.5" value: "t4.plan" }\ncc_model_filenames { key: "8.6" value: "a.plan" }'
    repo = make_repo(
        tmp_path, engines / "nttrung2406_COVID19_model.trt", extra=extra, filename="t4.plan"
    )
    shutil.copy(engines / "Mycoearthdome_camera_model.engine", repo / "detector" / "1" / "a.plan")
    status, found = results(repo, capsys, "--trt-version", "10.3.0.26", "--target-gpu", "T4")
    trt = {r["location"]["path"]: r["status"] for r in by_rule(found, "TRT002")}  # type: ignore[index]
    assert trt == {"detector/1/t4.plan": "pass", "detector/1/a.plan": "fail"}
    gpu = {r["location"]["path"]: r["status"] for r in by_rule(found, "TRT003")}  # type: ignore[index]
    assert gpu == {"detector/1/t4.plan": "pass", "detector/1/a.plan": "pass"}  # each on its own cc
    assert status == 1


def test_cc_model_filename_built_for_another_gpu_fails(
    shared: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    engines = shared / "fixtures" / "engines"
    extra = 'cc_model_filenames { key: "8.0" value: "a100.plan" }'
    repo = make_repo(
        tmp_path, engines / "nttrung2406_COVID19_model.trt", extra=extra, filename="a100.plan"
    )
    _, found = results(repo, capsys, "--trt-version", "10.3.0.26", "--target-gpu", "A100")
    [gpu] = by_rule(found, "TRT003")
    assert gpu["status"] == "fail" and "compute capability 7.5" in str(gpu["message"])
    assert "8.0 (cc_model_filenames)" in str(gpu["message"])


def test_metadata_prefixed_plan_is_refused_like_triton_does(
    shared: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An exporter's JSON prefix before the plan makes Triton fail with 'Magic tag does not match'."""
    import struct

    plan = (shared / "fixtures" / "engines" / "smile2game_nvidia-game_model.plan").read_bytes()
    meta = b'{"description": "Ultralytics YOLOv8n", "task": "detect", "batch": 1}'
    prefixed = tmp_path / "prefixed.plan"
    prefixed.write_bytes(struct.pack("<I", len(meta)) + meta + plan)
    repo = make_repo(tmp_path, prefixed)
    status, found = results(repo, capsys, "--trt-version", "8.6.1.6", "--target-gpu", "RTX 4090")
    [res] = by_rule(found, "TRT001")
    assert status == 1 and res["status"] == "fail"
    assert f"remove the first {4 + len(meta)} bytes" in str(res["message"])
    assert [r["status"] for r in by_rule(found, "TRT002")] == ["pass"]  # the plan behind is read


def test_plan_with_bytes_after_its_end_is_refused(
    shared: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plan = (shared / "fixtures" / "engines" / "smile2game_nvidia-game_model.plan").read_bytes()
    padded = tmp_path / "padded.plan"
    padded.write_bytes(plan + plan)
    repo = make_repo(tmp_path, padded)
    status, found = results(repo, capsys, "--trt-version", "8.6.1.6", "--target-gpu", "RTX 4090")
    [res] = by_rule(found, "TRT001")
    assert status == 1 and res["status"] == "fail"
    assert f"{len(plan)} bytes follow the end of the plan" in str(res["message"])
