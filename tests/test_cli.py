"""The command line end to end: exit statuses, one-line errors, the JSON contract."""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from preflight.cli import main

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "model_repo"


def run(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "preflight.cli", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=120,
    )


@pytest.fixture
def example(tmp_path: Path) -> Path:
    repo = tmp_path / "model_repo"
    shutil.copytree(EXAMPLE, repo)
    return repo


def test_example_passes_with_exit_0() -> None:
    proc = run("check", str(EXAMPLE))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "0 errors" in proc.stdout
    assert proc.stderr == ""


def test_json_report_follows_the_contract(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(EXAMPLE), "--format", "json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert set(report) >= {"preflight_version", "repo", "target", "results", "summary"}
    assert report["target"]["compute_capability"] == "8.9"
    assert report["target"]["triton_version"] == "25.06"
    assert report["target"]["trt_version"] == "10.10.0.31"
    for result in report["results"]:
        assert set(result) >= {"rule", "name", "severity", "status", "message"}
        assert result["status"] in ("pass", "fail", "skip")
        if "location" in result:
            assert not Path(result["location"]["path"]).is_absolute()
    summary = report["summary"]
    assert summary["fail"] == {"error": 0, "warning": 0, "info": 0}
    assert summary["pass"] == sum(r["status"] == "pass" for r in report["results"])


def test_a_broken_repo_exits_1_with_file_and_line(
    example: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log = example / "tensorrt_llm" / "1" / "build.log"
    log.write_text(
        log.read_text().replace(
            "Set remove_input_padding to True.", "Set remove_input_padding to False."
        )
    )
    assert main(["check", str(example), "--format", "json"]) == 1
    report = json.loads(capsys.readouterr().out)
    [bad] = [r for r in report["results"] if r["rule"] == "TLLM003"]
    assert bad["status"] == "fail"
    assert bad["location"]["path"] == "tensorrt_llm/1/build.log"
    assert isinstance(bad["location"]["line"], int)
    assert bad["remediation"].startswith("Rebuild")


def test_cli_target_overrides_the_config_file(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(EXAMPLE), "--target-gpu", "sm_80", "--format", "json"]) == 1
    report = json.loads(capsys.readouterr().out)
    [res] = [r for r in report["results"] if r["rule"] == "TLLM004"]
    assert res["status"] == "fail" and "8.9" in res["message"] and "8.0" in res["message"]


def test_fail_on_warning(example: Path) -> None:
    (example / ".preflight.yaml").write_text(
        'target: {gpu: RTX 4060 Ti, triton: "25.06"}\nrules:\n  TLLM003: {severity: warning}\n'
    )
    log = example / "tensorrt_llm" / "1" / "build.log"
    log.write_text(
        log.read_text().replace(
            "Set remove_input_padding to True.", "Set remove_input_padding to False."
        )
    )
    config = example / "tensorrt_llm" / "1" / "config.json"
    config.write_text(
        config.read_text().replace('"remove_input_padding": true', '"remove_input_padding": false')
    )
    assert main(["check", str(example)]) == 0
    assert main(["check", str(example), "--fail-on", "warning"]) == 1


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["check", "/nonexistent/repo"], "/nonexistent/repo: no such directory"),
        (["check", str(EXAMPLE), "--bogus-flag"], "unrecognized arguments: --bogus-flag"),
        (["check", str(EXAMPLE), "--target-gpu", "RTX 9999 Ultra"], "RTX 9999 Ultra"),
        (["check", str(EXAMPLE), "--triton-version", "banana"], "banana"),
        (
            ["check", str(EXAMPLE), "--build-log", "/nonexistent.log"],
            "/nonexistent.log: build log not found",
        ),
        (["explain", "TLLM999"], "no rule 'TLLM999'"),
        (["facts"], "give at least one of"),
    ],
)
def test_usage_errors_exit_2_with_one_line(args: list[str], needle: str) -> None:
    proc = run(*args)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert needle in lines[0]
    assert "Traceback" not in proc.stderr


def test_a_file_as_repo_exits_2(tmp_path: Path) -> None:
    f = tmp_path / "file.txt"
    f.write_text("x")
    proc = run("check", str(f))
    assert proc.returncode == 2 and "not a directory" in proc.stderr


def test_invalid_config_exits_2_with_line(example: Path) -> None:
    (example / ".preflight.yaml").write_text(
        "target:\n  gpu: L4\n  tritn: '25.06'\nrules:\n  TLLM002: {options: {dtyp: x}}\n"
    )
    proc = run("check", str(example))
    assert proc.returncode == 2
    assert ".preflight.yaml:3:3: $.target.tritn: unknown key" in proc.stderr
    (example / ".preflight.yaml").write_text("rules:\n  TLLM002: {options: {dtyp: x}}\n")
    proc = run("check", str(example))
    assert proc.returncode == 2
    assert (
        ".preflight.yaml:2:23: $.rules.TLLM002.options.dtyp: unknown option; this rule has: dtype"
        in proc.stderr
    )


