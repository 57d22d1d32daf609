"""preflight as CI and linter users drive it: several formats in one run, GitHub annotations,
GitLab Code Quality, rule selection, exit and output switches, colour from the environment, a
baseline, settings found upward, no REPO (a hook), and the Python API."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import jsonschema
import pytest
import xmlschema

import preflight
from preflight.cli import main
from preflight.errors import PreflightError
from preflight.model import RunResult, Status

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "model_repo"
SARIF_SCHEMA = ROOT / "tests" / "data" / "sarif-schema-2.1.0.json"
JUNIT_XSD = ROOT / "tests" / "data" / "junit-10.xsd"
TARGET = ["--target-gpu", "RTX 4060 Ti", "--triton-version", "25.06"]


@pytest.fixture
def checkout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A checkout (a folder with .git) holding deploy/models, a copy of the example with an
    unfilled placeholder and a deleted engine; the current directory is the checkout."""
    root = tmp_path / "checkout"
    repo = root / "deploy" / "models"
    shutil.copytree(EXAMPLE, repo)
    (root / ".git").mkdir()
    post = repo / "postprocessing" / "config.pbtxt"
    post.write_text(
        post.read_text().replace("max_batch_size: 8", "max_batch_size: ${triton_max_batch_size}")
    )
    (repo / "tensorrt_llm" / "1" / "rank0.engine").unlink()
    monkeypatch.chdir(root)
    return root


REPO = "deploy/models"


