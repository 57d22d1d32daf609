"""``preflight check`` without a REPO: find the Triton model repositories below a folder.

A model repository is a folder holding model folders, and a model folder one holding a
``config.pbtxt``. The walk is bounded (``MAX_DEPTH`` levels, hidden folders and the usual
tool folders skipped, symlinks not followed) so a hook run from a large checkout stays fast,
and it stops descending at a model folder (a model's own folders hold no repositories).
"""

from __future__ import annotations

import os
from pathlib import Path

from . import safe_files

MAX_DEPTH = 6
_SKIP = {"node_modules", "__pycache__", "site-packages", "venv", "build", "dist"}


def model_repositories(start: Path) -> list[Path]:
    """Every model repository at or below ``start``, sorted, as paths under ``start``."""
    found: set[Path] = set()

    def walk(folder: Path, depth: int) -> None:
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError:
            return
        for entry in entries:
            if entry.name.startswith(".") or entry.name in _SKIP:
                continue
            try:
                if not entry.is_dir(follow_symlinks=False):
                    continue
            except OSError:
                continue
            child = folder / entry.name
            if safe_files.is_file(child / "config.pbtxt"):
                found.add(folder)
            elif depth < MAX_DEPTH:
                walk(child, depth + 1)

    walk(start, 0)
    # a repository holding models is not also a model folder of another one
    return sorted(p for p in found if not safe_files.is_file(p / "config.pbtxt"))
