"""Source for the folders of a model repository: ``layout.*`` for one model folder, ``repo.*``
for the repository root.

It lists what is there (version folders as Triton reads their names, the model files a config
can name, hidden folders) and never judges it: the checks in ``checks/triton_*.py`` decide what
Triton would refuse. Nothing from the repository is imported or executed, and no path outside
a model folder is looked at.
"""

from __future__ import annotations

import errno
import re
import stat
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from ..data.triton_backends import AUTOFILL_FILES, BACKENDS, NOT_VERSIONS, PLATFORMS
from ..model import Fact, Facts, Location

NAMESPACES = ("layout", "repo")

# std::stoll: leading white space, a sign, ASCII digits; the rest of the name is ignored.
_STOLL = re.compile(r"\s*([+-]?[0-9]+)", re.ASCII)
# stat errors Path.exists() reads as "not there"
_ABSENT = frozenset({errno.ENOENT, errno.ENOTDIR, errno.EBADF, errno.ELOOP})


@dataclass(frozen=True, slots=True)
class VersionFolder:
    """A subfolder of a model folder as Triton reads its name.

    ``reading``: ``plain`` (a version number), ``leading-zeros`` and ``not-integral`` (Triton
    ignores the folder), ``misread`` (Triton keeps the numeric prefix, or a negative number,
    as ``number``; the backend then opens ``<model>/<number>/``).
    """

    name: str
    path: Path
    number: int | None
    reading: str


def _subdirs(folder: Path) -> list[Path]:
    try:
        return sorted(p for p in folder.iterdir() if p.is_dir())
    except OSError:
        return []


def version_folders(model_dir: Path) -> list[VersionFolder]:
    """Every subfolder Triton looks at for versions (not warmup, initial_state, configs), in
    name order, with the version number it reads from the name. The one reading of version
    folders: :func:`versions` gives the numbers a server finds."""
    found = []
    for sub in _subdirs(model_dir):
        name = sub.name
        if name in NOT_VERSIONS:
            continue
        if len(name) > 1 and name.startswith("0"):
            found.append(VersionFolder(name, sub, None, "leading-zeros"))
            continue
        match = _STOLL.match(name)
        if match is None:
            found.append(VersionFolder(name, sub, None, "not-integral"))
            continue
        number = int(match.group(1))
        plain = match.end() == len(name) and number >= 0 and name.isascii() and name.isdigit()
        found.append(VersionFolder(name, sub, number, "plain" if plain else "misread"))
    return found


def versions(model_dir: Path, folders: list[dict[str, Any]] | None = None) -> dict[int, Path]:
    """Version number -> the folder the backend opens (``<model>/<number>``), ascending.

    A misread name (``2_old``) counts as the version Triton reads from it; the folder named
    after the number may then not exist. ``folders``: the model's ``layout.version_folders``
    when the folder was already listed.
    """
    items = folders if folders is not None else [item_of(f) for f in version_folders(model_dir)]
    numbers = {i["number"] for i in items if isinstance(i.get("number"), int)}
    return {n: model_dir / str(n) for n in sorted(numbers)}


def _kind(path: Path, absent: frozenset[int] = _ABSENT) -> str:
    """``file``, ``dir``, ``missing`` or ``other`` (a FIFO, a socket, an unreadable entry).
    Symbolic links are followed; a stat error in ``absent`` reads as ``missing`` (by default
    the ones Path.exists() reads so: a dangling or looping link)."""
    try:
        mode = path.stat().st_mode
    except OSError as exc:
        return "missing" if exc.errno in absent else "other"
    except ValueError:  # a NUL byte in the name
        return "missing"
    if stat.S_ISREG(mode):
        return "file"
    if stat.S_ISDIR(mode):
        return "dir"
    return "other"


def _outside(name: str) -> bool:
    """Whether a configured file name could lead out of its version folder."""
    pure = PurePosixPath(name)
    return pure.is_absolute() or ".." in pure.parts


def _candidate_files(config: Facts) -> list[str]:
    """The model files a config can name: default_model_filename, the cc_model_filenames
    values and the default file of its platform and backend."""
    names: list[str] = []
    default = config.get("triton.default_model_filename")
    if default is not None and isinstance(default.value, str):
        names.append(default.value)
    cc_files = config.get("triton.cc_model_filenames")
    if cc_files is not None and isinstance(cc_files.value, dict):
        names.extend(v for v in cc_files.value.values() if isinstance(v, str))
    platform = config.get("triton.platform")
    if platform is not None and platform.value in PLATFORMS:
        names.append(PLATFORMS[platform.value][1])
    backend = config.get("triton.backend")
    if backend is not None and backend.value in BACKENDS:
        names.append(BACKENDS[backend.value][0])
    return list(dict.fromkeys(names))


def extract_model(model_dir: Path, config: Facts | None = None) -> Facts:
    """``layout.*`` facts of one model folder. ``config`` is the folder's ``triton.*`` facts:
    they name the model files to look for in each version folder.

    Every fact sits at ``<model>/config.pbtxt`` line 1, the file that describes the folder.
    """
    config = config or {}
    config_file = model_dir / "config.pbtxt"
    here = Location(str(config_file), 1, None)
    facts: Facts = {
        "layout.folder_name": Fact(model_dir.name, here),
        "layout.folder_path": Fact(str(model_dir), here),
        # missing exactly when reading it fails with "No such file or directory"
        "layout.config_file": Fact(_kind(config_file, frozenset({errno.ENOENT})), here),
    }
    folders = version_folders(model_dir)
    facts["layout.version_folders"] = Fact([item_of(f) for f in folders], here)
    # Triton's autofill looks at the first folder in string order, whatever its name.
    first = folders[0].path if folders else None
    facts["layout.autofill_files"] = Fact(
        [f for f in AUTOFILL_FILES if first is not None and _kind(first / f) != "missing"], here
    )
    files = []
    numbers = sorted({f.number for f in folders if f.number is not None})
    for name in _candidate_files(config):
        for number in numbers:
            target = model_dir / str(number) / name
            kind = "outside" if _outside(name) else _kind(target)
            files.append({"version": number, "name": name, "kind": kind, "path": str(target)})
    facts["layout.model_files"] = Fact(files, here)
    return facts


def model_dirs(repo: Path) -> Iterable[Path]:
    """Every folder Triton would poll as a model, hidden ones excluded (see repo.hidden_dirs)."""
    return [p for p in _subdirs(repo) if not _hidden(p.name)]


def _hidden(name: str) -> bool:
    return name.startswith(".") or name == "__pycache__"


def extract_repository(repo: Path) -> Facts:
    """``repo.*``: the model folder names and the hidden or cache folders of the repository."""
    here = Location(str(repo), None, None)
    subs = _subdirs(repo)
    hidden = [{"name": p.name, "path": str(p)} for p in subs if _hidden(p.name)]
    return {
        "repo.hidden_dirs": Fact(hidden, here),
        "repo.models": Fact([p.name for p in subs if not _hidden(p.name)], here),
    }


def item_of(folder: VersionFolder) -> dict[str, Any]:
    """A version folder as a JSON-like item (the ``layout.version_folders`` form)."""
    return {
        "name": folder.name,
        "path": str(folder.path),
        "number": folder.number,
        "reading": folder.reading,
    }
