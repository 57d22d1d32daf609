"""``trtllm.*``: one TensorRT-LLM model's build settings joined across its artifacts.

The build log and the engine directory's config.json say overlapping things; rules read the
joined value and the location of whichever artifact gave it. Inputs: ``build_log.*``,
``engine_config.*``, ``scan.build_log`` and the GPU and release tables.

Facts:

- ``<plugin>`` / ``<plugin>_source`` for ``gpt_attention_plugin``, ``gemm_plugin``,
  ``mamba_conv1d_plugin``: the plugin's dtype as built (``auto`` resolved to the model dtype,
  every spelling of off as None) and which artifact gave it; ``<plugin>_vs_model`` for the first
  two: ``auto`` when it runs in the model's dtype, else its dtype.
- ``model_dtype``; ``remove_input_padding``, ``paged_kv_cache``, ``paged_state``,
  ``use_paged_context_fmha`` (bool); ``kv_cache_paged`` (from ``kv_cache_type`` when written).
- ``log_config_differences``: ``[{setting, log, config, path, line}]``, the settings the build
  log's last ``Set`` line gives another value than config.json (raw values as written, at the
  log line); present when both the log and config.json were read.
- ``build_compute_capability`` / ``build_gpu_source``: from the log's hardware lines, else from
  config.json's ``cluster_key`` through the GPU table.
- ``cluster_key_gpu`` / ``cluster_key_compute_capability``: the GPU the table gives for
  ``cluster_key``; ``cluster_key_in_trtllm_table``: whether the key is one of TensorRT-LLM's own.
- ``recurrent``: the architecture is a Mamba or RecurrentGemma model.
- ``expected_trt_version``: the TensorRT that config.json's TensorRT-LLM version builds with.
- ``engine_version`` / ``engine_version_source``: the TensorRT-LLM release that built the
  engines: config.json's ``version``, else the build log's version banner (legacy engines).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..data.gpus import gpu_for_cluster_key, table_cluster_keys
from ..data.releases import trt_for_trtllm
from ..model import Fact, Facts

NAMESPACES = ("trtllm",)

PLUGINS = ("gpt_attention_plugin", "gemm_plugin", "mamba_conv1d_plugin")
FLAGS = ("remove_input_padding", "paged_kv_cache", "paged_state", "use_paged_context_fmha")
_DISABLED = (None, False, "disable", "disabled", "None", "none")


def _normal(facts: Facts, value: Any) -> Any:
    """A plugin value as built: `auto` -> the model dtype, every spelling of off -> None."""
    if value == "auto":
        dtype = facts.get("build_log.dtype") or facts.get("engine_config.dtype")
        return dtype.value if dtype is not None else "auto"
    return None if value in _DISABLED else value


def _both(
    facts: Facts, name: str, normal: Callable[[Any], Any], differences: list[dict[str, Any]]
) -> tuple[Fact | None, str]:
    """One setting as the engine has it, from config.json (what the runtime reads) and the
    build log's last `Set` line. When either says off, that one is taken, at its location, so a
    rule reports it wherever it is written; a disagreement is recorded in ``differences``."""
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
        differences.append(
            {
                "setting": name,
                "log": log_raw,
                "config": cfg_raw,
                "path": log.location.path if log.location else "",
                "line": log.location.line if log.location else None,
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


def derive(facts: Facts) -> Facts:
    """The ``trtllm.*`` facts of one model from its ``build_log.*`` and ``engine_config.*``."""
    out: Facts = {}
    differences: list[dict[str, Any]] = []
    for plugin in PLUGINS:
        fact, origin = _both(facts, plugin, lambda v: _normal(facts, v), differences)
        if fact is not None:
            out[f"trtllm.{plugin}"] = fact
            out[f"trtllm.{plugin}_source"] = Fact(origin, fact.location)
    model_dtype = facts.get("build_log.dtype") or facts.get("engine_config.dtype")
    if model_dtype is not None and isinstance(model_dtype.value, str):
        out["trtllm.model_dtype"] = model_dtype
    else:
        model_dtype = None
    out.update(_versus_model(out, model_dtype))
    for flag in FLAGS:
        fact, _ = _both(facts, flag, lambda v: v, differences)
        if fact is not None and isinstance(fact.value, bool):
            out[f"trtllm.{flag}"] = fact
    if "scan.build_log" in facts and "engine_config.format" in facts:
        out["trtllm.log_config_differences"] = Fact(differences, facts["scan.build_log"].location)
    kv_type = facts.get("engine_config.build_config.kv_cache_type")
    paged = out.get("trtllm.paged_kv_cache")
    if kv_type is not None and isinstance(kv_type.value, str):
        out["trtllm.kv_cache_paged"] = Fact(kv_type.value.upper() == "PAGED", kv_type.location)
    elif paged is not None:
        out["trtllm.kv_cache_paged"] = paged
    out.update(_build_gpu(facts))
    architecture = facts.get("engine_config.architecture")
    if architecture is not None and isinstance(architecture.value, str):
        recurrent = any(k in architecture.value for k in ("Mamba", "RecurrentGemma"))
        out["trtllm.recurrent"] = Fact(recurrent, architecture.location)
    built_with = facts.get("engine_config.version")
    if built_with is not None and isinstance(built_with.value, str):
        expected_trt = trt_for_trtllm(built_with.value)
        if expected_trt is not None:
            out["trtllm.expected_trt_version"] = Fact(expected_trt, built_with.location)
    out.update(_engine_version(facts))
    return out


def _engine_version(facts: Facts) -> Facts:
    """The TensorRT-LLM release that built the engines: config.json's ``version``, else (the
    legacy layout, 0.8 and older, has none) the build log's version banner."""
    for key, origin in (
        ("engine_config.version", "config.json"),
        ("build_log.trtllm_version", "the build log's version banner"),
    ):
        fact = facts.get(key)
        if fact is not None and isinstance(fact.value, str) and fact.value.strip():
            return {
                "trtllm.engine_version": fact,
                "trtllm.engine_version_source": Fact(origin, fact.location),
            }
    return {}


def _build_gpu(facts: Facts) -> Facts:
    """The build GPU: the log's hardware lines, else config.json's cluster_key."""
    out: Facts = {}
    key = facts.get("engine_config.cluster_key")
    gpu = None
    if key is not None and isinstance(key.value, str) and key.value.strip():
        gpu = gpu_for_cluster_key(key.value)
        in_table = key.value.lower() in table_cluster_keys()
        out["trtllm.cluster_key_in_trtllm_table"] = Fact(in_table, key.location)
        if gpu is not None:
            out["trtllm.cluster_key_gpu"] = Fact(gpu.name, key.location)
            out["trtllm.cluster_key_compute_capability"] = Fact(
                gpu.compute_capability, key.location
            )
    log_cc = facts.get("build_log.gpu.compute_capability")
    if log_cc is not None:
        out["trtllm.build_compute_capability"] = log_cc
        out["trtllm.build_gpu_source"] = Fact("the build log's hardware lines", log_cc.location)
    elif key is not None and gpu is not None:
        out["trtllm.build_compute_capability"] = Fact(gpu.compute_capability, key.location)
        out["trtllm.build_gpu_source"] = Fact(
            f"config.json cluster_key {key.value!r} ({gpu.name})", key.location
        )
    return out
