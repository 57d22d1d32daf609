"""Paths a user can open (the text report: relative to the current directory, absolute outside
it, never a `..` chain; JSON keeps its contract, relative to the repository), findings about an
engine folder outside the repository grouped under the model that points at it, and the hint
for a path one level above a repository (PF003)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from preflight.cli import main
from preflight.model import Result, Severity, Status
from preflight.paths import display, display_in, relative_to_repo
from preflight.reporters.shared import group_of

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "model_repo"


# --- the one definition -----------------------------------------------------------------------


def test_display_is_relative_to_the_current_directory_or_absolute(tmp_path: Path) -> None:
    here = tmp_path / "work"
    assert display(here / "repo" / "m" / "config.pbtxt", here) == "repo/m/config.pbtxt"
    assert display(here / "repo" / ".." / "engines" / "x", here) == "engines/x"
    assert display(here, here) == "."
    outside = tmp_path / "elsewhere" / "rank0.engine"
    assert display(here / ".." / "elsewhere" / "rank0.engine", here) == outside.as_posix()
    # a sibling whose name only starts with the current directory's is outside it
    assert display(tmp_path / "work2" / "f", here) == (tmp_path / "work2" / "f").as_posix()


def test_display_of_result_paths(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    # as a source wrote it (under the repository as given), or relative to the repository
    assert display_in("repo/m/config.pbtxt", "repo") == "repo/m/config.pbtxt"
    assert display_in("m/config.pbtxt", "repo") == "repo/m/config.pbtxt"
    assert display_in("repo/../engines/rank0.engine", "repo") == "engines/rank0.engine"
    assert display_in(".", "repo") == "repo"
    assert display_in("m/config.pbtxt", tmp_path / "repo", tmp_path / "repo") == "m/config.pbtxt"


def test_repository_relative_form_normalises_what_lies_outside(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    assert relative_to_repo(repo / "m" / "1", repo) == "m/1"
    assert relative_to_repo(repo / ".." / "engines", repo) == (tmp_path / "engines").as_posix()
    assert relative_to_repo("repo/../engines", "repo") == os.path.abspath("engines")
    assert relative_to_repo("m/config.pbtxt", str(repo)) == "m/config.pbtxt"  # already relative


def test_a_result_is_grouped_by_its_model_not_its_path() -> None:
    engine = Result(
        "TRT003",
        "engine-build-gpu-matches-target",
        Severity.ERROR,
        Status.FAIL,
        "m",
        subject="/srv/engines/llama/rank0.engine",
        model="tensorrt_llm",
    )
    assert group_of(engine) == "tensorrt_llm"
    assert group_of(Result("X", "x", Severity.ERROR, Status.PASS, "m", subject="ensemble/1")) == (
        "ensemble"
    )


# --- end to end: an engine folder outside the repository ----------------------------------------


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """work/model_repo (the example) whose engines sit in work/engines/llama, outside it; the
    engine's config.json lost remove_input_padding so that a finding sits in that folder."""
    work = tmp_path / "work"
    repo = work / "model_repo"
    shutil.copytree(EXAMPLE, repo)
    engines = work / "engines" / "llama"
    shutil.move(str(repo / "tensorrt_llm" / "1"), engines)
    (repo / "tensorrt_llm" / "1").mkdir()
    config = engines / "config.json"
    config.write_text(
        config.read_text().replace('"remove_input_padding": true', '"remove_input_padding": false')
    )
    return work


def _run(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "preflight.cli", "check", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=120,
    )


def test_text_paths_open_from_the_current_directory(outside: Path) -> None:
    mapping = ["--path-map", "/models/tensorrt_llm/1=../engines/llama"]
    proc = _run(outside, "model_repo", *mapping, "--color", "never", "-v")
    text = proc.stdout
    assert proc.returncode == 1, text + proc.stderr
    assert "engines/llama/config.json:149:13" in text  # TLLM003, in the folder outside
    assert "note: tensorrt_llm: engine directory engines/llama (" in text
    assert "model_repo/tensorrt_llm/config.pbtxt" in text  # inside the repository: from here
    assert "/../" not in text and "model_repo/.." not in text
    # no group named after a path: the outside engine belongs to tensorrt_llm
    [per_model] = [line for line in text.splitlines() if line.startswith("passed per model:")]
    groups = {part.rsplit(" ", 1)[0] for part in per_model.split(": ", 1)[1].split(", ")}
    assert groups == {"(repository)", "ensemble", "postprocessing", "preprocessing", "tensorrt_llm"}
    # from another directory the same finding is shown from there
    deeper = _run(outside / "model_repo", ".", *mapping, "--color", "never")
    assert "../engines/llama/config.json" not in deeper.stdout
    assert f"{(outside / 'engines' / 'llama' / 'config.json').as_posix()}:149:13" in deeper.stdout


def test_json_keeps_repository_relative_paths_and_normalises_the_outside(
    outside: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(outside)
    mapping = ["--path-map", "/models/tensorrt_llm/1=../engines/llama"]
    assert main(["check", "model_repo", *mapping, "--format", "json"]) == 1
    report = json.loads(capsys.readouterr().out)
    [padding] = [r for r in report["results"] if r["rule"] == "TLLM003"]
    assert padding["location"]["path"] == (outside / "engines/llama/config.json").as_posix()
    paths = {r["location"]["path"] for r in report["results"] if "location" in r}
    assert "tensorrt_llm/config.pbtxt" in paths
    assert not [p for p in paths if ".." in p.split("/")]


# --- a path one level above a repository (PF003) ------------------------------------------------


def test_one_level_above_a_repository_says_where(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    checkout = tmp_path / "checkout"
    shutil.copytree(EXAMPLE, checkout / "model_repo")
    (checkout / "scripts").mkdir()
    (checkout / "scripts" / "build.sh").write_text("trtllm-build ...\n")
    monkeypatch.chdir(tmp_path)
    status = main(["check", "checkout", "--format", "json"])
    report = json.loads(capsys.readouterr().out)
    failures = [(r["rule"], r["severity"]) for r in report["results"] if r["status"] == "fail"]
    assert failures == [("PF003", "error")]  # not a finding per folder, nor the missing target
    [hint] = [r for r in report["results"] if r["rule"] == "PF003"]
    assert hint["message"].endswith("did you mean `preflight check checkout/model_repo`?")
    assert (
        "checkout/model_repo (4 models: ensemble, postprocessing, preprocessing, "
        in (hint["message"])
    )
    assert status == 1
    # without the hint (left out, or disabled) the folders are checked as models: no silent pass
    assert main(["check", "checkout", "--format", "json", "--ignore", "PF003"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert ("TRITON005", "fail") in [(r["rule"], r["status"]) for r in report["results"]]
    # the repository itself: PF003 passes and the models are checked
    assert main(["check", "checkout/model_repo", "--format", "json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert [r["status"] for r in report["results"] if r["rule"] == "PF003"] == ["pass"]


def test_a_repository_of_config_less_models_is_not_taken_for_a_parent(tmp_path: Path) -> None:
    """Models without config.pbtxt (auto-complete) hold version folders, not models."""
    from preflight.sources.triton_layout import extract_repository

    repo = tmp_path / "repo"
    (repo / "onnx_model" / "1").mkdir(parents=True)
    (repo / "onnx_model" / "1" / "model.onnx").write_bytes(b"onnx")
    (repo / "onnx_model" / "1" / "config.pbtxt").write_text("odd place\n")
    facts = extract_repository(repo)
    assert facts["repo.nested_models"].value == []
    assert facts["repo.config_folders"].value == []
