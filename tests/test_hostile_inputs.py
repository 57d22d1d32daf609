"""Inputs crafted to break preflight: each gets a finding or one line and status 2, in bounded
time, and nothing from the checked repository runs or leaks."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from preflight.templates import render

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "model_repo"
ENGINE = EXAMPLE / "tensorrt_llm" / "1" / "rank0.engine"


def run(
    *args: str, cwd: Path = ROOT, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "preflight.cli", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**os.environ, **(env or {})},
        timeout=60,
    )


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    dest = tmp_path / "repo"
    shutil.copytree(EXAMPLE, dest)
    return dest


def one_line_exit_2(proc: subprocess.CompletedProcess[str], needle: str) -> None:
    assert proc.returncode == 2, proc.stdout + proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and needle in lines[0], proc.stderr
    assert "Traceback" not in proc.stderr


def test_rule_templates_cannot_reach_python_objects(repo: Path) -> None:
    rules = repo / ".rules"
    rules.mkdir()
    (rules / "TLLM990.yaml").write_text(
        "id: TLLM990\nname: leak\ntitle: leak a secret\nseverity: error\napplies-to: repo\n"
        "expect: {fact: repo.models, op: empty}\n"
        "message: '{option.__init__.__globals__[sys].modules[os].environ[CI_TOKEN]}'\n"
        "remediation: None.\ndocs: https://x.invalid\n"
    )
    (repo / ".preflight.yaml").write_text("rule-dirs: [.rules]\n")
    proc = run("check", str(repo), env={"CI_TOKEN": "s3cr3t"})
    one_line_exit_2(proc, "TLLM990.yaml:7:1: $.message: template field")
    assert "s3cr3t" not in proc.stdout + proc.stderr
    # and the renderer refuses such fields even if a template got past the loader
    assert render("{option.__class__} {subject[0]}", {"subject": "m", "option": 1}, {}) == (
        "<unknown> <unknown>"
    )


def test_deserialize_child_never_imports_from_the_working_directory(tmp_path: Path) -> None:
    marker = tmp_path / "EXECUTED"
    for name in ("argparse.py", "json.py", "signal.py"):
        (tmp_path / name).write_text(f"open({str(marker)!r}, 'w').write('x')\n")
    proc = subprocess.run(
        [
            str(Path(sys.executable).parent / "preflight"),
            "facts",
            "--engine",
            str(ENGINE),
            "--deserialize",
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert not marker.exists()


def test_unquoted_float_version_is_refused_not_rounded(repo: Path) -> None:
    (repo / ".preflight.yaml").write_text("target: {trt: 10.10}\n")
    one_line_exit_2(
        run("check", str(repo)),
        '.preflight.yaml:1:10: $.target.trt: YAML reads 10.10 as the number 10.1; quote it: "10.10"',
    )


def test_yaml_alias_bomb_is_refused_at_once(repo: Path) -> None:
    levels = ["a0: &a0 [x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 9):
        levels.append(f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]")
    (repo / ".preflight.yaml").write_text("\n".join(levels) + "\ntarget: {gpu: *a8}\n")
    one_line_exit_2(run("check", str(repo)), "YAML anchors and aliases are not supported")


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("rule-dirs: 5\n", "$.rule-dirs: expected a list, got int"),
        ("ignore: myrule\n", "$.ignore: expected a list, got str"),
    ],
)
def test_wrong_types_in_the_config_are_one_line(repo: Path, text: str, needle: str) -> None:
    (repo / ".preflight.yaml").write_text(text)
    one_line_exit_2(run("check", str(repo)), needle)


def test_deeply_nested_config_json_is_a_finding(repo: Path) -> None:
    (repo / "tensorrt_llm" / "1" / "config.json").write_text(
        '{"a":' + "[" * 100000 + "]" * 100000 + "}"
    )
    proc = run("check", str(repo), "--format", "json")
    assert proc.returncode == 1, proc.stderr
    [res] = [r for r in json.loads(proc.stdout)["results"] if r["rule"] == "TLLM008"]
    assert res["status"] == "fail" and "RecursionError" in res["message"]


@pytest.mark.parametrize("url", ["http://localhost:99999", "http://localhost:abc", "ftp://x"])
def test_bad_server_url_is_a_usage_error_before_any_work(url: str) -> None:
    one_line_exit_2(run("check", str(EXAMPLE), "--server", url), f"--server {url!r}")


def test_invalid_regex_in_a_user_rule_stops_at_load(tmp_path: Path) -> None:
    (tmp_path / "TLLM991.yaml").write_text(
        "id: TLLM991\nname: regex\ntitle: bad regex\nseverity: error\napplies-to: repo\n"
        "expect: {fact: repo.models, op: matches, value: '([a-z'}\n"
        "message: x {subject}\nremediation: None.\ndocs: https://x.invalid\n"
    )
    one_line_exit_2(
        run("check", str(EXAMPLE), "--rules", str(tmp_path)), "not a valid regular expression"
    )


def test_fifo_config_is_a_finding_not_a_hang(repo: Path) -> None:
    config = repo / "ensemble" / "config.pbtxt"
    config.unlink()
    os.mkfifo(config)
    proc = run("check", str(repo), "--format", "json")
    assert proc.returncode == 1
    assert any(
        "not a regular file" in r["message"]
        for r in json.loads(proc.stdout)["results"]
        if r["status"] == "fail"
    )


def test_nul_in_a_manifest_entry_is_a_mismatch(repo: Path) -> None:
    manifest = repo / "tensorrt_llm" / "1" / "preflight-manifest.json"
    data = json.loads(manifest.read_text())
    data["files"]["rank\u00000.engine"] = data["files"]["rank0.engine"]
    manifest.write_text(json.dumps(data))
    proc = run("check", str(repo), "--format", "json")
    assert proc.returncode == 1, proc.stderr
    [res] = [r for r in json.loads(proc.stdout)["results"] if r["rule"] == "TRT007"]
    assert res["status"] == "fail"


def test_a_reader_that_stops_early_does_not_turn_findings_into_success(repo: Path) -> None:
    log = repo / "tensorrt_llm" / "1" / "build.log"
    log.write_text(
        log.read_text().replace("remove_input_padding to True", "remove_input_padding to False")
    )
    cmd = f"{sys.executable} -m preflight.cli check {repo} --format json | head -c 10 >/dev/null; echo ${{PIPESTATUS[0]}}"
    proc = subprocess.run(["bash", "-c", cmd], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert proc.stdout.strip() == "1"
    assert "Traceback" not in proc.stderr


@pytest.mark.parametrize("count", ["-3", "0"])
def test_gpu_count_must_be_positive(count: str) -> None:
    one_line_exit_2(run("check", str(EXAMPLE), "--gpu-count", count), "--gpu-count")


def test_implausible_world_size_is_one_finding_in_bounded_time(repo: Path) -> None:
    config = repo / "tensorrt_llm" / "1" / "config.json"
    config.write_text(config.read_text().replace('"world_size": 1,', '"world_size": 3000000,'))
    proc = run("check", str(repo), "--format", "json")
    assert proc.returncode == 1
    [res] = [r for r in json.loads(proc.stdout)["results"] if r["rule"] == "TLLM005"]
    assert "implausible world size" in res["message"] and "3000000" in res["message"]


def test_symlink_loop_engine_is_a_finding(repo: Path) -> None:
    engine = repo / "tensorrt_llm" / "1" / "rank0.engine"
    engine.unlink()
    engine.symlink_to("rank0.engine")
    proc = run("check", str(repo), "--format", "json")
    assert proc.returncode == 1, proc.stderr
    [res] = [r for r in json.loads(proc.stdout)["results"] if r["rule"] == "TRT001"]
    assert res["status"] == "fail" and res["location"]["path"] == "tensorrt_llm/1/rank0.engine"


def test_unicode_digit_version_folder_does_not_crash(repo: Path) -> None:
    (repo / "preprocessing" / "\u00b3").mkdir()
    proc = run("check", str(repo))
    assert proc.returncode in (0, 1) and "Traceback" not in proc.stderr


def test_model_folder_linked_from_elsewhere_is_reported_at_its_repository_path(
    repo: Path, tmp_path: Path
) -> None:
    outside = tmp_path / "outside"
    (repo / "postprocessing").rename(outside)
    (repo / "postprocessing").symlink_to(outside)
    config = outside / "config.pbtxt"
    config.write_text(config.read_text().replace("max_batch_size: 8", "max_batch_sise: 8"))
    proc = run("check", str(repo), "--format", "json")
    failing = [r for r in json.loads(proc.stdout)["results"] if r["status"] == "fail"]
    assert failing and all(r["location"]["path"] == "postprocessing/config.pbtxt" for r in failing)


def test_server_findings_sit_at_the_repository_root() -> None:
    proc = run("check", str(EXAMPLE), "--server", "http://127.0.0.1:9", "--format", "json")
    [res] = [r for r in json.loads(proc.stdout)["results"] if r["rule"] == "TRITON090"]
    assert res["status"] == "fail" and res["location"] == {"path": "."}
