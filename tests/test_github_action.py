"""The composite GitHub Action: action.yml maps its inputs to action/run.sh, which is run here
as the runner runs it (bash, GITHUB_OUTPUT, RUNNER_TEMP), with the preflight of this venv."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "action" / "run.sh"
EXAMPLE = ROOT / "examples" / "model_repo"
SARIF_SCHEMA = ROOT / "tests" / "data" / "sarif-schema-2.1.0.json"


def run_action(
    workspace: Path, **inputs: str
) -> tuple[subprocess.CompletedProcess[str], dict[str, str]]:
    output = workspace / "github_output"
    output.write_text("")
    env = {
        **os.environ,
        # the preflight of the running interpreter's environment
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        "GITHUB_OUTPUT": str(output),
        "RUNNER_TEMP": str(workspace / "runner_temp"),
        "GITHUB_ACTION_PATH": str(ROOT),
        "PREFLIGHT_INSTALL": "none",
        **{f"PREFLIGHT_{key.upper()}": value for key, value in inputs.items()},
    }
    proc = subprocess.run(
        ["bash", str(SCRIPT)], cwd=workspace, env=env, capture_output=True, text=True, timeout=300
    )
    outputs = dict(line.split("=", 1) for line in output.read_text().splitlines() if "=" in line)
    return proc, outputs


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    ws = tmp_path / "ws"
    shutil.copytree(EXAMPLE, ws / "models")
    (ws / ".git").mkdir()  # a checkout
    return ws


def test_action_yml_maps_every_input_to_the_script() -> None:
    action = yaml.safe_load((ROOT / "action.yml").read_text())
    assert action["runs"]["using"] == "composite"
    [step] = action["runs"]["steps"]
    assert step["shell"] == "bash" and "action/run.sh" in step["run"]
    script = SCRIPT.read_text()
    mapped = {re.search(r"inputs\.([\w-]+)", v).group(1) for v in step["env"].values()}  # type: ignore[union-attr]
    assert mapped == set(action["inputs"])
    for name in step["env"]:
        assert f"${{{name}" in script or f"${name}" in script, name
    assert set(action["outputs"]) == {"sarif-file", "exit-code"}


def test_clean_repository_passes_and_writes_sarif(workspace: Path) -> None:
    proc, outputs = run_action(workspace, repo="models", sarif="results/preflight.sarif")
    assert proc.returncode == 2, "the SARIF folder must exist: preflight says so, status 2"
    (workspace / "results").mkdir()
    proc, outputs = run_action(workspace, repo="models", sarif="results/preflight.sarif")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert (
        "+ preflight check models --format text --format sarif=results/preflight.sarif"
        in proc.stdout
    )
    assert "0 errors" in proc.stdout
    assert outputs == {"sarif-file": "results/preflight.sarif", "exit-code": "0"}
    log = json.loads((workspace / "results" / "preflight.sarif").read_text())
    jsonschema.Draft4Validator(json.loads(SARIF_SCHEMA.read_text())).validate(log)


def test_findings_fail_the_step_unless_fail_is_false(workspace: Path) -> None:
    config = workspace / "models" / "postprocessing" / "config.pbtxt"
    config.write_text(config.read_text().replace("max_batch_size: 8", "max_batch_size: ${x}"))
    proc, outputs = run_action(workspace, target_gpu="L4", triton="25.06")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "--target-gpu L4 --triton-version 25.06" in proc.stdout
    assert outputs["exit-code"] == "1"
    log = json.loads((workspace / "preflight.sarif").read_text())
    uris = {
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        for r in log["runs"][0]["results"]
    }
    assert "models/postprocessing/config.pbtxt" in uris
    proc, outputs = run_action(workspace, fail="false", args="--select TRITON003")
    assert proc.returncode == 0 and outputs["exit-code"] == "1"
    assert "fail: false" in proc.stdout
    assert "--select TRITON003" in proc.stdout


def test_a_run_that_cannot_check_fails_even_with_fail_false(workspace: Path) -> None:
    proc, outputs = run_action(workspace, repo="nowhere", fail="false")
    assert proc.returncode == 2 and outputs["exit-code"] == "2"
