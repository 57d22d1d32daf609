"""Scan a model repository: find its subjects, read each artifact once, join the facts.

Sources (``preflight.sources``) parse one artifact each and derivations (``preflight.derive``)
join them; every writer's facts are added through :func:`preflight.facts.merge` with the
writer's ``NAMESPACES``. What the scan itself finds out is in ``scan.*``:

- ``scan.model_name``: the model folder's name.
- Of a TensorRT-LLM model: ``scan.engine_dir_parameter`` (the parameter that names the engine
  directory; None without one), ``scan.engine_dir`` (the directory, relative to the
  repository; None when not found), ``scan.engine_dir_mapping`` (how the path was resolved, or
  why not), ``scan.engine_config_found`` (the directory holds a config.json file, perhaps one
  that cannot be read),
  ``scan.build_log`` (the log read), ``scan.build_log_found``, ``scan.build_log_discovery``,
  ``scan.require_build_log`` (``--require-build-log``: a missing log fails).
- Of a Python model naming a ``tokenizer_dir``: ``scan.tokenizer_dir`` (as written),
  ``scan.tokenizer_dir_mapping``, ``scan.tokenizer_dir_found``, ``scan.tokenizer_files`` (the
  tokenizer files it holds).
- Of the repository, and of each model: ``scan.backends`` (the backends the repository's
  models name, sorted: the image flavour the deployment needs).
- Of an engine file: ``scan.engine_kind`` (``trtllm-rank`` or ``plan``),
  ``scan.cc_model_filename_key`` (the compute capability ``cc_model_filenames`` gives the file),
  ``scan.require_deserialize`` (with ``--deserialize``: whether an attempt that could not run
  fails).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from types import ModuleType

from . import safe_files
from .derive import autocomplete, backend, deploy, engines, ensemble, memory, trtllm
from .errors import RepositoryError
from .facts import merge, value_of
from .model import Fact, Facts, Location, Subject
from .paths import display, relative_to_repo
from .placeholders import is_unfilled
from .sources import (
    MANIFEST_NAME,
    engine_config,
    launch,
    plan_plugins,
    target,
    tokenizer,
    triton_config,
    triton_layout,
    trt_engine,
    trtllm_log,
)

NAMESPACES = ("scan",)

TRTLLM_BACKENDS = ("tensorrtllm",)
PLAN_PLATFORMS = ("tensorrt_plan",)
PLAN_BACKENDS = ("tensorrt",)
# The parameters an engine directory is read from: the tensorrtllm backend's decoder and
# encoder paths, then `engine_dir`, which some model configurations name it by.
ENGINE_DIR_PARAMETERS = ("gpt_model_path", "encoder_model_path", "engine_dir")
TOKENIZER_FILES = (
    "tokenizer.json",
    "tokenizer.model",
    "tokenizer_config.json",
    "vocab.json",
    "vocab.txt",
    "merges.txt",
    "spiece.model",
)


@dataclass(slots=True)
class ScanOptions:
    build_log: Path | None = None
    path_map: list[tuple[str, str]] = field(default_factory=list)
    deserialize: bool = False
    require_deserialize: bool = False
    require_build_log: bool = False  # --require-build-log: a model without a log fails TLLM001
    # a folder one level above repositories yields the repository subject alone (PF003 names
    # the repositories); only when that rule runs, so that no run passes such a folder
    stop_above_repositories: bool = False


@dataclass(slots=True)
class Scan:
    subjects: list[Subject]
    notes: list[str]


def _add(into: Facts, new: Facts, writer: ModuleType) -> Facts:
    """Add a source's or derivation's facts, held to the namespaces it declares."""
    return merge(into, new, writer.NAMESPACES)


def _own(into: Facts, new: Facts) -> Facts:
    """Add facts of the scan itself (``scan.*``)."""
    return merge(into, new, NAMESPACES)


# --- where things are ------------------------------------------------------------------------


def map_path(value: str, repo: Path, path_map: list[tuple[str, str]]) -> tuple[Path | None, str]:
    """:func:`_map_path`; a path the system refuses to look up (a name too long) is not found."""
    try:
        return _map_path(value, repo, path_map)
    except OSError as exc:
        return None, f"{value[:200]!r} cannot be looked up: {exc.strerror or exc}"


def _map_path(value: str, repo: Path, path_map: list[tuple[str, str]]) -> tuple[Path | None, str]:
    """Resolve a path written in a config (often a path inside the serving container).

    Order: an explicit ``FROM=TO`` mapping (the longest FROM that matches; the last given of
    equal ones); the path itself when it exists (relative paths
    are taken from REPO); then the longest tail of the path that exists inside REPO
    (``/models/tensorrt_llm/1`` -> ``REPO/tensorrt_llm/1``). Returns the path, or None, and
    a sentence saying which mapping was used or why none applies.
    """
    if is_unfilled(value):
        return None, f"{value!r} is an unfilled template placeholder"
    if value != value.strip():
        return None, f"{value!r} has white space around it: the backend keeps it in the path"
    # An explicit mapping wins over every guess, even when its target is missing; of several,
    # the longest FROM (the most specific), and of equally long ones the last given
    # (.preflight.yaml's come first, the command line's after them).
    chosen: tuple[str, str, str] | None = None
    for src, dst in path_map:
        src_norm = src.rstrip("/")
        matches = value == src_norm or value.startswith(src_norm + "/")
        if matches and (chosen is None or len(src_norm) >= len(chosen[0])):
            chosen = (src_norm, src, dst)
    if chosen is not None:
        src_norm, src, dst = chosen
        rest = value[len(src_norm) :].lstrip("/")
        mapped = Path(dst) / rest if rest else Path(dst)
        if not mapped.is_absolute():
            mapped = repo / mapped
        if not safe_files.inside(mapped):  # only a --path-map target may lead out
            return None, f"{value} -> {mapped} {safe_files.OUTSIDE} (path map {src}={dst})"
        return mapped, f"{value} -> {relative_to_repo(mapped, repo)} (path map {src}={dst})"
    direct = Path(value) if Path(value).is_absolute() else repo / value
    if safe_files.inside(direct):  # outside the repository: only its tails are looked at
        if safe_files.is_dir(direct):
            return direct, f"{value} (exists as written)"
        if safe_files.exists(direct):
            return None, f"{value} is a file, not a folder"
    parts = [p for p in PurePosixPath(value).parts if p not in ("/", "")]
    for start in range(len(parts)):
        tail = parts[start:]
        candidate = repo.joinpath(*tail)
        shown = "/".join(tail)
        if not safe_files.inside(candidate):
            return None, f"{value} -> {shown} {safe_files.OUTSIDE}"
        if safe_files.is_dir(candidate):
            return candidate, f"{value} -> {shown} (matched by its tail inside the repository)"
        if safe_files.exists(candidate):
            return None, f"{value} -> {shown} is a file, not a folder"
    if not safe_files.inside(direct) and safe_files.exists(direct):
        return None, f"{value} {safe_files.OUTSIDE} (map it with --path-map FROM=TO)"
    return None, f"{value} does not exist, and no tail of it exists inside the repository"


def build_log_in(engine_dir: Path) -> tuple[Path | None, str]:
    """The build log beside the engines: `build.log` when present, else the only `*.log`."""
    if not safe_files.is_dir(engine_dir):
        return None, f"engine directory {engine_dir} not found"
    logs = sorted(p for p in engine_dir.glob("*.log") if safe_files.is_file(p))
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


def _file_names(folder: Path) -> list[str]:
    try:
        return safe_files.list_dir(folder)
    except OSError:
        return []


def _versions(model_dir: Path, facts: Facts) -> dict[int, Path]:
    """The model's version folders as the layout source listed them (no second listing)."""
    listed = value_of(facts, "layout.version_folders")
    return triton_layout.versions(model_dir, listed if isinstance(listed, list) else None)


