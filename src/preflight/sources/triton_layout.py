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

from .. import safe_files
from ..data.triton_backends import (
    AUTOFILL_FILES,
    BACKENDS,
    CORE_AUTOFILL_FILES,
    NOT_VERSIONS,
    PLATFORMS,
)
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
    if not safe_files.inside(folder):  # a folder linked from outside the repository
        return []
    try:
        return sorted(p for p in folder.iterdir() if safe_files.is_dir(p))
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


def _candidate_files(config: Facts, folder_name: str | None = None) -> list[str]:
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
    # Auto-complete may pick the backend from a file or the folder name (``name.<backend>``):
    # every file it can choose is listed, so the checks can follow the backend it picks.
    names.extend(CORE_AUTOFILL_FILES)
    if folder_name is not None and "." in folder_name:
        names.append("model." + folder_name.split(".", 1)[1])
    return list(dict.fromkeys(names))


def _all_subdirs(model_dir: Path) -> list[str]:
    """Every subfolder name, hidden ones too, in byte order (std::set<std::string>)."""
    if not safe_files.inside(model_dir):  # a folder linked from outside the repository
        return []
    try:
        names = [p.name for p in model_dir.iterdir() if safe_files.is_dir(p)]
    except OSError:
        return []
    return sorted(names, key=lambda n: n.encode("utf-8", "surrogateescape"))


def _defines_auto_complete(model_dir: Path, numbers: list[int]) -> bool:
    """Whether a version's model.py defines ``auto_complete_config`` (read as text, never run):
    the Python backend then lets the model complete its own inputs and outputs."""
    for number in numbers:
        try:
            text = safe_files.read_bytes(model_dir / str(number) / "model.py", "script")
        except (OSError, ValueError):
            continue
        if b"def auto_complete_config" in text:
            return True
    return False


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
    # Triton's AutoCompleteBackendFields looks into the first subfolder in byte order, whatever
    # its name (hidden, warmup, not a number): which backend files it holds, file or folder.
    subdirs = _all_subdirs(model_dir)
    first_sub = subdirs[0] if subdirs else None
    facts["layout.first_subdir"] = Fact(first_sub, here)
    first_files: dict[str, str] = {}
    if first_sub is not None:
        for name in CORE_AUTOFILL_FILES:
            kind = _kind(model_dir / first_sub / name)
            if kind != "missing":
                first_files[name] = kind
    facts["layout.first_subdir_files"] = Fact(first_files, here)
    files = []
    numbers = sorted({f.number for f in folders if f.number is not None})
    facts["layout.defines_auto_complete"] = Fact(_defines_auto_complete(model_dir, numbers), here)
    for name in _candidate_files(config, model_dir.name):
        for number in numbers:
            target = model_dir / str(number) / name
            kind = "outside" if _outside(name) else _kind(target)
            files.append({"version": number, "name": name, "kind": kind, "path": str(target)})
    facts["layout.model_files"] = Fact(files, here)
    facts["layout.backend_libraries"] = Fact(_backend_libraries(model_dir, numbers), here)
    env = _execution_env(config, model_dir)
    if env is not None:
        facts["layout.execution_env"] = Fact(env, here)
    warmup = _warmup_files(config, model_dir)
    if warmup:
        facts["layout.warmup_files"] = Fact(warmup, here)
    return facts


def _warmup_files(config: Facts, model_dir: Path) -> dict[str, str]:
    """The kind of each ``input_data_file`` the config's model_warmup names, read where Triton
    reads it (``<model>/warmup/<file>``); ``outside`` when the name climbs out."""
    found = config.get("triton.config")
    plain = found.value if found is not None else None
    samples = plain.get("model_warmup") if isinstance(plain, dict) else None
    files: dict[str, str] = {}
    for sample in samples if isinstance(samples, list) else []:
        inputs = sample.get("inputs") if isinstance(sample, dict) else None
        for spec in (inputs or {}).values() if isinstance(inputs, dict) else []:
            name = spec.get("input_data_file") if isinstance(spec, dict) else None
            if isinstance(name, str) and name not in files:
                bad = not name or _outside(name)
                files[name] = "outside" if bad else _kind(model_dir / "warmup" / name)
    return files


