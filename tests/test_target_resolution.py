"""Where the deployment target comes from (flags, then .preflight.yaml, then the environment),
and the one repository-level error a run without one reports (PF001), or the note of
`--target none` (PF002)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from preflight.cli import main
from preflight.data.gpus import resolve_gpu
from preflight.errors import TargetError
from preflight.sources import target as target_source
from preflight.sources.target import ENV_RELEASE, ENV_SERVER, ENV_TRT, resolve_inputs

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "model_repo"
FLAGS = {"gpu": "--target-gpu", "triton": "--triton-version", "trt": "--trt-version"}


def _no_gpu() -> Any:
    raise TargetError("--target-gpu auto: nvidia-ml-py is not installed")


@pytest.fixture
def bare_machine(monkeypatch: pytest.MonkeyPatch) -> None:
    """A CI runner: no serving container variables, no tensorrt or tensorrt_llm, no GPU."""
    monkeypatch.setattr(target_source, "installed_tensorrt", lambda: None)
    monkeypatch.setattr(target_source, "installed_trtllm", lambda: None)
    monkeypatch.setattr(target_source, "_nvml_gpu", _no_gpu)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """The example without its .preflight.yaml (which names the target)."""
    copy = tmp_path / "model_repo"
    shutil.copytree(EXAMPLE, copy)
    (copy / ".preflight.yaml").unlink()
    return copy


def _check(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, Any]]:
    status = main(["check", *args, "--format", "json"])
    return status, json.loads(capsys.readouterr().out)


def _failures(report: dict[str, Any]) -> list[tuple[str, str]]:
    return [(r["rule"], r["severity"]) for r in report["results"] if r["status"] == "fail"]


# --- the run ------------------------------------------------------------------------------


@pytest.mark.usefixtures("bare_machine")
def test_no_target_is_one_repository_error_naming_the_fix(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, report = _check(capsys, str(repo))
    assert status == 1
    assert _failures(report) == [("PF001", "error")]
    [error] = [r for r in report["results"] if r["rule"] == "PF001"]
    assert error["location"]["path"] == "."
    message = error["message"]
    assert "neither the GPU nor the serving software" in message
    assert "--target-gpu L4 --triton-version 25.06" in message
    # what was looked at in the environment
    assert ENV_RELEASE in message and "nvidia-ml-py is not installed" in message


@pytest.mark.usefixtures("bare_machine")
def test_only_the_missing_half_is_named(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, report = _check(capsys, str(repo), "--target-gpu", "L4")
    assert status == 1
    [error] = [r for r in report["results"] if r["rule"] == "PF001"]
    assert error["message"].startswith("no serving software:")
    assert "--triton-version YY.MM" in error["message"]
    status, report = _check(capsys, str(repo), "--triton-version", "25.06")
    [error] = [r for r in report["results"] if r["rule"] == "PF001"]
    assert error["message"].startswith("no target GPU:")


@pytest.mark.usefixtures("bare_machine")
def test_target_none_is_a_note_and_exits_0(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, report = _check(capsys, str(repo), "--target", "none")
    assert status == 0
    assert _failures(report) == [("PF002", "info")]
    [note] = [r for r in report["results"] if r["rule"] == "PF002"]
    assert "target none (--target none): layout and config checks only" in note["message"]
    assert not [r for r in report["results"] if r["rule"] == "PF001"]


@pytest.mark.usefixtures("bare_machine")
def test_target_none_in_the_settings(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (repo / ".preflight.yaml").write_text("target: none\n")
    status, report = _check(capsys, str(repo))
    assert status == 0
    [note] = [r for r in report["results"] if r["rule"] == "PF002"]
    assert "(.preflight.yaml target: none)" in note["message"]
    # a target named on the command line wins over the settings' none
    status, report = _check(capsys, str(repo), "--target-gpu", "L4", "--triton-version", "25.06")
    assert status == 0
    verdicts = {r["rule"]: r["status"] for r in report["results"] if r["rule"].startswith("PF")}
    assert verdicts == {"PF001": "pass", "PF002": "pass", "PF003": "pass"}


def test_target_none_with_a_target_flag_is_a_usage_error(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["check", str(repo), "--target", "none", "--target-gpu", "L4"]) == 2
    assert "--target none: no target, but --target-gpu names one" in capsys.readouterr().err


def test_the_example_with_its_settings_passes_pf001(capsys: pytest.CaptureFixture[str]) -> None:
    status, report = _check(capsys, str(EXAMPLE))
    assert status == 0
    [known] = [r for r in report["results"] if r["rule"] == "PF001"]
    assert known["status"] == "pass"
    assert known["message"] == "target: GPU RTX 4060 Ti, Triton 25.06, TensorRT 10.10.0.31"


def test_serving_container_variables_name_the_release(repo: Path) -> None:
    """A run inside an NGC Triton image: its own variables give the release (a real process,
    its own environment)."""
    env = {**os.environ, ENV_RELEASE: "25.06", ENV_SERVER: "2.59.0"}
    command = [sys.executable, "-m", "preflight.cli", "check", str(repo), "--format", "json"]
    proc = subprocess.run(
        [*command, "--target-gpu", "L4"], capture_output=True, text=True, env=env, timeout=120
    )
    report = json.loads(proc.stdout)
    assert report["target"]["triton_version"] == "25.06"
    assert next(r for r in report["results"] if r["rule"] == "PF001")["status"] == "pass"
    [trt] = [r for r in report["results"] if r["rule"] == "TRT002"]
    assert trt["status"] == "pass"
    assert proc.returncode == 0, proc.stdout
    # a target the user did not name is reported with its source, without -v
    text = subprocess.run(
        [sys.executable, "-m", "preflight.cli", "check", str(repo), "--target-gpu", "L4"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    ).stdout
    assert f"note: target triton version 25.06: environment {ENV_RELEASE}=25.06" in text
    # the server version alone (TRITON_SERVER_VERSION=2.59.0) maps to its release
    env = {**os.environ, ENV_SERVER: "2.59.0"}
    env.pop(ENV_RELEASE, None)
    proc = subprocess.run(
        [*command, "--target-gpu", "L4"], capture_output=True, text=True, env=env, timeout=120
    )
    assert json.loads(proc.stdout)["target"]["triton_version"] == "25.06"


# --- the order: flags, then .preflight.yaml, then the environment --------------------------


def _resolve(
    flags: dict[str, Any] | None = None,
    settings: dict[str, Any] | None = None,
    environ: dict[str, str] | None = None,
    **kwargs: Any,
) -> target_source.Inputs:
    return resolve_inputs(
        flags or {}, FLAGS, settings or {}, environ or {}, detect_gpu=_no_gpu, **kwargs
    )


@pytest.mark.usefixtures("bare_machine")
def test_flags_then_settings_then_environment() -> None:
    env = {ENV_RELEASE: "24.11"}
    every = _resolve({"triton": "25.06"}, {"triton": "25.01"}, env)
    assert (every.values["triton"], every.origins["triton"]) == ("25.06", "--triton-version")
    settings = _resolve({}, {"triton": "25.01"}, env)
    assert settings.values["triton"] == "25.01"
    assert settings.origins["triton"] == ".preflight.yaml target.triton"
    environment = _resolve({}, {}, env)
    assert environment.values["triton"] == "24.11"
    assert environment.origins["triton"] == f"environment {ENV_RELEASE}=24.11"
    assert "serving" not in environment.unresolved
    gpu = _resolve({"gpu": "L4"}, {"gpu": "A100"})
    assert gpu.gpu is not None and gpu.gpu.name == "L4"
    assert _resolve({}, {"gpu": "A100"}).origins["gpu"] == ".preflight.yaml target.gpu"


@pytest.mark.usefixtures("bare_machine")
def test_a_named_trt_keeps_the_environment_out_of_the_serving_software() -> None:
    """A TensorRT named by the user is not mixed with the container's release."""
    named = _resolve({"trt": "10.9.0.34"}, {}, {ENV_RELEASE: "24.11"})
    assert "triton" not in named.values and named.values["trt"] == "10.9.0.34"


