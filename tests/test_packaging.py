"""An installed, non-editable wheel finds its built-in rules and data tables."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(ROOT)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    if build.returncode != 0:
        pytest.fail(f"building the wheel failed: {build.stderr[-2000:]}")
    [wheel] = list(out.glob("preflight-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    assert "preflight/builtin_rules/trtllm/TLLM001.yaml" in names
    assert "preflight/rules/schema.json" in names
    assert "preflight/data/gpus.yaml" in names
    site = out / "site"
    install = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--no-deps",
            "-q",
            "--target",
            str(site),
            str(wheel),
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert install.returncode == 0, install.stderr
    return site


def run_installed(site: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(site)}
    return subprocess.run(
        [sys.executable, "-m", "preflight.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=site.parent,
        timeout=120,
    )


def test_wheel_carries_and_finds_the_rules(installed: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(installed)}
    probe = subprocess.run(
        [
            sys.executable,
            "-c",
            "import preflight; from preflight.rules.loader import builtin_rules_dir; "
            "print(preflight.__file__); print(builtin_rules_dir())",
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=installed.parent,
        timeout=60,
    )
    module_file, rules_dir = probe.stdout.split()
    assert module_file.startswith(str(installed))
    assert rules_dir == str(installed / "preflight" / "builtin_rules")
    proc = run_installed(installed, "rules", "--format", "json")
    assert proc.returncode == 0 and "TLLM001" in proc.stdout


def test_installed_wheel_checks_the_example(installed: Path) -> None:
    proc = run_installed(installed, "check", str(ROOT / "examples" / "model_repo"))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "0 errors" in proc.stdout
