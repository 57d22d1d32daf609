"""``launch.*``: the server launch commands a repository holds, read as text (never run).

A TensorRT-LLM model of tp x pp ranks is served by that many MPI processes, started by
``scripts/launch_triton_server.py --world_size N`` (tensorrtllm_backend; ``--world_size``
defaults to 1) or by ``mpirun -n 1 tritonserver ... : -n 1 tritonserver ...`` (one ``-n`` per
rank, which is what that script runs). Scripts, READMEs, Dockerfiles and compose or Kubernetes
files beside the models often hold that line.

Bounded: files at the repository root and one folder down, by name (:data:`PATTERNS`), at most
:data:`MAX_FILES` files of at most :data:`MAX_BYTES` each, never a path that leaves the
repository. Facts (located at the command's first line):

- ``launch.commands``: one item per command found, ``{command, world_size, orchestrator, path,
  line}``: ``command`` is ``launch_triton_server.py`` or ``mpirun``, ``world_size`` the MPI
  world size it starts, ``orchestrator`` whether it runs the backend's orchestrator mode
  (``--multi_model``: one process, the backend spawns the ranks).
"""

from __future__ import annotations

import fnmatch
import os
import re
from pathlib import Path
from typing import Any

from .. import safe_files
from ..model import Fact, Facts, Location

NAMESPACES = ("launch",)

PATTERNS = (
    "*.sh",
    "*.bash",
    "*.md",
    "*.txt",
    "*.rst",
    "*.yaml",
    "*.yml",
    "Dockerfile*",
    "*.dockerfile",
    "Makefile",
    "Procfile",
    "entrypoint*",
)
MAX_FILES = 64
MAX_BYTES = 256 * 1024
MAX_COMMANDS = 32

_LAUNCH = re.compile(r"launch_triton_server\.py\b(?P<args>.*)")
_WORLD = re.compile(r"--world[_-]size(?:=|\s+)['\"]?(?P<n>\d+)\b")
_MPIRUN = re.compile(r"\bmpirun\b(?P<args>.*)")
_NPROC = re.compile(r"(?:^|\s)(?:-n|-np|--np|-c)(?:=|\s+)(?P<n>\d+)\b")


def _candidates(repo: Path) -> list[Path]:
    """Text files at the root and one folder down whose names may hold a launch command."""
    found: list[Path] = []
    root = repo.resolve()
    folders = [repo]
    try:
        entries = sorted(os.scandir(repo), key=lambda e: e.name)
    except OSError:
        return []
    folders.extend(Path(e.path) for e in entries if not e.name.startswith(".") and _folder(e))
    for folder in folders:
        try:
            names = sorted(os.listdir(folder))
        except OSError:
            continue
        for name in names:
            if not any(fnmatch.fnmatch(name, p) for p in PATTERNS):
                continue
            path = folder / name
            try:
                if safe_files.is_link(path) and not path.resolve().is_relative_to(root):
                    continue
                if not safe_files.is_file(path) or path.stat().st_size > MAX_BYTES:
                    continue
            except (OSError, RuntimeError):  # RuntimeError: resolve() on a link loop
                continue
            found.append(path)
            if len(found) >= MAX_FILES:
                return found
    return found


def _logical_lines(text: str) -> list[tuple[int, str]]:
    """Lines with backslash continuations joined, each with its first line number."""
    out: list[tuple[int, str]] = []
    start, parts = 0, list[str]()
    for number, raw in enumerate(text.splitlines(), 1):
        if not parts:
            start = number
        stripped = raw.rstrip()
        if stripped.endswith("\\"):
            parts.append(stripped[:-1])
            continue
        parts.append(stripped)
        out.append((start, " ".join(parts)))
        parts = []
    if parts:
        out.append((start, " ".join(parts)))
    return out


def parse_command(line: str) -> dict[str, Any] | None:
    """The launch a line holds: ``{command, world_size, orchestrator}``, or None."""
    launch = _LAUNCH.search(line)
    if launch is not None:
        args = launch.group("args")
        world = _WORLD.search(args)
        return {
            "command": "launch_triton_server.py",
            "world_size": int(world.group("n")) if world else 1,  # the script's default
            "orchestrator": "--multi_model" in args or "--multi-model" in args,
        }
    mpirun = _MPIRUN.search(line)
    if mpirun is not None and "tritonserver" in mpirun.group("args"):
        # one app context per rank, separated by ':'; each starts -n processes
        total = 0
        for context in mpirun.group("args").split(" : "):
            count = _NPROC.search(context)
            if count is None or "tritonserver" not in context:
                continue
            total += int(count.group("n"))
        if total:
            return {"command": "mpirun", "world_size": total, "orchestrator": False}
    return None


def _folder(entry: os.DirEntry[str]) -> bool:
    """A folder, not a link to one; False when it cannot be looked at."""
    try:
        return entry.is_dir(follow_symlinks=False)
    except OSError:
        return False


def extract(repo: Path) -> Facts:
    """``launch.*`` of the repository ``repo``; no fact when it holds no launch command."""
    items: list[dict[str, Any]] = []
    for path in _candidates(repo):
        try:
            with safe_files.open_file(path, "script") as handle:  # the boundary, no FIFO
                text = handle.read(MAX_BYTES).decode("utf-8", errors="replace")
        except OSError:
            continue
        for line_number, line in _logical_lines(text):
            if line.lstrip().startswith(("#", "//")) and path.suffix not in (".md", ".txt"):
                continue  # a commented-out line of a script is not what runs
            found = parse_command(line)
            if found is None:
                continue
            items.append({**found, "path": str(path), "line": line_number})
            if len(items) >= MAX_COMMANDS:
                break
    if not items:
        return {}
    first = items[0]
    return {"launch.commands": Fact(items, Location(first["path"], first["line"]))}
