"""How gpt_model_path is resolved inside the repository, and what is reported when it cannot be."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from preflight.cli import main
from preflight.scan import map_path

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "model_repo"
PARAM = """parameters: {
  key: "gpt_model_path"
  value: { string_value: "/models/tensorrt_llm/1" }
}
"""


def tllm008(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], new: str | None, *args: str
) -> dict[str, object]:
    repo = tmp_path / "repo"
    shutil.copytree(EXAMPLE, repo)
    config = repo / "tensorrt_llm" / "config.pbtxt"
    text = config.read_text()
    replacement = "" if new is None else PARAM.replace('"/models/tensorrt_llm/1"', new)
    config.write_text(text.replace(PARAM, replacement))
    status = main(["check", str(repo), "--format", "json", *args])
    report = json.loads(capsys.readouterr().out)
    [result] = [r for r in report["results"] if r["rule"] == "TLLM008"]
    result["exit"] = status
    return result


@pytest.mark.parametrize(
    ("value", "needle"),
    [
        (
            '"/models/tensorrt_llm"',
            "no config.json in tensorrt_llm/: it is not the folder trtllm-build wrote",
        ),
        ('" /models/tensorrt_llm/1"', "has white space around it"),
        (
            '"/models/tensorrt_llm/1/rank0.engine"',
            "tensorrt_llm/1/rank0.engine is a file, not a folder",
        ),
        (
            '"/models/tensorrt_llm/9"',
            "does not exist, and no tail of it exists inside the repository",
        ),
        ('"${engine_dir}"', "unfilled template placeholder"),
    ],
)
def test_unusable_gpt_model_path_fails_at_its_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], value: str, needle: str
) -> None:
    result = tllm008(tmp_path, capsys, value)
    assert result["exit"] == 1 and result["status"] == "fail"
    assert needle in str(result["message"])
    assert result["location"] == {"path": "tensorrt_llm/config.pbtxt", "line": 65, "column": 12}


def test_missing_parameter_quotes_the_backend(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    result = tllm008(tmp_path, capsys, None)
    assert result["status"] == "fail"
    assert "Both encoder and decoder model paths are empty" in str(result["message"])
    assert result["location"]["path"] == "tensorrt_llm/config.pbtxt"  # type: ignore[index]


def test_path_map_resolves_a_container_path(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    result = tllm008(
        tmp_path, capsys, '"/engines/llama/1"', "--path-map", "/engines/llama=tensorrt_llm"
    )
    assert result["status"] == "pass"


def test_map_path_order(tmp_path: Path) -> None:
    (tmp_path / "m" / "1").mkdir(parents=True)
    assert map_path("/models/m/1", tmp_path, [])[0] == tmp_path / "m" / "1"
    assert map_path("/x/y", tmp_path, [("/x", "m")])[0] == tmp_path / "m" / "y"
    assert map_path("m/1", tmp_path, [])[0] == tmp_path / "m" / "1"
    found, why = map_path("/models/zzz", tmp_path, [])
    assert found is None and "no tail" in why


def test_encoder_engines_of_an_encoder_decoder_model_are_checked_too(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """encoder_model_path beside gpt_model_path: the encoder's rank engines get the engine checks."""
    from rule_cases import plan_writer

    repo = tmp_path / "repo"
    shutil.copytree(EXAMPLE, repo)
    encoder = repo / "tensorrt_llm" / "encoder"
    encoder.mkdir()
    shutil.copy(repo / "tensorrt_llm" / "1" / "config.json", encoder / "config.json")
    (encoder / "rank0.engine").write_bytes(plan_writer().make_plan("10.11.0.33", "8.9", 34))
    config = repo / "tensorrt_llm" / "config.pbtxt"
    extra = 'parameters: {\n  key: "encoder_model_path"\n  value: { string_value: "/models/tensorrt_llm/encoder" }\n}\n'
    config.write_text(config.read_text() + extra)
    status = main(["check", str(repo), "--format", "json"])
    results = json.loads(capsys.readouterr().out)["results"]
    trt = {r["location"]["path"]: r["status"] for r in results if r["rule"] == "TRT002"}
    assert trt == {
        "tensorrt_llm/1/rank0.engine": "pass",
        "tensorrt_llm/encoder/rank0.engine": "fail",
    }
    assert status == 1


def test_engine_dir_parameter_also_names_the_engine_directory(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = tmp_path / "repo"
    shutil.copytree(EXAMPLE, repo)
    config = repo / "tensorrt_llm" / "config.pbtxt"
    config.write_text(config.read_text().replace('key: "gpt_model_path"', 'key: "engine_dir"'))
    assert main(["check", str(repo), "--format", "json"]) == 0
    results = json.loads(capsys.readouterr().out)["results"]
    [res] = [r for r in results if r["rule"] == "TLLM008"]
    assert res["status"] == "pass" and "tensorrt_llm/1" in res["message"]
