"""The pre-commit hook as a user gets it: the real `pre-commit try-repo` on this project, no
hook arguments, in a temporary git repository holding a model repository.

pre-commit installs the hook into its own virtualenv from this project's source (package
registry only, no other network). The project is first committed into a temporary hook
repository so that every run below reuses one hook environment.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "model_repo"
pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


def git(cwd: Path, *args: str) -> None:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@localhost",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@localhost",
    }
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, env=env, timeout=120)


@pytest.fixture(scope="module")
def hook_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """This project's files (tracked and new, as git lists them) committed in a fresh repository."""
    dest = tmp_path_factory.mktemp("hook-repo")
    listed = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard", "-z"],
        cwd=ROOT,
        capture_output=True,
        check=True,
        timeout=120,
    ).stdout.decode()
    for rel in filter(None, listed.split("\0")):
        src = ROOT / rel
        if src.is_file():
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / rel)
    git(dest, "init", "-q")
    git(dest, "add", "-A")
    git(dest, "commit", "-q", "-m", "snapshot")
    return dest


@pytest.fixture(scope="module")
def pre_commit_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("pre-commit-home")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A user's repository: the example model repository under models/, committed."""
    work = tmp_path / "project"
    shutil.copytree(EXAMPLE, work / "models")
    (work / "README.md").write_text("models for serving\n")
    git(work, "init", "-q")
    git(work, "add", "-A")
    git(work, "commit", "-q", "-m", "models")
    return work


def try_repo(
    project: Path, hook_repo: Path, home: Path, *extra: str
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PRE_COMMIT_HOME": str(home), "NO_COLOR": "1"}
    env.pop("PRE_COMMIT_COLOR", None)
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pre_commit",
            "try-repo",
            str(hook_repo),
            "preflight",
            "--ref",
            "HEAD",
            "--color",
            "never",
            *extra,
        ],
        cwd=project,
        capture_output=True,
        text=True,
        env=env,
        timeout=1200,
    )


def test_the_hook_definition() -> None:
    [hook] = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    assert hook["id"] == "preflight"
    assert hook["entry"] == "preflight check"  # no arguments: repositories are discovered
    assert hook["pass_filenames"] is False and hook["always_run"] is True
    files = re.compile(hook["files"])
    for read in (
        "models/m/config.pbtxt",
        "models/.preflight.yaml",
        "models/m/1/rank0.engine",
        "models/m/1/model.plan",
        "models/m/1/build.log",
        "models/m/1/config.json",
        "models/m/1/preflight-manifest.json",
        "models/pre/1/model.py",
        "models/pre/1/tokenizer/tokenizer.json",
        "models/pre/1/tokenizer/tokenizer.model",
        "models/pre/1/tokenizer/tokenizer_config.json",
        "models/m/1/model.onnx",
    ):
        assert files.search(read), read
    assert not files.search("src/app.py")


@pytest.mark.skipif(
    importlib.util.find_spec("pre_commit") is None, reason="pre-commit (a test extra) is missing"
)
def test_try_repo_clean_broken_and_deleted_engine(
    project: Path, hook_repo: Path, pre_commit_home: Path
) -> None:
    clean = try_repo(project, hook_repo, pre_commit_home, "--all-files")
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert re.search(r"preflight \(Triton model repository\)\.+Passed", clean.stdout)

    config = project / "models" / "postprocessing" / "config.pbtxt"
    config.write_text(
        config.read_text().replace("max_batch_size: 8", "max_batch_size: ${triton_max_batch_size}")
    )
    broken = try_repo(project, hook_repo, pre_commit_home, "--all-files")
    assert broken.returncode == 1, broken.stdout + broken.stderr
    assert "models/postprocessing/config.pbtxt:4:17: TRITON003 error:" in broken.stdout
    git(project, "checkout", "--", "models/postprocessing/config.pbtxt")

    # A commit that only deletes the engine: nothing staged for a files pattern to match, and
    # the hook still runs (always_run) and fails.
    git(project, "rm", "-q", "models/tensorrt_llm/1/rank0.engine")
    deleted = try_repo(project, hook_repo, pre_commit_home)
    assert deleted.returncode == 1, deleted.stdout + deleted.stderr
    assert "rank0.engine" in deleted.stdout
