"""Scan a model repository: run the sources and group their facts into subjects."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import discovery, trtllm_join
from .errors import UsageError
from .facts import value_of
from .model import Fact, Facts, Location, Subject

TRTLLM_BACKENDS = ("tensorrtllm",)
MAX_WORLD_SIZE = 4096  # ranks checked one by one; a config.json claiming more is a finding
PLAN_PLATFORMS = ("tensorrt_plan",)
PLAN_BACKENDS = ("tensorrt",)


@dataclass(slots=True)
class ScanOptions:
    build_log: Path | None = None
    path_map: list[tuple[str, str]] = field(default_factory=list)
    deserialize: bool = False
    require_deserialize: bool = False


@dataclass(slots=True)
class Scan:
    subjects: list[Subject]
    notes: list[str]


def _relative(path: Path, repo: Path) -> str:
    return discovery.relative_to_repo(path, repo)


def _engine_subject(
    path: Path, name: str, context: Facts, options: ScanOptions, kind_fact: str
) -> Subject:
    from .sources import trt_engine

    facts: Facts = dict(context)
    facts.update(trt_engine.extract(path))
    here = Location(str(path))
    facts["engine.kind"] = Fact(kind_fact, here)
    facts.update(_deployment(facts, kind_fact, here))
    if options.deserialize:
        from .deserialize import deserialize

        result = deserialize(path)
        facts.update(result)
        status = value_of(result, "deserialize.status")
        if status == "skipped" and options.require_deserialize:
            facts["deserialize.ok"] = Fact(False, here)
        elif status in ("ok", "failed", "crashed", "timeout"):
            facts["deserialize.ok"] = Fact(status == "ok", here)
    return Subject("trt-engine", name, str(path), facts)


def _deployment(facts: Facts, kind: str, here: Location) -> Facts:
    """`deploy.*`: the TensorRT and GPU that will load this engine; containers with its TensorRT."""
    from .target import releases_with_trt

    out: Facts = {}
    key, flavor = (
        ("target.trt_version", "trtllm")
        if kind == "trtllm-rank"
        else ("target.trt_version_plain", "plain")
    )
    deploy = facts.get(key)
    if deploy is not None:
        out["deploy.trt_version"] = Fact(deploy.value, here)
        sources = value_of(facts, "target.sources") or {}
        origin = sources.get(key.removeprefix("target."), "")
        out["deploy.trt_version_source"] = Fact(origin.split(" (")[0] or key, here)
    cc_key = facts.get("engine.cc_model_filename_key")
    target_cc = facts.get("target.compute_capability")
    if cc_key is not None:
        out["deploy.compute_capability"] = Fact(cc_key.value, here)
        out["deploy.gpu"] = Fact(
            f"GPUs of compute capability {cc_key.value} (cc_model_filenames)", here
        )
    elif target_cc is not None:
        out["deploy.compute_capability"] = Fact(target_cc.value, here)
        out["deploy.gpu"] = Fact(f"the target {value_of(facts, 'target.gpu')}", here)
    built = value_of(facts, "engine.trt_version")
    if isinstance(built, str):
        rows = releases_with_trt(built, flavor)
        label = "-trtllm-python-py3" if flavor == "trtllm" else "-py3"
        shown = (
            ", ".join(f"{r.triton}{label}" for r in rows) if rows else "none in the release table"
        )
        out["deploy.containers_with_engine_trt"] = Fact(shown, here)
    return out


def _trtllm_subjects(
    repo: Path, model_dir: Path, model_facts: Facts, target: Facts, options: ScanOptions
) -> tuple[list[Subject], list[str]]:
    from .sources import backend_params, engine_config, trtllm_log
    from .target import gpu_for_cluster_key

    notes: list[str] = []
    name = model_dir.name
    facts: Facts = dict(model_facts)
    facts.update(target)
    where = Location(str(model_dir / "config.pbtxt"))
    engine_dir: Path | None = None
    how = ""
    named = False
    for parameter in discovery.ENGINE_DIR_PARAMETERS:
        raw = value_of(facts, f"triton.parameters.{parameter}")
        if isinstance(raw, str) and raw.strip():
            engine_dir, how = discovery.map_path(raw, repo, options.path_map)
            where = facts[f"triton.parameters.{parameter}"].location or where
            how = f"{parameter}: {how}"
            named = True
            facts["trtllm.engine_dir_parameter"] = Fact(parameter, where)
            break
    if not named:
        facts["trtllm.engine_dir_parameter"] = Fact(None, where)
        versions = [v for v in discovery.version_dirs(model_dir) if (v / "config.json").is_file()]
        if versions:
            engine_dir = versions[-1]
            how = f"no gpt_model_path parameter; using the version folder {versions[-1].name}/"
    found = engine_dir is not None and engine_dir.is_dir()
    shown = _relative(engine_dir, repo) if engine_dir is not None and found else None
    facts["trtllm.engine_dir"] = Fact(shown, where)
    facts["trtllm.engine_dir_mapping"] = Fact(how or "no gpt_model_path parameter", where)
    notes.append(f"{name}: engine directory {how or 'not found'}")

    if found and engine_dir is not None and not (engine_dir / "config.json").is_file():
        problem = f"no config.json in {shown}/: it is not the folder trtllm-build wrote"
        facts["trtllm.engine_config_problem"] = Fact(problem, where)
    if engine_dir is not None and (engine_dir / "config.json").is_file():
        facts.update(engine_config.extract(engine_dir / "config.json"))
        error = value_of(facts, "engine_config.parse_error")
        if isinstance(error, dict):
            facts["trtllm.engine_config_problem"] = Fact(
                f"config.json does not parse: {error.get('message')}",
                facts["engine_config.parse_error"].location,
            )
        built_with = value_of(facts, "engine_config.version")
        if isinstance(built_with, str):
            from .target import trt_for_trtllm

            expected_trt = trt_for_trtllm(built_with)
            if expected_trt is not None:
                loc = facts["engine_config.version"].location
                facts["trtllm.expected_trt_version"] = Fact(expected_trt, loc)
    if engine_dir is not None and found and (engine_dir / discovery.MANIFEST_NAME).is_file():
        from .manifest import verify_manifest  # hashing modules only when there is one

        facts.update(verify_manifest(engine_dir))
    log_path, log_how = (options.build_log, "--build-log") if options.build_log else (None, "")
    if log_path is None and engine_dir is not None:
        log_path, log_how = discovery.build_log_in(engine_dir)
    if log_path is not None and log_path.is_file():
        facts.update(trtllm_log.extract(log_path))
        facts["trtllm.build_log"] = Fact(_relative(log_path, repo), Location(str(log_path)))
    facts["trtllm.build_log_found"] = Fact(
        log_path is not None and log_path.is_file(), Location(str(engine_dir or model_dir))
    )
    facts["trtllm.build_log_discovery"] = Fact(log_how or "no build log", where)
    if log_path is not None:
        notes.append(f"{name}: build log {_relative(log_path, repo)} ({log_how})")
    facts.update(trtllm_join.join(facts, gpu_for_cluster_key))
    facts.update(backend_params.backend_facts(facts))

    subjects: list[Subject] = []
    world = value_of(facts, "engine_config.world_size_effective")
    if engine_dir is not None and isinstance(world, int) and world > MAX_WORLD_SIZE:
        where_ws = facts["engine_config.world_size_effective"].location
        text = f"an implausible world size: over {MAX_WORLD_SIZE} ranks are not checked one by one"
        facts["engines.world_size"] = Fact(world, where_ws)
        facts["engines.missing_ranks"] = Fact([{"text": text}], where_ws)
        facts["engines.empty_ranks"] = Fact([], where_ws)
    elif engine_dir is not None and isinstance(world, int) and world >= 1:
        engines: dict[int, Facts] = {}
        legacy = value_of(facts, "engine_config.format") == "legacy"
        names = discovery.rank_engine_names(engine_dir, world, legacy)
        for rank in range(world):
            path = engine_dir / names[rank]
            if not path.exists() and not path.is_symlink():
                continue
            rel = _relative(path, repo)
            sub = _engine_subject(path, rel, facts, options, "trtllm-rank")
            engines[rank] = sub.facts
            subjects.append(sub)
        facts.update(trtllm_join.rank_facts(world, engines, str(engine_dir), facts, names))
        facts.update(_agreement(engines, engine_dir))
    subjects.extend(_encoder_engines(repo, facts, engine_dir, options, notes))
    subjects.insert(0, Subject("trtllm-model", name, str(model_dir), facts))
    return subjects, notes


def _encoder_engines(
    repo: Path, facts: Facts, decoder_dir: Path | None, options: ScanOptions, notes: list[str]
) -> list[Subject]:
    """An encoder-decoder model's encoder engines (``encoder_model_path`` beside
    ``gpt_model_path``): each gets the engine checks; the model-level rules read the decoder."""
    from .sources import engine_config

    raw = value_of(facts, "triton.parameters.encoder_model_path")
    if value_of(facts, "trtllm.engine_dir_parameter") != "gpt_model_path" or not isinstance(
        raw, str
    ):
        return []
    encoder_dir, how = discovery.map_path(raw, repo, options.path_map)
    if encoder_dir is None or not encoder_dir.is_dir() or encoder_dir == decoder_dir:
        return []
    notes.append(f"{value_of(facts, 'model.name')}: encoder engines encoder_model_path: {how}")
    world = value_of(
        engine_config.extract(encoder_dir / "config.json"), "engine_config.world_size_effective"
    )
    if not isinstance(world, int) or not 1 <= world <= MAX_WORLD_SIZE:
        return []
    context = {k: f for k, f in facts.items() if not k.startswith(("engines.", "manifest."))}
    found = []
    for filename in discovery.rank_engine_names(encoder_dir, world, legacy=False).values():
        path = encoder_dir / filename
        if path.exists() or path.is_symlink():
            rel = _relative(path, repo)
            found.append(_engine_subject(path, rel, context, options, "trtllm-rank"))
    return found


def _agreement(engines: dict[int, Facts], engine_dir: Path) -> Facts:
    """Do all rank engines share their TensorRT version and build GPU?"""
    where = Location(str(engine_dir))
    out: Facts = {}
    for key, label in (
        ("engine.trt_version", "trt_versions"),
        ("engine.build_compute_capability", "build_ccs"),
    ):
        seen: dict[str, list[int]] = {}
        for rank, facts in sorted(engines.items()):
            value = value_of(facts, key)
            if isinstance(value, str):
                seen.setdefault(value, []).append(rank)
        if seen:
            shown = [f"{v} (rank {', '.join(map(str, r))})" for v, r in seen.items()]
            out[f"engines.{label}"] = Fact(shown, where)
            out[f"engines.{label}_distinct"] = Fact(len(seen), where)
    return out


def _plan_subjects(
    model_dir: Path, repo: Path, facts: Facts, options: ScanOptions
) -> list[Subject]:
    """Ordinary TensorRT models: each version's default model file and cc_model_filenames."""
    default = value_of(facts, "triton.default_model_filename") or "model.plan"
    cc_files = value_of(facts, "triton.cc_model_filenames") or {}
    subjects = []
    for version in discovery.version_dirs(model_dir):
        names = [default, *(v for v in cc_files.values() if isinstance(v, str))]
        for filename in dict.fromkeys(names):
            path = version / filename
            if not path.exists() and not path.is_symlink():
                continue  # the layout rules report a missing default model file
            context = dict(facts)
            for cc, mapped in cc_files.items():
                if mapped == filename:
                    context["engine.cc_model_filename_key"] = Fact(cc, Location(str(path)))
            subjects.append(_engine_subject(path, _relative(path, repo), context, options, "plan"))
    return subjects