def test_rule_options_from_the_config(example: Path) -> None:
    (example / ".preflight.yaml").write_text(
        'target: {gpu: RTX 4060 Ti, triton: "25.06"}\nrules:\n  TLLM002: {options: {dtype: bfloat16}}\n'
    )
    proc = run("check", str(example), "--format", "json", "--fail-on", "warning")
    assert proc.returncode == 1  # the engine loads: a plugin dtype other than planned warns
    [res] = [r for r in json.loads(proc.stdout)["results"] if r["rule"] == "TLLM002"]
    assert "expected bfloat16" in res["message"] and res["severity"] == "warning"


def test_disabled_rule_gives_no_result(example: Path) -> None:
    (example / ".preflight.yaml").write_text("rules:\n  TLLM004: {enabled: false}\n")
    proc = run("check", str(example), "--format", "json", "--target-gpu", "sm_80")
    assert all(r["rule"] != "TLLM004" for r in json.loads(proc.stdout)["results"])


def test_invalid_user_rule_file_exits_2_with_path_line_key(tmp_path: Path) -> None:
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "TLLM950.yaml").write_text(
        "id: TLLM950\nname: x\ntitle: xyz\nseverity: fatal\napplies-to: trtllm-model\n"
        "expect: {fact: a, op: 'true'}\nmessage: abc\nremediation: Do.\ndocs: https://x.invalid\n"
    )
    proc = run("check", str(EXAMPLE), "--rules", str(rules))
    assert proc.returncode == 2
    assert f"{rules}/TLLM950.yaml:4:1: $.severity: 'fatal' is not one of" in proc.stderr


def test_user_rules_run_beside_builtin_ones(tmp_path: Path) -> None:
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "TLLM950.yaml").write_text(
        "id: TLLM950\nname: small-batch\ntitle: engine batch at most 4\nseverity: warning\n"
        "applies-to: trtllm-model\nexpect: {fact: engine_config.build_config.max_batch_size, op: lte, value: 4}\n"
        "message: '{subject}: max_batch_size {actual} > {expected}'\nremediation: Rebuild.\ndocs: https://x.invalid\n"
    )
    proc = run(
        "check", str(EXAMPLE), "--rules", str(rules), "--format", "json", "--fail-on", "warning"
    )
    assert proc.returncode == 1
    [res] = [r for r in json.loads(proc.stdout)["results"] if r["rule"] == "TLLM950"]
    assert res["message"] == "tensorrt_llm: max_batch_size 8 > 4"


def test_rules_and_explain() -> None:
    proc = run("rules", "--format", "json")
    ids = [r["id"] for r in json.loads(proc.stdout)]
    assert "TLLM003" in ids and ids == sorted(ids)
    proc = run("explain", "remove-input-padding")
    assert proc.returncode == 0
    assert "TLLM003" in proc.stdout and "How to fix:" in proc.stdout and "Why:" in proc.stdout


def test_rules_doc_is_current() -> None:
    proc = run("rules", "--format", "md")
    doc = ROOT / "docs" / "rules.md"
    assert doc.read_text() == proc.stdout, "docs/rules.md is stale: run `make rules-doc`"


def test_facts_build_log_json_keys(shared: Path) -> None:
    log = shared / "fixtures" / "logs" / "v0.20.0_a100_gpt2-like_success_1gpu.log"
    proc = run("facts", "--build-log", str(log), "--format", "json")
    assert proc.returncode == 0
    facts = json.loads(proc.stdout)["build_log"]
    assert facts["trtllm_version"] == "0.20.0"
    assert facts["plugins"]["gpt_attention_plugin"] == "float16"
    assert facts["plugins"]["remove_input_padding"] is True
    assert facts["plugins"]["lora_plugin"] is None
    assert facts["plugins"]["tokens_per_block"] == 32
    assert facts["build_succeeded"] is True
    assert facts["serialized_engines"] == ["/workspace/test_model/engine_stress/rank0.engine"]
    assert "gpu" not in facts  # an A100 build prints no hardware lines


def test_text_output_has_no_colour_when_piped() -> None:
    proc = run("check", str(EXAMPLE), "--target-gpu", "A100")
    assert proc.returncode == 1
    assert "\x1b[" not in proc.stdout
    assert "TLLM004" in proc.stdout


