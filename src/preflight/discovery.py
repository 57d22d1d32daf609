"""Where things are in a model repository: models, engine directories, build logs, engines.

Nothing here reads an artifact's content beyond what is needed to find others.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path, PurePosixPath

# The parameters an engine directory is read from: the tensorrtllm backend's decoder and
# encoder paths, then `engine_dir`, which some model configurations name it by.
ENGINE_DIR_PARAMETERS = ("gpt_model_path", "encoder_model_path", "engine_dir")
MANIFEST_NAME = "preflight-manifest.json"  # written by `preflight manifest write`
PLACEHOLDER = re.compile(r"\$\{[^}]*\}")  # a value fill_template.py left unfilled


def version_dirs(model_dir: Path) -> list[Path]:
    """Numeric version folders (ASCII digits: "³".isdigit() is true too), highest last."""
    found = [p for p in model_dir.iterdir() if p.is_dir() and p.name.isascii() and p.name.isdigit()]
    return sorted(found, key=lambda p: int(p.name))


def relative_to_repo(path: str | Path, repo: Path) -> str:
    """``path`` as the report shows it: relative to REPO by its text, symlinks not followed
    (a model folder linked from elsewhere stays where the repository has it). Paths outside
    the repository stay as given."""
    text = os.path.abspath(path)
    root = os.path.abspath(repo)
    if text == root:
        return "."
    if text.startswith(root.rstrip(os.sep) + os.sep):
        return Path(os.path.relpath(text, root)).as_posix()
    return str(path)


def map_path(value: str, repo: Path, path_map: list[tuple[str, str]]) -> tuple[Path | None, str]:
    """Resolve a path written in a config (often a path inside the serving container).

    Order: an explicit ``FROM=TO`` mapping; the path itself when it exists (relative paths
    are taken from REPO); then the longest tail of the path that exists inside REPO
    (``/models/tensorrt_llm/1`` -> ``REPO/tensorrt_llm/1``). Returns the path, or None, and
    a sentence saying which mapping was used or why none applies.
    """
    if PLACEHOLDER.search(value):
        return None, f"{value!r} is an unfilled template placeholder"
    if value != value.strip():
        return None, f"{value!r} has white space around it: the backend keeps it in the path"
    for src, dst in path_map:
        src_norm = src.rstrip("/")
        if value == src_norm or value.startswith(src_norm + "/"):
            rest = value[len(src_norm) :].lstrip("/")
            mapped = Path(dst) / rest if rest else Path(dst)
            if not mapped.is_absolute():
                mapped = repo / mapped
            return mapped, f"{value} -> {mapped} (path map {src}={dst})"
    direct = Path(value) if Path(value).is_absolute() else repo / value
    if direct.is_dir():
        return direct, f"{value} (exists as written)"
    if direct.exists():
        return None, f"{value} is a file, not a folder"
    parts = [p for p in PurePosixPath(value).parts if p not in ("/", "")]
    for start in range(len(parts)):
        tail = parts[start:]
        candidate = repo.joinpath(*tail)
        shown = "/".join(tail)
        if candidate.is_dir():
            return candidate, f"{value} -> {shown} (matched by its tail inside the repository)"
        if candidate.exists():
            return None, f"{value} -> {shown} is a file, not a folder"
    return None, f"{value} does not exist, and no tail of it exists inside the repository"


def build_log_in(engine_dir: Path) -> tuple[Path | None, str]:
    """The build log beside the engines: `build.log` when present, else the only `*.log`."""
    if not engine_dir.is_dir():
        return None, f"engine directory {engine_dir} not found"
    logs = sorted(p for p in engine_dir.glob("*.log") if p.is_file())
    if not logs:
        return None, f"no *.log file in {engine_dir.name}/ (pass --build-log FILE)"
    for preferred in ("build.log", "trtllm-build.log"):
        for log in logs:
            if log.name == preferred:
                return log, f"found {log.name} in the engine directory"
    if len(logs) > 1:
        names = ", ".join(p.name for p in logs)
        return logs[0], f"several logs in the engine directory ({names}); using {logs[0].name}"
    return logs[0], f"found {logs[0].name} in the engine directory"


def rank_engine_names(engine_dir: Path, world_size: int, legacy: bool = True) -> dict[int, str]:
    """The file name the runtime opens for each rank of an engine directory.

    ``trtllm-build`` (config.json with a ``version``) writes ``rank<r>.engine``. The legacy
    per-model build scripts (config.json with ``builder_config`` and no ``version``) wrote
    ``<name>_<precision>_tp<tp>[_pp<pp>][_cp<cp>]_rank<r>.engine``, and the runtime still opens
    that name for such a config. When the legacy name cannot be read from config.json, the one
    ``*_rank<r>.engine`` file present is taken.
    """
    names = {rank: f"rank{rank}.engine" for rank in range(world_size)}
    if not legacy:  # the caller already knows config.json is in the trtllm-build layout
        return names
    try:
        data = json.loads((engine_dir / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):
        return names
    if not isinstance(data, dict) or "version" in data:
        return names
    builder = data.get("builder_config")
    if not isinstance(builder, dict):
        return names
    name, precision = builder.get("name"), builder.get("precision")
    tp = builder.get("tensor_parallel", 1)
    pp = builder.get("pipeline_parallel", 1)
    cp = builder.get("context_parallel", 1)
    for rank in range(world_size):
        if isinstance(name, str) and isinstance(precision, str) and isinstance(tp, int):
            extra = (f"_pp{pp}" if isinstance(pp, int) and pp > 1 else "") + (
                f"_cp{cp}" if isinstance(cp, int) and cp > 1 else ""
            )
            names[rank] = f"{name}_{precision}_tp{tp}{extra}_rank{rank}.engine"
        else:
            found = sorted(p.name for p in engine_dir.glob(f"*_rank{rank}.engine"))
            if len(found) == 1:
                names[rank] = found[0]
    return names