def _exists(path: Path) -> bool:
    """Something there, a dangling link too (a name too long or with a NUL: nothing)."""
    return safe_files.exists(path) or safe_files.is_link(path)


# --- engine files ----------------------------------------------------------------------------


def _engine_subject(
    path: Path,
    repo: Path,
    context: Facts,
    options: ScanOptions,
    kind: str,
    cc_key: str | None = None,
) -> Subject:
    """One engine file: its header, the deployment that loads it, TensorRT's verdict."""
    facts: Facts = dict(context)
    here = Location(str(path))
    _add(facts, trt_engine.extract(path), trt_engine)
    _own(facts, {"scan.engine_kind": Fact(kind, here)})
    if kind == "plan":  # the plugins a tensorrt_plan model's plan names (bounded scan)
        _add(facts, plan_plugins.extract(path), plan_plugins)
    if cc_key is not None:
        _own(facts, {"scan.cc_model_filename_key": Fact(cc_key, here)})
    _add(facts, deploy.derive(facts, str(path)), deploy)
    if options.deserialize:
        from .sources import deserialize  # the child process machinery, only when asked

        _add(facts, deserialize.deserialize(path), deserialize)
        _own(facts, {"scan.require_deserialize": Fact(options.require_deserialize, here)})
    model = value_of(context, "scan.model_name")
    name = relative_to_repo(path, repo)
    return Subject("trt-engine", name, str(path), facts, model=str(model or ""))


