"""How preflight shows a path: relative to the repository by its text. The one definition."""

from __future__ import annotations

import os
from pathlib import Path


def relative_to_repo(path: str | Path, repo: str | Path) -> str:
    """``path`` relative to ``repo`` by its text, symlinks not followed (a model folder linked
    from elsewhere stays where the repository has it); ``.`` for the repository itself. Paths
    outside the repository stay as given."""
    text = os.path.abspath(path)
    root = os.path.abspath(repo)
    if text == root:
        return "."
    if text.startswith(root.rstrip(os.sep) + os.sep):
        return Path(os.path.relpath(text, root)).as_posix()
    return str(path)
