"""Progress of long hashing: a bar on a terminal, nothing in a pipe (CI logs stay clean)."""

from __future__ import annotations

import os
import select
import subprocess
import sys
from pathlib import Path

import pytest

from preflight import progress

SIZE = progress.MIN_BYTES + 16 * 1024 * 1024


@pytest.fixture
def engine_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "engines"
    folder.mkdir()
    with (folder / "rank0.engine").open("wb") as fh:  # sparse: big, cheap to make
        fh.truncate(SIZE)
    return folder


def _read_all(fd: int, proc: subprocess.Popen[bytes]) -> bytes:
    chunks = []
    while True:
        ready, _w, _x = select.select([fd], [], [], 0.2)
        if ready:
            try:
                data = os.read(fd, 65536)
            except OSError:  # the child closed the terminal
                break
            if not data:
                break
            chunks.append(data)
        elif proc.poll() is not None:
            break
    return b"".join(chunks)


@pytest.mark.skipif(not hasattr(os, "openpty"), reason="no pseudo-terminals here")
def test_a_bar_on_a_terminal(engine_dir: Path) -> None:
    import fcntl
    import struct
    import termios

    main_fd, child_fd = os.openpty()
    # a terminal of 24 x 100 (a fresh pseudo-terminal has no columns, and no bar fits)
    fcntl.ioctl(child_fd, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))
    proc = subprocess.Popen(
        [sys.executable, "-m", "preflight.cli", "manifest", "write", str(engine_dir)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=child_fd,
    )
    os.close(child_fd)
    try:
        text = _read_all(main_fd, proc).decode("utf-8", "replace")
    finally:
        os.close(main_fd)
    assert proc.wait(timeout=120) == 0
    assert "sha256:" in text and "/s]" in text, text  # label, bytes, rate and ETA
    assert text.endswith("\r")  # the bar is wiped when the work ends


def test_nothing_in_a_pipe(engine_dir: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "preflight.cli", "manifest", "write", str(engine_dir)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    assert "tqdm" not in proc.stdout


def test_disabled_and_small_tasks_show_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    progress.enable(False)
    with progress.task(SIZE, "sha256"):
        progress.advance(SIZE)
    progress.enable(True)
    try:
        with progress.task(1024, "sha256"):
            progress.advance(1024)
    finally:
        progress.enable(False)
    assert capsys.readouterr().err == ""
    with open(os.devnull) as devnull:
        assert not progress.wanted(devnull, quiet=False)
