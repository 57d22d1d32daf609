"""No trtllm-build log (trtllm-build writes none; most repositories hold none): the build facts
come from config.json and the engine headers, nothing fails for the absence, and
`--require-build-log` / `require-build-log: true` make the absence a failure.

Real engine configs from the shared fixtures (tests/data/shared/fixtures/configs), no log."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_e2e_engine_dir import Repo, at, not_passed, of

CONFIGS = "fixtures/configs"
L4_BF16 = "v0.17.0.post1_qwen2.5-0.5b_bf16_tp1_L4_achatbot-spark-tts.config.json"
A6000_FP16 = "v0.13.0_llama2-7b_fp16_tp1_rtxa6000_SqueezeBits-ditto.config.json"
CONFIG = "tensorrt_llm/1/config.json"


def without_log(tmp_path: Path, shared: Path, name: str) -> Repo:
    repo = Repo(tmp_path)
    repo.config = json.loads((shared / CONFIGS / name).read_text())
    (repo.engines / "build.log").unlink()
    return repo


def test_real_l4_config_without_a_log_is_clean(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], shared: Path
) -> None:
    repo = without_log(tmp_path, shared, L4_BF16)
    repo.ranks({"rank0.engine": ("10.8.0.43", "8.9", 58)})
    (repo.root / ".preflight.yaml").write_text(
        "target: {gpu_count: 1}\n"
        "rules:\n  TLLM002: {options: {dtype: bfloat16}}\n  TLLM009: {options: {dtype: bfloat16}}\n"
    )
    status, results = repo.check(capsys, "--target-gpu", "L4", "--triton-version", "25.02")
    # the plugin, padding and build-GPU checks judged from config.json alone
    for rule in ("TLLM002", "TLLM003", "TLLM004", "TLLM009"):
        [result] = of(results, rule)
        assert result["status"] == "pass", result
        assert at(result)[0] == CONFIG and at(result)[1] is not None
    [build] = of(results, "TLLM001")
    assert build["status"] == "skip"
    assert build["message"] == (
        "tensorrt_llm: no trtllm-build log (no *.log file in 1/ (pass --build-log FILE)); "
        "build facts from config.json and the engine headers"
    )
    # the comparisons with a log do not apply without one
    assert of(results, "TLLM006") == [] and of(results, "TLLM007") == []
    assert status == 0, not_passed(results)


def test_config_json_alone_finds_what_the_log_would(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], shared: Path
) -> None:
    """A real fp16 config edited to lose padding and built for another GPU: found without a log."""
    repo = without_log(tmp_path, shared, A6000_FP16)
    repo.config["build_config"]["plugin_config"]["remove_input_padding"] = False
    repo.ranks({"rank0.engine": ("10.4.0.26", "8.6", 84)})
    status, results = repo.check(capsys, "--target-gpu", "L4", "--triton-version", "24.09")
    [padding] = of(results, "TLLM003")
    assert (padding["status"], at(padding)[0]) == ("fail", CONFIG)
    assert "remove_input_padding is false" in padding["message"]
    [engine_gpu] = of(results, "TRT003")  # the engine header's build GPU, 8.6, against the L4
    assert engine_gpu["status"] == "fail"
    assert of(results, "TLLM001")[0]["status"] == "skip"
    assert status == 1


@pytest.mark.parametrize("how", ["flag", "settings"])
def test_require_build_log_makes_the_absence_fail(
    how: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], shared: Path
) -> None:
    repo = without_log(tmp_path, shared, L4_BF16)
    repo.ranks({"rank0.engine": ("10.8.0.43", "8.9", 58)})
    args = ["--target-gpu", "L4", "--triton-version", "25.02"]
    if how == "flag":
        args.append("--require-build-log")
    else:
        (repo.root / ".preflight.yaml").write_text("require-build-log: true\n")
    status, results = repo.check(capsys, *args)
    [build] = of(results, "TLLM001")
    assert build["status"] == "fail" and build["severity"] == "error"
    assert build["message"] == (
        "tensorrt_llm: no trtllm-build log found (no *.log file in 1/ (pass --build-log FILE)) "
        "and require-build-log is set"
    )
    assert status == 1


def test_a_log_that_is_there_is_still_checked(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = Repo(tmp_path)
    repo.log = repo.log.replace(
        "[TRT-LLM] [I] Engine serialized. Total time: 00:00:00",
        "[TRT-LLM] [E] Engine building failed, please check the error log.",
    )
    status, results = repo.check(capsys, "--target-gpu", "RTX 4060 Ti", "--triton-version", "25.06")
    [build] = [r for r in of(results, "TLLM001") if r["status"] == "fail"]
    assert "the engine build failed" in build["message"]
    assert [r["status"] for r in of(results, "TLLM006")] == ["pass"]
    assert status == 1