_MODEL_DIR_KEYWORD = "$$TRITON_MODEL_DIRECTORY"


def _execution_env(config: Facts, model_dir: Path) -> dict[str, str] | None:
    """The Python backend's ``EXECUTION_ENV_PATH`` parameter when it names a path in the model
    folder (``$$TRITON_MODEL_DIRECTORY/...``, which the backend replaces with the folder): the
    name and its kind (``outside`` when it climbs out). Other paths are the server's."""
    found = config.get("triton.parameters.EXECUTION_ENV_PATH")
    if found is None or not isinstance(found.value, str):
        return None
    if not found.value.startswith(_MODEL_DIR_KEYWORD):
        return None
    name = found.value[len(_MODEL_DIR_KEYWORD) :].lstrip("/")
    if not name:  # the model folder itself: a folder, which the backend takes as an env
        return None
    kind = "outside" if _outside(name) else _kind(model_dir / name)
    return {"value": found.value, "name": name, "kind": kind}


def _backend_libraries(model_dir: Path, numbers: list[int]) -> list[str]:
    """The ``libtriton_<backend>.so`` files Triton would load a model's backend from before its
    backend directory: in a version folder, then in the model folder (names, relative to the
    model folder; the backend names them)."""
    found = []
    for folder, shown in [(model_dir / str(n), f"{n}/") for n in numbers] + [(model_dir, "")]:
        try:
            names = sorted(p.name for p in folder.iterdir())
        except OSError:
            continue
        for name in names:
            library = name.startswith("libtriton_") and name.endswith(".so")
            if library and _kind(folder / name) == "file":
                found.append(shown + name)
    return found


def model_dirs(repo: Path) -> Iterable[Path]:
    """Every folder Triton would poll as a model, hidden ones excluded (see repo.hidden_dirs)."""
    return [p for p in _subdirs(repo) if not _hidden(p.name)]


def _hidden(name: str) -> bool:
    return name.startswith(".") or name == "__pycache__"


def _holds_config(folder: Path) -> bool:
    """A config.pbtxt file in ``folder`` (not looked for outside the repository)."""
    return safe_files.inside(folder) and safe_files.is_file(folder / "config.pbtxt")


def extract_repository(repo: Path) -> Facts:
    """``repo.*``: the model folder names and the hidden or cache folders of the repository;
    ``repo.config_folders``: the model folders holding a config.pbtxt; ``repo.nested_models``:
    of the others, those whose own subfolders (not version folders) hold one, as
    ``{name, path, models}``: what a folder one level above a repository looks like."""
    here = Location(str(repo), None, None)
    subs = _subdirs(repo)
    hidden = [{"name": p.name, "path": str(p)} for p in subs if _hidden(p.name)]
    models = [p for p in subs if not _hidden(p.name)]
    with_config = [p.name for p in models if _holds_config(p)]
    nested = []
    for folder in models:
        if folder.name in with_config:
            continue
        inner = [
            q.name
            for q in _subdirs(folder)
            if not _hidden(q.name) and not q.name.isdigit() and _holds_config(q)
        ]
        if inner:
            nested.append({"name": folder.name, "path": str(folder), "models": inner})
    return {
        "repo.hidden_dirs": Fact(hidden, here),
        "repo.models": Fact([p.name for p in models], here),
        "repo.config_folders": Fact(with_config, here),
        "repo.nested_models": Fact(nested, here),
    }


def item_of(folder: VersionFolder) -> dict[str, Any]:
    """A version folder as a JSON-like item (the ``layout.version_folders`` form)."""
    return {
        "name": folder.name,
        "path": str(folder.path),
        "number": folder.number,
        "reading": folder.reading,
    }