def _plan_subjects(
    model_dir: Path, repo: Path, facts: Facts, options: ScanOptions
) -> list[Subject]:
    """Ordinary TensorRT models: each version's default model file and cc_model_filenames."""
    default = (
        value_of(facts, "triton.default_model_filename")
        or value_of(facts, "autocomplete.default_model_filename")
        or "model.plan"
    )
    cc_files = value_of(facts, "triton.cc_model_filenames") or {}
    subjects = []
    for version in _versions(model_dir, facts).values():
        names = [default, *(v for v in cc_files.values() if isinstance(v, str))]
        for filename in dict.fromkeys(names):
            path = version / filename
            pure = PurePosixPath(filename)
            if pure.is_absolute() or ".." in pure.parts:
                continue  # leads out of the version folder: the layout rules report it
            if not _exists(path):
                continue  # the layout rules report a missing default model file
            cc_key = None
            for cc, mapped in cc_files.items():
                if mapped == filename:
                    cc_key = cc
            subjects.append(_engine_subject(path, repo, facts, options, "plan", cc_key))
    return subjects


# --- TensorRT-LLM models ---------------------------------------------------------------------


@dataclass(slots=True)
class _EngineDir:
    path: Path | None  # the directory the parameter (or a version folder) names
    found: bool  # it is a directory
    facts: Facts  # scan.engine_dir*


def _find_engine_dir(
    repo: Path, model_dir: Path, facts: Facts, options: ScanOptions, notes: list[str]
) -> _EngineDir:
    where = Location(str(model_dir / "config.pbtxt"))
    engine_dir: Path | None = None
    how = ""
    parameter = None
    for name in ENGINE_DIR_PARAMETERS:
        raw = value_of(facts, f"triton.parameters.{name}")
        if isinstance(raw, str) and raw.strip():
            engine_dir, how = map_path(raw, repo, options.path_map)
            where = facts[f"triton.parameters.{name}"].location or where
            how = f"{name}: {how}"
            parameter = name
            break
    if parameter is None:
        versions = [
            v for v in _versions(model_dir, facts).values() if safe_files.is_file(v / "config.json")
        ]
        if versions:
            engine_dir = versions[-1]
            how = f"no gpt_model_path parameter; using the version folder {versions[-1].name}/"
    found = engine_dir is not None and safe_files.is_dir(engine_dir)
    shown = relative_to_repo(engine_dir, repo) if engine_dir is not None and found else None
    own: Facts = {
        "scan.engine_dir_parameter": Fact(parameter, where),
        "scan.engine_dir": Fact(shown, where),
        "scan.engine_dir_mapping": Fact(how or "no gpt_model_path parameter", where),
    }
    if engine_dir is not None and found:
        config_json = engine_dir / "config.json"  # one that cannot be read is there too
        present = safe_files.is_file(config_json) or safe_files.denied(config_json) is not None
        own["scan.engine_config_found"] = Fact(present, where)
    if engine_dir is not None and found:  # notes show paths as the text report does
        notes.append(f"{model_dir.name}: engine directory {display(engine_dir)} ({how})")
    else:
        notes.append(f"{model_dir.name}: engine directory not found ({how or 'no parameter'})")
    return _EngineDir(engine_dir, found, own)


def _read_build_log(
    repo: Path,
    model_dir: Path,
    engine_dir: _EngineDir,
    facts: Facts,
    options: ScanOptions,
    notes: list[str],
) -> None:
    """The build log: --build-log, else the one in the engine directory."""
    where = facts["scan.engine_dir_parameter"].location
    log_path, how = (options.build_log, "--build-log") if options.build_log else (None, "")
    if log_path is None and engine_dir.path is not None:
        log_path, how = build_log_in(engine_dir.path)
    found = log_path is not None and safe_files.is_file(log_path)
    if log_path is not None and found:
        _add(facts, trtllm_log.extract(log_path), trtllm_log)
        _own(
            facts,
            {"scan.build_log": Fact(relative_to_repo(log_path, repo), Location(str(log_path)))},
        )
    _own(
        facts,
        {
            "scan.build_log_found": Fact(found, Location(str(engine_dir.path or model_dir))),
            "scan.build_log_discovery": Fact(how or "no build log", where),
            "scan.require_build_log": Fact(options.require_build_log, where),
        },
    )
    if log_path is not None:
        notes.append(f"{model_dir.name}: build log {display(log_path)} ({how})")