@pytest.mark.usefixtures("bare_machine")
def test_environment_sources_and_what_stays_unknown(monkeypatch: pytest.MonkeyPatch) -> None:
    nothing = _resolve()
    assert nothing.unresolved == {
        "gpu": "no GPU through NVML (nvidia-ml-py is not installed)",
        "serving": f"no {ENV_RELEASE}, no {ENV_SERVER}, no tensorrt package",
    }
    unknown_release = _resolve({}, {}, {ENV_RELEASE: "99.01"})
    assert (
        f"{ENV_RELEASE}=99.01 is not in the release table" in unknown_release.unresolved["serving"]
    )
    # the DLFW base image's TRT_VERSION, with its CUDA suffix, when nothing else names one
    base = _resolve({}, {}, {ENV_TRT: "8.6.1.2+cuda12.0.1.011"})
    assert base.values["trt"] == "8.6.1.2"
    assert base.origins["trt"] == f"environment {ENV_TRT}=8.6.1.2+cuda12.0.1.011"
    # the installed tensorrt and tensorrt_llm packages
    monkeypatch.setattr(target_source, "installed_tensorrt", lambda: "10.10.0.31")
    monkeypatch.setattr(target_source, "installed_trtllm", lambda: "0.20.0")
    packages = _resolve({}, {}, {ENV_RELEASE: "25.06", ENV_TRT: "10.9.0.34"})
    assert packages.values == {"triton": "25.06", "trt": "10.10.0.31", "trtllm": "0.20.0"}
    assert packages.origins["trtllm"] == "the installed tensorrt_llm package 0.20.0"


def test_the_local_gpu_through_nvml() -> None:
    l4 = resolve_gpu("L4")
    found = resolve_inputs({}, FLAGS, {}, {}, detect_gpu=lambda: l4)
    assert found.gpu is l4 and found.origins["gpu"] == "the local GPU through NVML"
    assert "gpu" not in found.unresolved


def test_none_reads_no_environment() -> None:
    def never() -> Any:
        raise AssertionError("NVML asked under --target none")

    none = resolve_inputs({}, FLAGS, {}, {ENV_RELEASE: "25.06"}, none_flag=True, detect_gpu=never)
    assert none.none == "--target none" and none.values == {} and not none.unresolved
    setting = resolve_inputs({}, FLAGS, {}, {}, none_setting=True, detect_gpu=never)
    assert setting.none == ".preflight.yaml target: none"
    # --target none over a settings file that names a target: no target
    over = resolve_inputs({}, FLAGS, {"gpu": "L4"}, {}, none_flag=True, detect_gpu=never)
    assert over.values == {} and over.gpu is None
