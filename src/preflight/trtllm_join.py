"""Facts of one TensorRT-LLM model joined across its artifacts (`trtllm.*`, `engines.*`).

The build log and the engine directory's config.json say overlapping things; rules read the
joined value and the location of whichever artifact gave it.
"""

from __future__ import annotations

import re
from typing import Any

from .model import Fact, Facts, Location
from .target import table_cluster_keys

_DISABLED = (None, False, "disable", "disabled", "None", "none")
# gemm_plugin values that are not a float dtype: quantized GEMMs of FP8/FP4 checkpoints.


def _normal(facts: Facts, value: Any) -> Any:
    """A plugin value as built: `auto` -> the model dtype, every spelling of off -> None."""
    if value == "auto":
        dtype = facts.get("build_log.dtype") or facts.get("engine_config.dtype")
        return dtype.value if dtype is not None else "auto"
    return None if value in _DISABLED else value


def _both(
    facts: Facts, name: str, normal: Any, conflicts: list[dict[str, Any]]
) -> tuple[Fact | None, str]:
    """One setting as the engine has it, from config.json (what the runtime reads) and the
    build log's last `Set` line. When either says off, that one is taken, at its location, so a
    rule reports it wherever it is written; a disagreement is recorded in ``conflicts``."""
    found = []
    for key, origin in (
        (f"engine_config.plugin_config.{name}", "config.json"),
        (f"build_log.plugins.{name}", "build log"),
    ):
        fact = facts.get(key)
        if fact is not None:
            value = normal(fact.value)
            shown = f"{origin} (auto -> model dtype {value})" if fact.value == "auto" else origin
            found.append((Fact(value, fact.location), shown, fact.value))
    if not found:
        return None, ""
    if len(found) == 2 and found[0][0].value != found[1][0].value:
        (_, _, cfg_raw), (log, _, log_raw) = found
        line = log.location.line if log.location else None
        conflicts.append(
            {
                "path": log.location.path if log.location else "",
                "line": line,
                "text": f"the build log sets {name} to {log_raw} (line {line}) but config.json "
                f"has {cfg_raw}",
            }
        )
    off = [f for f in found if f[0].value in (None, False)]
    chosen = off[0] if off else found[0]
    return chosen[0], chosen[1]


def _versus_model(out: Facts, model_dtype: Fact | None) -> Facts:
    """`trtllm.<plugin>_vs_model`: `auto` when the plugin runs in the model's dtype, else its
    dtype, so that a rule option `dtype: auto` means "the model's dtype"."""
    found: Facts = {}
    for plugin in ("gpt_attention_plugin", "gemm_plugin"):
        fact = out.get(f"trtllm.{plugin}")
        if fact is None:
            continue
        same = (
            model_dtype is not None
            and fact.value in (model_dtype.value,)
            and fact.value is not None
        )
        found[f"trtllm.{plugin}_vs_model"] = Fact("auto" if same else fact.value, fact.location)
    return found