def _trtllm_subjects(
    repo: Path, model_dir: Path, model_facts: Facts, options: ScanOptions
) -> tuple[list[Subject], list[str]]:
    """``model_facts``: the model's facts with the target's."""
    notes: list[str] = []
    facts: Facts = dict(model_facts)
    engine_dir = _find_engine_dir(repo, model_dir, facts, options, notes)
    _own(facts, engine_dir.facts)
    config_json = engine_dir.path / "config.json" if engine_dir.path is not None else None
    if config_json is not None and value_of(facts, "scan.engine_config_found"):
        _add(facts, engine_config.extract(config_json), engine_config)  # or why it is unread
    manifest_file = engine_dir.path / MANIFEST_NAME if engine_dir.path is not None else None
    if engine_dir.found and manifest_file is not None and safe_files.is_file(manifest_file):
        from .sources import manifest  # hashing modules only when there is a manifest

        _add(facts, manifest.extract(manifest_file.parent), manifest)
    _read_build_log(repo, model_dir, engine_dir, facts, options, notes)
    _add(facts, trtllm.derive(facts), trtllm)
    _add(facts, backend.derive(facts), backend)

    subjects: list[Subject] = []
    world = value_of(facts, "engine_config.world_size_effective")
    if engine_dir.path is not None and isinstance(world, int) and world >= 1:
        names: dict[int, str] = {}
        rank_facts: dict[int, Facts] = {}
        if world <= engines.MAX_WORLD_SIZE:
            names = engines.rank_file_names(facts, world, _file_names(engine_dir.path))
            for rank, filename in names.items():
                path = engine_dir.path / filename
                if _exists(path):
                    sub = _engine_subject(path, repo, facts, options, "trtllm-rank")
                    rank_facts[rank] = sub.facts
                    subjects.append(sub)
        ranks = engines.derive(facts, str(engine_dir.path), world, names, rank_facts)
        _add(facts, ranks, engines)
        _add(facts, memory.derive(facts), memory)
    subjects.extend(_encoder_engines(repo, facts, engine_dir.path, options, notes))
    model = Subject("trtllm-model", model_dir.name, str(model_dir), facts, model=model_dir.name)
    subjects.insert(0, model)
    return subjects, notes


def _encoder_engines(
    repo: Path, facts: Facts, decoder_dir: Path | None, options: ScanOptions, notes: list[str]
) -> list[Subject]:
    """An encoder-decoder model's encoder engines (``encoder_model_path`` beside
    ``gpt_model_path``): each gets the engine checks; the model-level rules read the decoder."""
    raw = value_of(facts, "triton.parameters.encoder_model_path")
    if value_of(facts, "scan.engine_dir_parameter") != "gpt_model_path" or not isinstance(raw, str):
        return []
    encoder_dir, how = map_path(raw, repo, options.path_map)
    if encoder_dir is None or not safe_files.is_dir(encoder_dir) or encoder_dir == decoder_dir:
        return []
    notes.append(f"{value_of(facts, 'scan.model_name')}: encoder engines encoder_model_path: {how}")
    world = value_of(
        engine_config.extract(encoder_dir / "config.json"), "engine_config.world_size_effective"
    )
    if not isinstance(world, int) or not 1 <= world <= engines.MAX_WORLD_SIZE:
        return []
    context = {k: f for k, f in facts.items() if not k.startswith(("engines.", "manifest."))}
    found = []
    for rank in range(world):
        path = encoder_dir / f"rank{rank}.engine"
        if _exists(path):
            found.append(_engine_subject(path, repo, context, options, "trtllm-rank"))
    return found


# --- Python models ---------------------------------------------------------------------------


def _tokenizer_dir(facts: Facts, repo: Path, path_map: list[tuple[str, str]]) -> Facts:
    """The folder a pre/postprocessing model's ``tokenizer_dir`` names, and its tokenizer files."""
    if _backend(facts) != "python" or "triton.parse_error" in facts:
        return {}
    written = facts.get("triton.parameters.tokenizer_dir")
    if written is None or not isinstance(written.value, str) or is_unfilled(written.value):
        return {}
    raw = written.value.strip()
    if not raw:
        return {}
    where = written.location
    mapped, how = map_path(raw, repo, path_map)
    found = mapped is not None and safe_files.is_dir(mapped)
    out: Facts = {
        "scan.tokenizer_dir": Fact(raw, where),
        "scan.tokenizer_dir_mapping": Fact(how, where),
        "scan.tokenizer_dir_found": Fact(found, where),
    }
    if mapped is not None and found:
        names = [n for n in _file_names(mapped) if safe_files.is_file(mapped / n)]
        files = [n for n in names if n in TOKENIZER_FILES or n.endswith(".tiktoken")]
        out["scan.tokenizer_files"] = Fact(files, where)
    return out