def test_installed_tensorrt_is_the_deployment_version_when_none_is_given(tmp_path: Path) -> None:
    """Inside a serving container the installed tensorrt package decides (read from metadata)."""
    site = tmp_path / "site"
    dist = site / "tensorrt-10.9.0.34.dist-info"
    dist.mkdir(parents=True)
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: tensorrt\nVersion: 10.9.0.34\n")
    repo = tmp_path / "repo"
    shutil.copytree(EXAMPLE, repo)
    (repo / ".preflight.yaml").write_text("target: {gpu: RTX 4060 Ti}\n")
    env = {**__import__("os").environ, "PYTHONPATH": str(site)}
    proc = subprocess.run(
        [sys.executable, "-m", "preflight.cli", "check", str(repo), "--format", "json", "-v"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    report = json.loads(proc.stdout)
    assert report["target"]["trt_version"] == "10.9.0.34"
    [res] = [r for r in report["results"] if r["rule"] == "TRT002"]
    assert res["status"] == "fail"
    assert "(the installed tensorrt package 10.9.0.34)" in res["message"]


def test_facts_engine_deserialize_reports_why_it_is_skipped_here() -> None:
    engine = EXAMPLE / "tensorrt_llm" / "1" / "rank0.engine"
    proc = run("facts", "--engine", str(engine), "--deserialize")
    assert proc.returncode == 0
    facts = json.loads(proc.stdout)
    assert facts["engine"]["trt_version"] == "10.10.0.31"
    assert facts["deserialize"]["status"] in ("skipped", "ok", "failed", "crashed")
    if facts["deserialize"]["status"] == "skipped":
        assert facts["deserialize"]["reason"]


@pytest.mark.parametrize(
    "command",
    [["facts", "--build-log"], ["facts", "--engine"], ["check", str(EXAMPLE), "--build-log"]],
)
def test_a_folder_given_as_an_input_file_is_one_line_exit_2(
    command: list[str], tmp_path: Path
) -> None:
    proc = run(*command, str(tmp_path))
    assert proc.returncode == 2
    assert proc.stderr.strip().endswith("is not a regular file") and "\n" not in proc.stderr.strip()


def test_an_unreadable_input_file_is_one_line_exit_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Tests run as root, which reads any file: the refusal is simulated at the open call."""
    log = tmp_path / "build.log"
    log.write_text("[TensorRT-LLM] TensorRT-LLM version: 0.20.0\n")
    real_open = __import__("os").open

    def refuse(path: object, *args: object, **kwargs: object) -> int:
        if str(path) == str(log):
            raise PermissionError(13, "Permission denied")
        return real_open(path, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr("os.open", refuse)
    assert main(["facts", "--build-log", str(log)]) == 2
    err = capsys.readouterr().err.strip()
    assert err == f"preflight: {log}: cannot read the build log: Permission denied"


def test_every_subcommand_has_its_function() -> None:
    from preflight.cli import _parser
    from preflight.commands import COMMANDS

    [sub] = [a for a in _parser()._actions if isinstance(a, argparse._SubParsersAction)]
    assert set(sub.choices) == set(COMMANDS)


def test_the_format_choices_are_the_reporters() -> None:
    from preflight.cli import _parser
    from preflight.reporters import FACTS_FORMATS, FORMATS, RULE_FORMATS

    [sub] = [a for a in _parser()._actions if isinstance(a, argparse._SubParsersAction)]
    for command, formats in (("rules", RULE_FORMATS), ("facts", FACTS_FORMATS)):
        [option] = [a for a in sub.choices[command]._actions if a.dest == "format"]
        assert tuple(option.choices or ()) == formats, command
    # check takes FORMAT[=FILE], repeatable: the names are checked when it runs; help lists them
    [option] = [a for a in sub.choices["check"]._actions if a.dest == "format"]
    assert all(name in (option.help or "") for name in FORMATS)


def test_only_the_face_raises_usage_errors(tmp_path: Path) -> None:
    """Each part raises its own kind; the CLI prints any of them as exit 2."""
    from preflight import settings
    from preflight.data.gpus import resolve_gpu
    from preflight.errors import SettingsError, TargetError, UsageError
    from preflight.sources.server import ServerError, parse_url

    bad = tmp_path / ".preflight.yaml"
    bad.write_text("target: {tritn: 25.06}\n")
    with pytest.raises(SettingsError) as settings_error:
        settings.load(bad)
    with pytest.raises(ServerError) as server_error:
        parse_url("ftp://host")
    with pytest.raises(TargetError) as target_error:
        resolve_gpu("RTX 9999 Ultra")
    for info in (settings_error, server_error, target_error):
        assert not isinstance(info.value, UsageError)


def test_usage_error_belongs_to_the_face() -> None:
    src = ROOT / "src" / "preflight"
    face = {src / "cli.py", src / "commands.py", src / "errors.py"}
    users = [
        p for p in sorted(src.rglob("*.py")) if p not in face and "UsageError" in p.read_text()
    ]
    assert users == []
