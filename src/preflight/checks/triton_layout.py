"""The model folder as Triton lays it out: names, version folders, platform and backend,
model files. (The repository's own folders: rules TRITON023/024 are plain conditions.)"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..data.triton_backends import BACKENDS, PLATFORMS
from ..facts import value_of
from ..model import Facts, Location, Problem
from . import MissingFact, check, problem
from ._model_config import Config, config, config_path, is_tensorrt, model_name


@check(
    "triton.config-present",
    requires=("layout.config_file", "layout.autofill_files"),
    kinds=("missing",),
)
def config_present(facts: Facts, params: Mapping[str, Any]) -> list[Problem]:
    """The model folder has a config.pbtxt, or a model file Triton's autofill recognises in
    its first version folder (``layout.autofill_files``)."""
    if facts["layout.config_file"].value != "missing" or facts["layout.autofill_files"].value:
        return []
    folder = value_of(facts, "layout.folder_path")
    where = Location(str(folder)) if folder is not None else None
    return [problem("missing", where, config=config_path(facts))]


@check("triton.model-name", requires=("triton.config", "layout.folder_name"), kinds=("mismatch",))
def model_name_matches(facts: Facts, params: Mapping[str, Any]) -> list[Problem]:
    """The config's ``name``, when it has one, equals the model folder's name."""
    cfg = config(facts)
    name = cfg.message.name
    if not name or name == cfg.model:
        return []
    return [problem("mismatch", cfg.at("name"), name=name, folder=cfg.model)]


# -- versions -----------------------------------------------------------------------------


def _found(facts: Facts) -> list[int]:
    """Version numbers Triton reads from the folder names (``layout.version_folders``)."""
    folders = facts["layout.version_folders"].value
    return sorted({f["number"] for f in folders if isinstance(f.get("number"), int)})


def _policy(facts: Facts) -> tuple[Config | None, str | None]:
    """The parsed config (None when there is no config.pbtxt) and its version policy choice.
    A config that is there but does not parse: MissingFact("triton.config")."""
    if value_of(facts, "layout.config_file") == "missing" and "triton.config" not in facts:
        return None, None
    cfg = config(facts)
    msg = cfg.message
    if not msg.HasField("version_policy"):
        return cfg, None
    return cfg, msg.version_policy.WhichOneof("policy_choice")


def loaded_versions(facts: Facts) -> list[int]:
    """The versions the version policy loads (the newest one by default)."""
    cfg, which = _policy(facts)
    found = _found(facts)
    if which == "all":
        return found
    if which == "specific":
        assert cfg is not None
        wanted = {int(v) for v in cfg.message.version_policy.specific.versions}
        return sorted(v for v in wanted if v in found)
    count = 1
    if which == "latest":
        assert cfg is not None
        count = int(cfg.message.version_policy.latest.num_versions)
    return found[-count:] if count > 0 else []


def _at(facts: Facts, cfg: Config | None, field: str | None) -> Location:
    return cfg.at(field) if cfg is not None else Location(config_path(facts), 1, None)


@check(
    "triton.loadable-version",
    requires=("layout.version_folders", "layout.config_file"),
    kinds=("none",),
)
def loadable_version(facts: Facts, params: Mapping[str, Any]) -> list[Problem]:
    """The version policy (the newest version when config.pbtxt has none, or there is no
    config.pbtxt) selects at least one version folder."""
    cfg, which = _policy(facts)
    if loaded_versions(facts):
        return []
    where = _at(facts, cfg, "version_policy" if which else None)
    return [problem("none", where, model=model_name(facts), versions=_found(facts))]


@check(
    "triton.specific-versions",
    requires=("layout.version_folders", "layout.config_file"),
    kinds=("missing",),
)
def specific_versions(facts: Facts, params: Mapping[str, Any]) -> list[Problem]:
    """Every version a ``specific`` version policy names has its version folder."""
    cfg, which = _policy(facts)
    if which != "specific" or cfg is None:
        return []
    found = set(_found(facts))
    wanted = {int(v) for v in cfg.message.version_policy.specific.versions}
    return [
        problem("missing", cfg.at("version_policy"), model=cfg.model, version=v)
        for v in sorted(wanted - found)
    ]


# -- platform, backend, model file --------------------------------------------------------


@check(
    "triton.platform-backend",
    requires=("triton.config", "layout.autofill_files"),
    kinds=("ensemble-backend", "unspecified", "unknown-platform", "pair"),
)
def platform_backend(facts: Facts, params: Mapping[str, Any]) -> list[Problem]:
    """platform and backend name a pair Triton knows: an ensemble has no backend, an unknown
    platform needs a backend, a known platform goes with its own backend. Neither may be
    missing unless autofill finds a model file."""
    cfg = config(facts)
    msg = cfg.message
    platform, backend = msg.platform, msg.backend
    fields = {"model": cfg.model, "platform": platform, "backend": backend}
    if platform == "ensemble":
        if backend:
            return [problem("ensemble-backend", cfg.at("backend"), **fields)]
        return []
    if not platform and not backend:
        if facts["layout.autofill_files"].value:
            return []
        return [problem("unspecified", cfg.at(), **fields)]
    if not backend and platform not in PLATFORMS:
        return [problem("unknown-platform", cfg.at("platform"), **fields)]
    if platform and backend in {b for b, _, _ in PLATFORMS.values()}:
        expected = PLATFORMS.get(platform, ("", "", ""))[0]
        if expected != backend:
            return [problem("pair", cfg.at("platform"), **fields)]
    return []


def _model_file(msg: Any) -> tuple[str, str] | None:
    """The default model file and its kind, or None when the backend needs none we know."""
    platform, backend = msg.platform, msg.backend
    if platform == "ensemble" or backend == "tensorrtllm":
        return None
    kind = "any"
    default = None
    if platform in PLATFORMS and (not backend or PLATFORMS[platform][0] == backend):
        _, default, kind = PLATFORMS[platform]
    elif backend in BACKENDS:
        default, kind = BACKENDS[backend]
    if msg.default_model_filename:
        return msg.default_model_filename, kind if default else "any"
    return (default, kind) if default else None


@check(
    "triton.model-files",
    requires=("triton.config", "layout.model_files", "layout.version_folders"),
    kinds=("not-a-file", "not-a-directory", "no-instance-file", "no-file", "outside"),
)
def model_files(facts: Facts, params: Mapping[str, Any]) -> list[Problem]:
    """Each loaded version folder holds the model file the backend opens: its
    default_model_filename (each cc_model_filenames entry instead when there are some), else
    the platform's or backend's default; a file or a folder as the backend needs it.

    ``no-instance-file``: the TensorRT backend's wording; ``outside``: the configured name
    leads out of the version folder, where preflight does not look.
    """
    cfg = config(facts)
    msg = cfg.message
    wanted = _model_file(msg)
    if wanted is None:
        return []
    field = "default_model_filename" if msg.default_model_filename else None
    field = field or ("platform" if msg.platform else "backend")
    files: list[tuple[str, str, str]] = []  # (file, kind, field)
    if msg.cc_model_filenames:
        for cc, file in sorted(msg.cc_model_filenames.items()):
            files.append((file, wanted[1], f"cc_model_filenames[{cc}]"))
    else:
        files.append((wanted[0], wanted[1], field))
    kinds = {(f["version"], f["name"]): f["kind"] for f in facts["layout.model_files"].value}
    found = []
    trt = is_tensorrt(msg)
    for v in loaded_versions(facts):
        for file, want, where in files:
            if (v, file) not in kinds:
                raise MissingFact("layout.model_files")
            have = kinds[(v, file)]
            fields = {"model": cfg.model, "version": v, "file": f"{cfg.model}/{v}/{file}"}
            if have == "outside":
                found.append(problem("outside", cfg.at(where), name=file, **fields))
            elif have == "missing":
                kind = "no-instance-file" if trt else "no-file"
                found.append(problem(kind, cfg.at(where), **fields))
            elif want == "file" and have != "file":
                found.append(problem("not-a-file", cfg.at(where), **fields))
            elif want == "dir" and have != "dir":
                found.append(problem("not-a-directory", cfg.at(where), **fields))
    return found
