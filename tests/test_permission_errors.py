"""A folder of the repository that cannot be searched or read (mode 000 for another user) makes
every look inside it fail with EACCES: ``Path.is_file()`` and ``exists()`` raise then, they do
not answer False. preflight must still finish with findings.

The fuzz suite plants such folders for real (tests/fuzz/test_prop_cli.py), but root reads
through any mode, and CI runs as root. Here the system calls themselves fail for every path
below the folder, whoever runs the test: a look that is not guarded raises and the run ends
in "cannot write the output" or an internal error, which these tests refuse.
"""

from __future__ import annotations

import errno
import io
import os
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager, redirect_stderr, redirect_stdout
from pathlib import Path
from typing import Any

import pytest

from preflight import cli

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "model_repo"
TARGET = ("--target-gpu", "L4", "--triton-version", "25.06", "--color", "never")
FOLDERS = [
    "tensorrt_llm",
    "tensorrt_llm/1",
    "ensemble",
    "preprocessing",
    "preprocessing/1",
    "postprocessing/1",
    "tensorrt_llm_bls/1",
]


@contextmanager
def unsearchable(folder: Path) -> Iterator[None]:
    """The system calls fail as they do for a user without read and search permission on
    ``folder`` (mode 000): every call on a path below it, and listing or opening the folder
    itself; the folder can still be looked at (its parent is searchable)."""
    itself = os.path.abspath(folder)

    def denied(path: Any, lists: bool) -> bool:
        if isinstance(path, int):
            return False
        try:
            name = os.path.abspath(os.fsdecode(os.fspath(path)))
        except TypeError:
            return False
        return name.startswith(itself + os.sep) or (lists and name == itself)

    def guard(call: Callable[..., Any], lists: bool) -> Callable[..., Any]:
        def guarded(path: Any = ".", *args: Any, **kwargs: Any) -> Any:
            if denied(path, lists):
                raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(path))
            return call(path, *args, **kwargs)

        return guarded

    names = {"stat": False, "lstat": False, "access": False}
    names |= {"open": True, "scandir": True, "listdir": True}
    saved = {name: getattr(os, name) for name in names}
    for name, lists in names.items():
        setattr(os, name, guard(saved[name], lists))
    try:
        yield
    finally:
        for name, call in saved.items():
            setattr(os, name, call)


def run_check(repo: Path) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        status = cli.main(["check", str(repo), *TARGET])
    return status, out.getvalue(), err.getvalue()


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    copy = tmp_path / "repo"
    shutil.copytree(EXAMPLE, copy, symlinks=True)
    return copy


def test_the_guard_makes_the_unguarded_look_raise(repo: Path) -> None:
    """The simulation does what a real mode 000 folder does to a user other than root."""
    with unsearchable(repo / "ensemble"), pytest.raises(PermissionError):
        (repo / "ensemble" / "config.pbtxt").is_file()


@pytest.mark.parametrize("folder", FOLDERS)
def test_a_folder_that_cannot_be_searched_gives_findings(repo: Path, folder: str) -> None:
    with unsearchable(repo / folder):
        status, out, err = run_check(repo)
    assert status in (0, 1), (status, err)
    assert "internal error" not in err and "cannot write" not in err, err
    assert "Found " in out or "0 errors" in out


def test_the_model_whose_config_cannot_be_read_fails_triton001(repo: Path) -> None:
    with unsearchable(repo / "ensemble"):
        status, out, _err = run_check(repo)
    assert status == 1
    assert "TRITON001 error: ensemble: config.pbtxt does not parse" in out
    assert "Permission denied" in out


def test_a_repository_that_cannot_be_searched_is_one_line(repo: Path) -> None:
    with unsearchable(repo):
        status, out, err = run_check(repo)
    assert status == 2
    assert out == ""
    assert err.count("\n") == 1 and "Permission denied" in err, err


def test_an_engine_folder_that_cannot_be_searched_says_so(repo: Path) -> None:
    with unsearchable(repo / "tensorrt_llm" / "1"):
        status, out, _err = run_check(repo)
    assert status == 1
    assert "TLLM008 error: tensorrt_llm: tensorrt_llm/1/config.json cannot be read: " in out
    assert "Permission denied" in out
