"""The model folder as Triton lays it out: names, version folders, platform and backend,
model files. (The repository's own folders: rules TRITON023/024 are plain conditions.)"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..data.triton_backends import BACKENDS, PLATFORMS
from ..facts import value_of
from ..model import Facts, Location, Problem
from . import MissingFact, check, problem
from ._model_config import Config, config, config_path, is_tensorrt, model_name, resolved


@check(
    "triton.config-present",
    requires=("layout.config_file",),
    kinds=("missing", "no-backend"),
)
def config_present(facts: Facts, params: Mapping[str, Any]) -> list[Problem]:
    """The model folder has a config.pbtxt, or Triton's auto-complete can do without one.

    Core (model_repository_manager.cc) reads config.pbtxt unless auto-complete is on and the
    file is missing; then it starts from an empty config, and AutoCompleteBackendFields must
    find a backend (``autocomplete.*``): from a model file in the first subfolder, or from a
    folder named ``<name>.<backend>``. ``missing``: auto-complete is off
    (``target.auto_complete`` false); ``no-backend``: nothing names a backend.
    """
    if facts["layout.config_file"].value != "missing":
        return []
    folder = value_of(facts, "layout.folder_path")
    where = Location(str(folder)) if folder is not None else None
    if value_of(facts, "target.auto_complete") is False:
        return [problem("missing", where, config=config_path(facts))]
    if value_of(facts, "autocomplete.name_error") is True:
        return [problem("no-backend", where, config=config_path(facts), model=model_name(facts))]
    # without the derivation (a check run on bare facts): the files autofill recognises
    if value_of(facts, "autocomplete.backend") is None and not value_of(
        facts, "layout.autofill_files"
    ):
        return [problem("missing", where, config=config_path(facts))]
    return []


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


# core GetBackendTypeFromPlatform / GetBackendType (model_config_utils.cc): "libtorch" is no
# known platform there, and backend "pytorch" is always BACKEND_TYPE_PYTORCH.
_PLATFORM_TYPE = {
    "tensorflow_graphdef": "tensorflow",
    "tensorflow_savedmodel": "tensorflow",
    "tensorrt_plan": "tensorrt",
    "onnxruntime_onnx": "onnxruntime",
    "pytorch_libtorch": "pytorch",
    "torch_aoti": "torchaoti",
}
_BACKEND_TYPE = {
    "tensorflow": "tensorflow",
    "tensorrt": "tensorrt",
    "onnxruntime": "onnxruntime",
    "pytorch": "pytorch",
}


@check(
    "triton.platform-backend",
    requires=("triton.config",),
    kinds=("ensemble-backend", "unspecified", "unknown-platform", "pair"),
)
def platform_backend(facts: Facts, params: Mapping[str, Any]) -> list[Problem]:
    """platform and backend, as auto-complete leaves them (``autocomplete.*``), name a pair
    Triton knows (core ValidateModelConfig): a backend is set unless the platform is
    ``ensemble``, an ensemble has no backend, and a backend Triton knows by name goes with
    its own platform.

    ``unspecified``: auto-complete found no backend and the folder name gives none either
    (AutoCompleteBackendFields: "Invalid model name"); ``unknown-platform``: no backend after
    auto-complete (a platform it does not know, or a default_model_filename it cannot place).
    """
    cfg = config(facts)
    msg = cfg.message
    platform, backend, _ = resolved(facts, msg)
    fields = {"model": cfg.model, "platform": platform, "backend": backend}
    if value_of(facts, "autocomplete.name_error") is True:
        return [problem("unspecified", cfg.at(), **fields)]
    if not backend:
        if platform == "ensemble":
            return []
        return [problem("unknown-platform", cfg.at("platform"), **fields)]
    if platform == "ensemble":
        return [problem("ensemble-backend", cfg.at("backend"), **fields)]
    kind = _BACKEND_TYPE.get(backend)
    if kind is not None and kind != _PLATFORM_TYPE.get(platform):
        return [problem("pair", cfg.at("platform" if cfg.has("platform") else None), **fields)]
    return []


def _model_file(facts: Facts, msg: Any) -> tuple[str, str] | None:
    """The model file the backend opens and its kind, or None when the backend needs none we
    know. Platform, backend and default_model_filename as auto-complete leaves them."""
    platform, backend, filename = resolved(facts, msg)
    if platform == "ensemble" or backend == "tensorrtllm" or not backend:
        return None
    if value_of(facts, "autocomplete.how") == "folder name":
        return None  # a custom backend named by the folder: what it opens is its own business
    kind = "any"
    default = None
    if platform in PLATFORMS and PLATFORMS[platform][0] == backend:
        _, default, kind = PLATFORMS[platform]
    elif backend in BACKENDS:
        default, kind = BACKENDS[backend]
    if filename:
        return filename, kind if default else "any"
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
    wanted = _model_file(facts, msg)
    if wanted is None:
        return []
    field = "default_model_filename" if msg.default_model_filename else None
    field = field or ("platform" if msg.platform else "backend" if msg.backend else None)
    files: list[tuple[str, str, str | None]] = []  # (file, kind, field)
    if msg.cc_model_filenames:
        for cc, file in sorted(msg.cc_model_filenames.items()):
            files.append((file, wanted[1], f"cc_model_filenames[{cc}]"))
    else:
        files.append((wanted[0], wanted[1], field))
    kinds = {(f["version"], f["name"]): f["kind"] for f in facts["layout.model_files"].value}
    found = []
    trt = is_tensorrt(msg, facts)
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


@check(
    "triton.python-model-file",
    requires=("autocomplete.backend", "autocomplete.default_model_filename"),
    kinds=("suffix",),
)
def python_model_file(facts: Facts, params: Mapping[str, Any]) -> list[Problem]:
    """A Python-backend model's file name ends the way the stub accepts: python_backend's
    ModelContext::StubSetup takes ``find_last_of(".py")``, so the last character must be
    one of '.', 'p', 'y' (``model.python``, which a ``<name>.python`` folder gets from
    auto-complete, is refused)."""
    if facts["autocomplete.backend"].value != "python":
        return []
    name = facts["autocomplete.default_model_filename"].value or "model.py"
    base = str(name).rsplit("/", 1)[-1]
    if base and base[-1] in ".py":
        return []
    field = "default_model_filename"
    where = facts["autocomplete.default_model_filename"].location
    locations = value_of(facts, "triton.locations")
    if isinstance(locations, dict) and field in locations and where is not None:
        where = Location(where.path, locations[field][0], locations[field][1])
    return [problem("suffix", where, model=model_name(facts), file=base)]