def join(facts: Facts, gpu_for_cluster_key: Any = None) -> Facts:
    """Derived `trtllm.*` facts from `build_log.*` and `engine_config.*`."""
    out: Facts = {}
    conflicts: list[dict[str, Any]] = []
    for plugin in ("gpt_attention_plugin", "gemm_plugin", "mamba_conv1d_plugin"):
        fact, origin = _both(facts, plugin, lambda v: _normal(facts, v), conflicts)
        if fact is not None:
            out[f"trtllm.{plugin}"] = fact
            out[f"trtllm.{plugin}_source"] = Fact(origin, fact.location)
    model_dtype = facts.get("build_log.dtype") or facts.get("engine_config.dtype")
    if model_dtype is not None and isinstance(model_dtype.value, str):
        out["trtllm.model_dtype"] = model_dtype
    else:
        model_dtype = None
    out.update(_versus_model(out, model_dtype))
    for flag in ("remove_input_padding", "paged_kv_cache", "paged_state", "use_paged_context_fmha"):
        fact, _ = _both(facts, flag, lambda v: v, conflicts)
        if fact is not None and isinstance(fact.value, bool):
            out[f"trtllm.{flag}"] = fact
    if "trtllm.build_log" in facts and "engine_config.format" in facts:
        where = facts["trtllm.build_log"].location
        out["trtllm.log_config_conflicts"] = Fact(conflicts, where)
    kv_type = facts.get("engine_config.build_config.kv_cache_type")
    paged = out.get("trtllm.paged_kv_cache")
    if kv_type is not None and isinstance(kv_type.value, str):
        out["trtllm.kv_cache_paged"] = Fact(kv_type.value.upper() == "PAGED", kv_type.location)
    elif paged is not None:
        out["trtllm.kv_cache_paged"] = paged
    log_cc = facts.get("build_log.gpu.compute_capability")
    if log_cc is not None:
        out["trtllm.build_compute_capability"] = log_cc
        out["trtllm.build_gpu_source"] = Fact("the build log's hardware lines", log_cc.location)
    else:
        key = facts.get("engine_config.cluster_key")
        if key is not None and isinstance(key.value, str) and gpu_for_cluster_key is not None:
            gpu = gpu_for_cluster_key(key.value)
            if gpu is not None:
                out["trtllm.build_compute_capability"] = Fact(gpu.compute_capability, key.location)
                out["trtllm.build_gpu_source"] = Fact(
                    f"config.json cluster_key {key.value!r} ({gpu.name})", key.location
                )
    conflict = _log_gpu_conflict(facts, gpu_for_cluster_key)
    if conflict is not None:
        out["trtllm.build_log_gpu_conflict"] = conflict
    incomplete = _build_incomplete(facts)
    if incomplete is not None:
        out["trtllm.build_incomplete"] = incomplete
    architecture = facts.get("engine_config.architecture")
    if architecture is not None and isinstance(architecture.value, str):
        recurrent = any(k in architecture.value for k in ("Mamba", "RecurrentGemma"))
        out["trtllm.recurrent"] = Fact(recurrent, architecture.location)
    return out


_PRINTS_HARDWARE = re.compile(r"^(?:0\.(?:9|1[0-9]|[2-9][0-9])|1\.[01])(?:\D|$)")


def _log_gpu_conflict(facts: Facts, gpu_for_cluster_key: Any) -> Fact | None:
    """Does the build log show another build GPU than config.json's cluster_key?

    trtllm-build 0.9 to 1.1 records the build GPU in `cluster_key`: a key of its own table
    (A100, H100, L4, ...) or, for any other GPU, the device name; only for the latter it prints
    the hardware lines (`Compute capability: (M, m)`, ...) at info level. So a log whose hardware
    lines give another compute capability than the key, or an info-level log of such a version
    without hardware lines beside a device-name key, was written by another build.
    """
    log = facts.get("trtllm.build_log")
    key = facts.get("engine_config.cluster_key")
    if log is None or key is None or not isinstance(key.value, str) or not key.value.strip():
        return None
    log_cc = facts.get("build_log.gpu.compute_capability")
    gpu = gpu_for_cluster_key(key.value) if gpu_for_cluster_key is not None else None
    if log_cc is not None:
        if gpu is not None and gpu.compute_capability != log_cc.value:
            return Fact(
                f"the build log's hardware lines show compute capability {log_cc.value}, but "
                f"config.json's cluster_key {key.value!r} is a {gpu.name} "
                f"(compute capability {gpu.compute_capability}): the log belongs to another build",
                log_cc.location,
            )
        return None
    version = facts.get("build_log.trtllm_version")
    info_level = any(k.startswith("build_log.plugins.") for k in facts)
    if (
        version is None
        or not isinstance(version.value, str)
        or not _PRINTS_HARDWARE.match(version.value)
        or not info_level
        or key.value.lower() in table_cluster_keys()
    ):
        return None
    return Fact(
        f"config.json's cluster_key {key.value!r} is a GPU outside TensorRT-LLM's own table, for "
        f'which trtllm-build {version.value} prints hardware lines ("Compute capability: ...", '
        '"SM count: ...") at info level, but this info-level log has none: it is the log of a '
        "build on another GPU (one of TensorRT-LLM's table such as A100, H100 or L4)",
        log.location,
    )