def check(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    status = main(["check", *args])
    out, err = capsys.readouterr()
    return status, out, err


def failures(report_path: Path) -> list[dict[str, object]]:
    report = json.loads(report_path.read_text())
    return [r for r in report["results"] if r["status"] == "fail"]


# --- formats ---


def test_several_formats_in_one_run(checkout: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (checkout / "out").mkdir()
    status, out, _err = check(
        capsys,
        REPO,
        "--format",
        "text",
        "--format",
        "sarif=out/preflight.sarif",
        "--format",
        "junit=report.xml",
        "--format",
        "json=report.json",
    )
    assert status == 1
    assert "TRITON001 error:" in out
    sarif = json.loads((checkout / "out" / "preflight.sarif").read_text())
    schema = json.loads(SARIF_SCHEMA.read_text())
    jsonschema.Draft4Validator(schema).validate(sarif)
    xmlschema.XMLSchema(str(JUNIT_XSD)).validate(str(checkout / "report.xml"))
    assert len(failures(checkout / "report.json")) == len(sarif["runs"][0]["results"])


def test_sarif_from_a_broken_repository_follows_githubs_ingestion_rules(
    checkout: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, _out, _err = check(capsys, REPO, "--format", "sarif=p.sarif")
    assert status == 1
    log = json.loads((checkout / "p.sarif").read_text())
    jsonschema.Draft4Validator(json.loads(SARIF_SCHEMA.read_text())).validate(log)
    results = log["runs"][0]["results"]
    assert {r["ruleId"] for r in results} >= {"TRITON001", "TRITON003"}
    for res in results:
        physical = res["locations"][0]["physicalLocation"]
        uri = physical["artifactLocation"]["uri"]
        assert uri.startswith("deploy/models/"), uri  # relative to the checkout root
        assert (checkout / uri).is_file(), uri  # a file, never a folder or a missing file
        assert physical["region"]["startLine"] >= 1
        assert re.fullmatch(
            r"[0-9a-f]{16}:\d+", res["partialFingerprints"]["primaryLocationLineHash"]
        )
    rules = log["runs"][0]["tool"]["driver"]["rules"]
    for rule in rules:
        assert rule["help"]["markdown"]
        assert rule["properties"]["tags"] and rule["properties"]["precision"]
        assert rule["properties"]["problem.severity"] in ("error", "warning", "recommendation")
    # --sarif-root moves the base
    check(capsys, REPO, "--format", "sarif=q.sarif", "--sarif-root", "deploy")
    other = json.loads((checkout / "q.sarif").read_text())["runs"][0]["results"]
    assert other[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].startswith(
        "models/"
    )


def test_format_github_one_workflow_command_per_finding(
    checkout: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    check(capsys, REPO, "--format", "json=r.json")
    expected = failures(checkout / "r.json")
    status, out, _err = check(capsys, REPO, "--format", "github")
    assert status == 1
    lines = out.splitlines()
    assert len(lines) == len(expected) > 0
    pattern = re.compile(
        r"^::(error|warning|notice) file=([^,]+),line=(\d+)(,col=\d+)?,title=[^:]+::.+"
    )
    for line in lines:
        match = pattern.match(line)
        assert match, line
        assert (checkout / match.group(2)).is_file(), line
        assert int(match.group(3)) >= 1
    placeholder = next(line for line in lines if "title=TRITON003" in line)
    assert placeholder.startswith(
        "::error file=deploy/models/postprocessing/config.pbtxt,line=4,col=17,title=TRITON003 "
    )
    assert "%0Afix: " in placeholder  # the fix on its own line, escaped


def test_format_gitlab_code_quality(checkout: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _err = check(capsys, REPO, "--format", "gitlab")
    assert status == 1
    issues = json.loads(out)
    assert issues
    for issue in issues:
        assert set(issue) >= {"description", "check_name", "fingerprint", "severity", "location"}
        assert issue["severity"] in ("info", "minor", "major", "critical", "blocker")
        assert (checkout / issue["location"]["path"]).is_file()
        assert issue["location"]["lines"]["begin"] >= 1
    prints = [i["fingerprint"] for i in issues]
    assert len(set(prints)) == len(prints)
    # stable: a second run, and a line inserted above the findings, keep the fingerprints
    post = checkout / REPO / "postprocessing" / "config.pbtxt"
    post.write_text("# a comment\n" + post.read_text())
    _status, again, _err = check(capsys, REPO, "--format", "gitlab")
    moved = {i["check_name"]: i for i in json.loads(again)}
    for issue in issues:
        if issue["check_name"] == "TRITON003":
            assert moved["TRITON003"]["fingerprint"] == issue["fingerprint"]
            assert (
                moved["TRITON003"]["location"]["lines"]["begin"]
                == issue["location"]["lines"]["begin"] + 1
            )


def test_format_usage_errors(checkout: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, _out, err = check(capsys, REPO, "--format", "text", "--format", "json")
    assert status == 2 and "one report at most goes to standard output" in err
    status, _out, err = check(capsys, REPO, "--format", "yaml")
    assert status == 2 and "unknown format 'yaml'" in err
    status, _out, err = check(capsys, REPO, "--format", "sarif=")
    assert status == 2 and "expected sarif=FILE" in err


# --- linter switches ---


def test_select_and_ignore(checkout: Path, capsys: pytest.CaptureFixture[str]) -> None:
    check(capsys, REPO, "--format", "json=all.json")
    every = {r["rule"] for r in json.loads((checkout / "all.json").read_text())["results"]}
    check(capsys, REPO, "--select", "TRITON003", "--format", "json=one.json")
    assert {r["rule"] for r in json.loads((checkout / "one.json").read_text())["results"]} == {
        "TRITON003"
    }
    check(
        capsys,
        REPO,
        "--select",
        "TRITON",
        "--ignore",
        "TRITON001,unfilled-placeholder",
        "--format",
        "json=g.json",
    )
    rules = {r["rule"] for r in json.loads((checkout / "g.json").read_text())["results"]}
    assert rules and all(r.startswith("TRITON") for r in rules)
    assert not rules & {"TRITON001", "TRITON003"}
    check(capsys, REPO, "--select", "tensorrt", "--format", "json=t.json")
    rules = {r["rule"] for r in json.loads((checkout / "t.json").read_text())["results"]}
    assert rules == {r for r in every if r.startswith("TRT")}
    status, _out, err = check(capsys, REPO, "--select", "TRITON999")
    assert status == 2 and "no rule matches TRITON999" in err


def test_exit_zero_quiet_and_statistics(checkout: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _err = check(capsys, REPO, "--exit-zero", "--quiet")
    assert status == 0
    assert out and all(
        re.match(r"^\S+: [A-Z]+\d+ (error|warning|info): ", line) or line.startswith("    ")
        for line in out.splitlines()
    )
    status, out, _err = check(capsys, REPO, "--statistics")
    assert status == 1
    rows = [line.split() for line in out.splitlines()]
    assert rows and all(row[0].isdigit() and row[2] in ("error", "warning", "info") for row in rows)
    assert "TRITON003" in {row[1] for row in rows}
    status, out, _err = check(capsys, str(EXAMPLE), "--quiet")
    assert (status, out) == (0, "")


@pytest.mark.parametrize(
    ("env", "flag", "coloured"),
    [
        ({"FORCE_COLOR": "1"}, [], True),
        ({"NO_COLOR": "1", "FORCE_COLOR": "1"}, [], False),
        ({}, [], False),  # not a terminal
        ({"NO_COLOR": "1"}, ["--color", "always"], True),
    ],
)
def test_colour_from_the_environment(
    checkout: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    env: dict[str, str],
    flag: list[str],
    coloured: bool,
) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    _status, out, _err = check(capsys, REPO, *flag)
    assert ("\x1b[" in out) is coloured


def test_baseline_hides_known_findings_and_fails_on_a_new_one(
    checkout: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, _out, _err = check(capsys, REPO, "--write-baseline", "baseline.json")
    assert status == 1
    data = json.loads((checkout / "baseline.json").read_text())
    assert data["version"] == 1 and data["findings"]
    assert all(set(f) == {"rule", "path", "key", "message"} for f in data["findings"])
    assert not any(f["path"].startswith("/") for f in data["findings"])
    # every finding known: exit 0, each reported as known
    status, _out, _err = check(
        capsys, REPO, "--baseline", "baseline.json", "--format", "json=r.json"
    )
    assert status == 0
    report = json.loads((checkout / "r.json").read_text())
    known = [r for r in report["results"] if r["message"].startswith("known (in the baseline")]
    assert len(known) == len(data["findings"])
    # matched by rule, path and key, not by line: an edit above keeps them known
    post = checkout / REPO / "postprocessing" / "config.pbtxt"
    post.write_text("# moved down\n" + post.read_text())
    assert check(capsys, REPO, "--baseline", "baseline.json")[0] == 0
    # a new finding fails, and only it is reported as a finding
    pre = checkout / REPO / "preprocessing" / "config.pbtxt"
    pre.write_text(pre.read_text().replace("max_batch_size: 8", "max_batch_size: ${other_key}"))
    status, _out, _err = check(
        capsys, REPO, "--baseline", "baseline.json", "--format", "json=n.json"
    )
    assert status == 1
    new = failures(checkout / "n.json")
    assert new and all("preprocessing" in str(r["location"]) for r in new)
    status, _out, err = check(capsys, REPO, "--baseline", "missing.json")
    assert status == 2 and "baseline file not found" in err
    (checkout / "bad.json").write_text("[]")
    status, _out, err = check(capsys, REPO, "--baseline", "bad.json")
    assert status == 2 and "not a preflight baseline" in err


def test_settings_found_upward_from_the_current_directory(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = tmp_path / "ws" / "models"
    shutil.copytree(EXAMPLE, repo)
    (repo / ".preflight.yaml").unlink()
    (tmp_path / "ws" / ".preflight.yaml").write_text(
        'target: {gpu: A100, triton: "25.06"}\nfail-on: warning\n'
    )
    (tmp_path / "ws" / "sub").mkdir()
    monkeypatch.chdir(tmp_path / "ws" / "sub")
    main(["check", str(repo), "--format", "json"])
    report = json.loads(capsys.readouterr().out)
    assert report["target"]["gpu"] == "A100"
    # the repository's own file wins over the one found upward
    (repo / ".preflight.yaml").write_text('target: {gpu: L4, triton: "25.06"}\n')
    main(["check", str(repo), "--format", "json"])
    assert json.loads(capsys.readouterr().out)["target"]["gpu"] == "L4"


def test_unknown_rule_in_an_inline_suppression_is_reported(
    checkout: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pre = checkout / REPO / "preprocessing" / "config.pbtxt"
    pre.write_text("# preflight: ignore[TRITON9999,no-such-rule] we know\n" + pre.read_text())
    _status, out, _err = check(capsys, REPO)
    assert (
        "preprocessing/config.pbtxt:1: preflight: ignore[TRITON9999]: no rule 'TRITON9999'" in out
    )
    assert "ignore[no-such-rule]: no rule 'no-such-rule'" in out


# --- no REPO: the repositories below the current directory ---


def test_no_repo_checks_every_model_repository_below(
    checkout: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, _err = check(capsys)
    assert status == 1
    assert "preflight 0.1.0: deploy/models" in out
    shutil.copytree(EXAMPLE, checkout / "second" / "repo")
    shutil.rmtree(checkout / "deploy")
    status, out, _err = check(capsys)
    assert status == 0 and "second/repo" in out
    status, _out, err = check(capsys, "--format", "sarif=x.sarif")
    assert status == 0, err


def test_no_repo_and_none_below(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    status, _out, err = check(capsys)
    assert status == 2 and "no model repository found" in err


# --- the Python API ---


def test_python_api(checkout: Path) -> None:
    result = preflight.check(REPO, target={"gpu": "L4", "triton": "25.06"})
    assert isinstance(result, RunResult)
    assert result.target.gpu == "L4"
    failed = {r.rule for r in result.results if r.status is Status.FAIL}
    assert {"TRITON001", "TRITON003"} <= failed
    only = preflight.check(REPO, select=["TRITON003"])
    assert {r.rule for r in only.results} == {"TRITON003"}
    with pytest.raises(TypeError, match="unknown target key"):
        preflight.check(REPO, target={"gpus": "L4"})
    with pytest.raises(PreflightError):
        preflight.check(checkout / "nowhere")


def test_import_preflight_stays_light() -> None:
    import subprocess
    import sys

    code = (
        "import sys, preflight\n"
        "heavy = [m for m in ('preflight.api', 'preflight.commands', 'preflight.model', 'yaml', "
        "'jsonschema', 'google.protobuf') if m in sys.modules]\n"
        "print(heavy)\n"
        "preflight.check\n"
        "print('preflight.api' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.splitlines() == ["[]", "True"]


def test_settings_found_upward_name_paths_inside_their_own_folder_only(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """In CI the folder above the repository is the checkout a pull request writes: its
    .preflight.yaml may name rule folders beside it, never a path outside it."""
    ws = tmp_path / "ws"
    repo = ws / "models"
    shutil.copytree(EXAMPLE, repo)
    (repo / ".preflight.yaml").unlink()
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (ws / ".preflight.yaml").write_text(f"target: none\nrule-dirs: [{outside}]\n")
    monkeypatch.chdir(ws)
    assert main(["check", str(repo)]) == 2
    err = capsys.readouterr().err
    assert "rule-dirs" in err and "outside" in err
    (ws / "house_rules").mkdir()
    (ws / ".preflight.yaml").write_text("target: none\nrule-dirs: [house_rules]\n")
    assert main(["check", str(repo)]) == 0