def _tokenizer(facts: Facts, model_dir: Path, repo: Path, path_map: list[tuple[str, str]]) -> Facts:
    """The tokenizer folder's tokenizer_config.json (as JSON data) and how the model's model.py
    loads it (as text), for a Python model whose tokenizer_dir was found."""
    written = value_of(facts, "scan.tokenizer_dir")
    if value_of(facts, "scan.tokenizer_dir_found") is not True or not isinstance(written, str):
        return {}
    folder, _ = map_path(written, repo, path_map)
    out: Facts = tokenizer.extract_dir(folder) if folder is not None else {}
    versions = _versions(model_dir, facts)
    if versions:
        code = versions[max(versions)] / "model.py"
        if safe_files.is_file(code):
            out.update(tokenizer.extract_loader(code))
    return out


# --- the repository --------------------------------------------------------------------------


def _backend(facts: Facts) -> object:
    """The backend Triton settles on (auto-complete), else the one the config names."""
    resolved = value_of(facts, "autocomplete.backend")
    return resolved if resolved else value_of(facts, "triton.backend")


def scan(repo: Path, target_facts: Facts, options: ScanOptions) -> Scan:
    """Every subject of the repository ``repo`` with its facts, and notes on what was found."""
    if not safe_files.exists(repo):
        raise RepositoryError(f"{repo}: no such directory")
    if not safe_files.is_dir(repo):
        raise RepositoryError(f"{repo}: not a directory (preflight check takes a model repository)")
    try:
        dirs = list(triton_layout.model_dirs(repo))
    except OSError as exc:
        raise RepositoryError(f"{repo}: cannot read the repository: {exc.strerror}") from None

    subjects: list[Subject] = []
    notes: list[str] = []
    model_facts: dict[str, Facts] = {}
    for model_dir in dirs:
        facts: Facts = {}
        _own(facts, {"scan.model_name": Fact(model_dir.name, Location(str(model_dir)))})
        config = triton_config.parse(model_dir / "config.pbtxt")
        _add(facts, triton_config.config_facts(config), triton_config)
        _add(facts, triton_layout.extract_model(model_dir, facts), triton_layout)
        _add(facts, autocomplete.derive({**facts, **target_facts}), autocomplete)
        model_facts[model_dir.name] = facts
    for name, joined in ensemble.derive_repository(model_facts).items():
        _add(model_facts[name], joined, ensemble)
    launch_facts = launch.extract(repo)  # launch commands the repository holds, read as text
    repo_facts: Facts = {}
    _add(repo_facts, target_facts, target)
    # which backends the repository's models name: the container flavour they need
    named = {_backend(f) for f in model_facts.values()}  # as auto-complete settles them
    backends = Fact(sorted(b for b in named if isinstance(b, str) and b))
    _own(repo_facts, {"scan.backends": backends})
    _add(repo_facts, triton_layout.extract_repository(repo), triton_layout)
    subjects.append(Subject("repo", ".", str(repo), repo_facts))
    if (
        options.stop_above_repositories
        and value_of(repo_facts, "repo.nested_models")
        and not value_of(repo_facts, "repo.config_folders")
    ):  # a folder one level above repositories: PF003 names them, not one finding per folder
        return Scan(subjects, notes)

    for name, facts in model_facts.items():
        _add(facts, backend.python_model_facts(facts, model_facts), backend)
        _own(facts, _tokenizer_dir(facts, repo, options.path_map))
        _add(facts, _tokenizer(facts, repo / name, repo, options.path_map), tokenizer)
        _own(facts, {"scan.backends": backends})
        model_dir = repo / name
        with_target = _add(dict(facts), target_facts, target)
        subjects.append(Subject("triton-model", name, str(model_dir), with_target, model=name))
        kind = _backend(facts)
        platform = value_of(facts, "autocomplete.platform") or value_of(facts, "triton.platform")
        if kind in TRTLLM_BACKENDS:
            with_launch = _add(dict(with_target), launch_facts, launch)
            extra, more_notes = _trtllm_subjects(repo, model_dir, with_launch, options)
            subjects.extend(extra)
            notes.extend(more_notes)
        elif kind in PLAN_BACKENDS or (not kind and platform in PLAN_PLATFORMS):
            subjects.extend(_plan_subjects(model_dir, repo, with_target, options))
    return Scan(subjects, notes)
