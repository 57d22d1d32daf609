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
    [wheel] = list(out.glob("triton_preflight-*.whl"))  # "preflight" on PyPI is another project
    names = zipfile.ZipFile(wheel).namelist()
    assert "preflight/py.typed" in names
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)
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


def test_wheel_metadata() -> None:
    """Name, license and classifiers as pyproject declares them, and the LICENSE they name."""
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["name"] == "triton-preflight"
    assert project["license"] == "Apache-2.0"
    assert "Apache License" in (ROOT / "LICENSE").read_text()[:200]
    assert "Version 2.0" in (ROOT / "LICENSE").read_text()[:200]
    assert "Typing :: Typed" in project["classifiers"]
    # the lean core: tritonclient without its grpc/http extras, which [server] brings
    assert any(d.startswith("tritonclient>=") for d in project["dependencies"])
    assert not any("[" in d for d in project["dependencies"])
    assert project["optional-dependencies"]["server"] == ["tritonclient[grpc,http]>=2.50"]


@pytest.fixture(scope="module")
def core_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel installed with its core dependencies (from the package registry) in a fresh
    venv, as `pip install triton-preflight` does."""
    out = tmp_path_factory.mktemp("core")
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(ROOT)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert build.returncode == 0, build.stderr[-2000:]
    [wheel] = list(out.glob("triton_preflight-*.whl"))
    venv = out / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    install = subprocess.run(
        [str(venv / "bin" / "python"), "-m", "pip", "install", "-q", str(wheel)],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert install.returncode == 0, install.stderr[-2000:]
    return venv


def test_core_install_is_lean_and_checks(core_venv: Path) -> None:
    listed = subprocess.run(
        [str(core_venv / "bin" / "python"), "-m", "pip", "list", "--format=freeze"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.lower()
    names = {line.split("==")[0] for line in listed.split()}
    assert "triton-preflight" in names and "tritonclient" in names
    assert not names & {"grpcio", "gevent", "geventhttpclient", "aiohttp"}, names
    # model_config_pb2 loads from the bare tritonclient package
    probe = subprocess.run(
        [
            str(core_venv / "bin" / "python"),
            "-c",
            "from preflight.triton_proto import load_model_config_pb2 as m; "
            "print(m().ModelConfig.DESCRIPTOR.full_name)",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert probe.stdout.strip() == "inference.ModelConfig", probe.stderr
    preflight_bin = str(core_venv / "bin" / "preflight")
    example = str(ROOT / "examples" / "model_repo")
    ok = subprocess.run(
        [preflight_bin, "check", example], capture_output=True, text=True, timeout=120
    )
    assert ok.returncode == 0, ok.stdout + ok.stderr
    for url in ("http://localhost:8000", "grpc://localhost:8001"):
        server = subprocess.run(
            [preflight_bin, "check", example, "--server", url],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert server.returncode == 2
        assert server.stdout == ""
        lines = server.stderr.splitlines()
        assert len(lines) == 1, server.stderr
        assert "pip install 'triton-preflight[server]'" in lines[0]
