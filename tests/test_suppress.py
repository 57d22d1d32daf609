"""Accepted findings: shown as skipped with their reason, not failing the run."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from preflight.cli import main

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "model_repo"


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """The example with one failing rule: Triton batches above the engine's limit (TLLM106)."""
    dest = tmp_path / "repo"
    shutil.copytree(EXAMPLE, dest)
    config = dest / "tensorrt_llm" / "config.pbtxt"
    config.write_text(config.read_text().replace("max_batch_size: 8", "max_batch_size: 64"))
    return dest


def check(
    repo: Path, capsys: pytest.CaptureFixture[str], *args: str
) -> tuple[int, list[dict[str, object]]]:
    status = main(["check", str(repo), "--format", "json", "--fail-on", "warning", *args])
    return status, json.loads(capsys.readouterr().out)["results"]


def tllm106(results: list[dict[str, object]]) -> dict[str, object]:
    [res] = [r for r in results if r["rule"] == "TLLM106"]
    return res


def test_unsuppressed_finding_fails(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, results = check(repo, capsys)
    assert status == 1 and tllm106(results)["status"] == "fail"


def test_pbtxt_directive_suppresses_with_its_reason(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = repo / "tensorrt_llm" / "config.pbtxt"
    config.write_text(
        "# preflight: ignore[TLLM106] Triton batches more; the engine queues the rest\n"
        + config.read_text()
    )
    status, results = check(repo, capsys)
    res = tllm106(results)
    assert status == 0 and res["status"] == "skip"
    assert str(res["message"]).startswith(
        "suppressed (tensorrt_llm/config.pbtxt:1: Triton batches more; the engine queues the rest): "
    )


def test_directive_without_reason_does_nothing_and_says_so(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = repo / "tensorrt_llm" / "config.pbtxt"
    config.write_text("# preflight: ignore[TLLM106]\n" + config.read_text())
    status = main(["check", str(repo), "--fail-on", "warning"])
    out = capsys.readouterr().out
    assert status == 1
    assert "tensorrt_llm/config.pbtxt:1: preflight: ignore[...] needs rule ids and a reason" in out


def test_config_ignore_by_name_and_path(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (repo / ".preflight.yaml").write_text(
        "target: {gpu: RTX 4060 Ti, triton: '25.06', gpu_count: 1}\n"
        "ignore:\n"
        "  - rules: [triton-batch-size-within-engine]\n"
        "    paths: ['tensorrt_llm/*']\n"
        "    reason: accepted for the load test\n"
    )
    status, results = check(repo, capsys)
    assert status == 0
    assert str(tllm106(results)["message"]).startswith(
        "suppressed (.preflight.yaml:3: accepted for the load test)"
    )


def test_config_ignore_on_another_path_does_not_apply(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (repo / ".preflight.yaml").write_text(
        "target: {gpu: L4, triton: '25.06'}\n"
        "ignore:\n  - {rules: [TLLM106], paths: ['postprocessing/*'], reason: elsewhere}\n"
    )
    status, results = check(repo, capsys)
    assert status == 1 and tllm106(results)["status"] == "fail"


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        (
            "ignore:\n  - {rules: [TLLM106]}\n",
            ".preflight.yaml:2:5: $.ignore[0]: every ignore entry needs a reason",
        ),
        (
            "ignore:\n  - {rules: [TLLM999], reason: x}\n",
            ".preflight.yaml:2:6: $.ignore[0].rules: no rule has the id or name 'TLLM999'",
        ),
    ],
)
def test_bad_ignore_entries_stop_with_their_line(
    repo: Path, capsys: pytest.CaptureFixture[str], text: str, needle: str
) -> None:
    (repo / ".preflight.yaml").write_text(text)
    assert main(["check", str(repo)]) == 2
    assert needle in capsys.readouterr().err
