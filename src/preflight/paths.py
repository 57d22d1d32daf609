"""How preflight shows a path. The one definition, used by the scan and every reporter.

- :func:`relative_to_repo`: the contract form of a location (JSON, SARIF, suppressions):
  relative to the repository, or, outside it, absolute and normalised.
- :func:`display`: what a person opens from a terminal (the text report and its notes):
  relative to the current directory as linters print them, or absolute when outside it;
  normalised either way, never a ``repo/../../x`` chain.
"""

from __future__ import annotations

import os
from pathlib import Path


def _inside(text: str, root: str) -> bool:
    return text == root or text.startswith(root.rstrip(os.sep) + os.sep)


def _url(text: str | Path) -> bool:
    """A repository in object storage (``s3://``, ``gs://``, ``as://``): shown as written."""
    return "://" in str(text)


def relative_to_repo(path: str | Path, repo: str | Path) -> str:
    """``path`` relative to ``repo`` by its text, symlinks not followed (a model folder linked
    from elsewhere stays where the repository has it); ``.`` for the repository itself. A path
    outside the repository is shown absolute and normalised (``repo/../engines`` is the folder
    it names), except a relative one that does not start with the repository, which is already
    relative to it and stays as given."""
    if _url(repo) or _url(path):
        given, base = str(path), str(repo).rstrip("/")
        if given == base:
            return "."
        return given[len(base) + 1 :] if given.startswith(base + "/") else given
    text = os.path.abspath(path)
    root = os.path.abspath(repo)
    if text == root:
        return "."
    if _inside(text, root):
        return Path(os.path.relpath(text, root)).as_posix()
    given, prefix = str(path), str(repo)
    if os.path.isabs(given) or given == prefix or given.startswith(prefix.rstrip("/\\") + os.sep):
        return Path(text).as_posix()
    return given


def display(path: str | Path, cwd: str | Path | None = None) -> str:
    """``path`` as the text report shows it: relative to ``cwd`` (the current directory by
    default) when inside it, ``.`` for ``cwd`` itself, otherwise absolute; normalised by its
    text, symlinks not followed."""
    if _url(path):
        return str(path)
    text = os.path.abspath(path)
    here = os.path.abspath(cwd if cwd is not None else os.getcwd())
    if text == here:
        return "."
    if _inside(text, here):
        return Path(os.path.relpath(text, here)).as_posix()
    return Path(text).as_posix()


def display_in(path: str, repo: str | Path, cwd: str | Path | None = None) -> str:
    """A result's path shown as :func:`display` shows it. Sources write paths under the
    repository as given (``str(repo / ...)``) or absolute; any other relative path is taken
    relative to the repository (a location as :func:`relative_to_repo` gives it)."""
    root = str(repo)
    if not path or path == ".":
        return display(root, cwd)
    if _url(root) and not _url(path):
        return f"{root.rstrip('/')}/{path}"
    if os.path.isabs(path) or path == root or path.startswith(root.rstrip("/\\") + os.sep):
        return display(path, cwd)
    return display(os.path.join(root, path), cwd)