def _build_incomplete(facts: Facts) -> Fact | None:
    """Why a found build log does not show a complete build (None when it does, or no log)."""
    log = facts.get("trtllm.build_log")
    if log is None:
        return None
    where = log.location
    error = facts.get("build_log.read_error")
    if error is not None:
        return Fact(f"the log cannot be read: {error.value}", where)
    succeeded = facts.get("build_log.build_succeeded")
    if succeeded is not None and succeeded.value is not None:
        return None  # true: complete; false: the fatal errors say why
    started = _value_list(facts, "build_log.started_engines")
    lines = facts.get("build_log.line_count")
    if lines is not None and lines.value == 0:
        return Fact("the log is empty", where)
    for item in started:
        if isinstance(item, dict) and item.get("serialized") is False:
            line = item.get("line")
            name = str(item.get("path", "")).rsplit("/", 1)[-1] or "an engine"
            at = Location(where.path, line if isinstance(line, int) else None) if where else None
            return Fact(
                f"{name} started serializing at line {line}, but the log ends before "
                "`Engine serialized`: the build was interrupted or the log was cut",
                at,
            )
    missing = _value_list(facts, "build_log.missing_ranks")
    if missing:
        shown = ", ".join(f"rank{r}.engine" for r in missing)
        return Fact(f"{shown} never started, while higher ranks did", where)
    if not started:
        count = lines.value if lines is not None else "?"
        return Fact(
            f"no `Serializing engine to` line in its {count} lines: the build stopped before "
            "writing an engine, or the log was cut",
            where,
        )
    return Fact("the log does not end with a complete build", where)


def _value_list(facts: Facts, key: str) -> list[Any]:
    fact = facts.get(key)
    return fact.value if fact is not None and isinstance(fact.value, list) else []


def rank_facts(
    world_size: int,
    engines: dict[int, Facts],
    engine_dir: str,
    facts: Facts,
    names: dict[int, str] | None = None,
) -> Facts:
    """`engines.*`: which rank files are missing, empty or not serialized in the build log.

    `names` gives each rank's file name (default `rank<r>.engine`). `engines.foreign_logged_ranks`
    lists ranks the build log serialized at or beyond the world size: that log built another
    parallel layout than config.json describes.
    """
    where = Location(engine_dir)
    missing, empty, unlogged = [], [], []
    serialized = facts.get("build_log.serialized_ranks")
    logged = set(serialized.value) if serialized is not None else None
    for rank in range(world_size):
        name = (names or {}).get(rank, f"rank{rank}.engine")
        path = f"{engine_dir}/{name}"
        efacts = engines.get(rank)
        fmt = efacts.get("engine.format") if efacts else None
        if efacts is None or (fmt is not None and fmt.value in ("missing", "not-a-file")):
            missing.append({"path": path, "text": f"{name} is missing"})
            continue
        size = efacts.get("engine.size_bytes")
        if size is not None and size.value == 0:
            empty.append({"path": path, "text": f"{name} is empty (0 bytes)"})
        if logged is not None and rank not in logged:
            unlogged.append(
                {"path": path, "text": f"{name}: the build log does not show it serialized"}
            )
    out: Facts = {
        "engines.world_size": Fact(world_size, where),
        "engines.missing_ranks": Fact(missing, where),
        "engines.empty_ranks": Fact(empty, where),
    }
    if logged is not None and serialized is not None:
        out["engines.unlogged_ranks"] = Fact(unlogged, where)
        log_fact = facts.get("trtllm.build_log")
        log_where = log_fact.location if log_fact is not None else serialized.location
        log_path = log_where.path if log_where is not None else engine_dir
        foreign = sorted(r for r in logged if isinstance(r, int) and r >= world_size)
        items = []
        if foreign:
            shown = ", ".join(f"rank{r}.engine" for r in foreign)
            items.append(
                {
                    "path": log_path,
                    "line": _serialized_line(facts, foreign[0]),
                    "text": (
                        f"the build log serialized {shown}, beyond config.json's world size "
                        f"{world_size}"
                    ),
                }
            )
        out["engines.foreign_logged_ranks"] = Fact(items, where)
    return out


def _serialized_line(facts: Facts, rank: int) -> int | None:
    """The log line of the `Serializing engine to ...rank<r>.engine` line, when known."""
    started = facts.get("build_log.started_engines")
    for item in started.value if started is not None and isinstance(started.value, list) else []:
        if (
            isinstance(item, dict)
            and item.get("rank") == rank
            and isinstance(item.get("line"), int)
        ):
            line: int = item["line"]
            return line
    return None