def scan(repo: Path, target: Facts, options: ScanOptions) -> Scan:
    from .sources import backend_params, triton_config, triton_layout

    if not repo.exists():
        raise UsageError(f"{repo}: no such directory")
    if not repo.is_dir():
        raise UsageError(f"{repo}: not a directory (preflight check takes a model repository)")
    try:
        dirs = list(triton_layout.model_dirs(repo))
    except OSError as exc:
        raise UsageError(f"{repo}: cannot read the repository: {exc.strerror}") from None

    subjects: list[Subject] = []
    notes: list[str] = []
    parsed: dict[str, Any] = {}
    model_facts: dict[str, Facts] = {}
    for model_dir in dirs:
        if model_dir.name.startswith("."):
            continue
        cfg = triton_config.parse(model_dir / "config.pbtxt")
        parsed[model_dir.name] = cfg
        facts: Facts = {"model.name": Fact(model_dir.name, Location(str(model_dir)))}
        facts.update(triton_config.config_facts(cfg))
        facts.update(triton_layout.extract_model(model_dir, cfg))
        model_facts[model_dir.name] = facts
    cross = triton_layout.extract_repo(repo, parsed)
    repo_facts: Facts = dict(target)
    repo_facts.update(cross.get("", {}))
    repo_facts["repo.models"] = Fact(sorted(model_facts), Location(str(repo)))
    subjects.append(Subject("repo", ".", str(repo), repo_facts))

    for name, facts in model_facts.items():
        facts.update(cross.get(name, {}))
        facts.update(backend_params.python_model_facts(facts, model_facts, repo, options.path_map))
        model_dir = repo / name
        with_target = {**facts, **target}
        subjects.append(Subject("triton-model", name, str(model_dir), with_target))
        backend = value_of(facts, "triton.backend")
        platform = value_of(facts, "triton.platform")
        if backend in TRTLLM_BACKENDS:
            extra, more_notes = _trtllm_subjects(repo, model_dir, facts, target, options)
            subjects.extend(extra)
            notes.extend(more_notes)
        elif backend in PLAN_BACKENDS or (not backend and platform in PLAN_PLATFORMS):
            subjects.extend(_plan_subjects(model_dir, repo, with_target, options))
    return Scan(subjects, notes)
