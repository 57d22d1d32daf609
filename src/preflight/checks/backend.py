"""The tensorrtllm backend's parameters against the engine and the models around it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..facts import value_of
from ..model import Fact, Facts, Location, Problem
from . import MissingFact, check, problem


@check(
    "backend.inflight-batching-engine",
    requires=("backend.batching_mode",),
    kinds=("plugin-disabled", "kv-cache-not-paged", "paged-state-off"),
)
def inflight_batching_engine(facts: Facts, params: Mapping[str, Any]) -> list[Problem]:
    """An engine served with inflight batching has what ModelConfig::supportsInflightBatching()
    asks beside packed input (TLLM003): the GPT attention plugin and a paged KV cache, or for a
    recurrent model the mamba_conv1d plugin and paged state.

    ``plugin-disabled`` (``plugin``), ``kv-cache-not-paged``, ``paged-state-off``: one per
    requirement the engine does not meet, at the setting that decides it.
    """
    if facts["backend.batching_mode"].value != "inflight":
        return []
    recurrent = value_of(facts, "trtllm.recurrent") is True
    plugin = "mamba_conv1d_plugin" if recurrent else "gpt_attention_plugin"
    paged_key, paged_kind = (
        ("trtllm.paged_state", "paged-state-off")
        if recurrent
        else ("trtllm.kv_cache_paged", "kv-cache-not-paged")
    )
    kv_type = value_of(facts, "engine_config.build_config.kv_cache_type")
    # runtimes that know kv_cache_type accept PAGED or DISABLED (no KV cache) for inflight
    # batching: ModelConfig::supportsInflightBatching() in modelConfig.h
    no_kv_cache = isinstance(kv_type, str) and kv_type.upper() == "DISABLED"
    found: list[Problem] = []
    plugin_fact = facts.get(f"trtllm.{plugin}")
    paged = facts.get(paged_key)
    if plugin_fact is None and paged is None:
        raise MissingFact(f"trtllm.{plugin}")
    # a plugin is on unless None/false (the derivation maps "disable" to None)
    if plugin_fact is not None and plugin_fact.value in (None, False):
        found.append(problem("plugin-disabled", plugin_fact.location, plugin=plugin))
    skip_paged = paged_key == "trtllm.kv_cache_paged" and no_kv_cache
    if paged is not None and not skip_paged and paged.value is not True:
        found.append(problem(paged_kind, paged.location))
    return found


def _world(facts: Facts) -> int:
    world = value_of(facts, "engine_config.world_size_effective")
    if not isinstance(world, int) or isinstance(world, bool) or world < 1:
        raise MissingFact("engine_config.world_size_effective")
    return world


@check(
    "backend.instance-ids-match-world-size",
    requires=("backend.instance_ids", "engine_config.world_size_effective"),
    kinds=("devices", "devices-on-nodes", "participants"),
)
def instance_ids_match_world_size(facts: Facts, params: Mapping[str, Any]) -> list[Problem]:
    """Each instance's gpu_device_ids (times num_nodes) and participant_ids give the engine's
    world size, tp x pp x cp: the executor checks both when it starts.

    ``devices`` / ``devices-on-nodes`` (with num_nodes ``nodes``): a gpu_device_ids group
    ``ids`` of ``gpus`` GPUs gives ``count``; ``participants``: a participant_ids group ``ids``
    names ``ranks`` ranks. Each with ``world`` and the mapping ``tp``, ``pp``, ``cp``. Problems of
    gpu_device_ids are reported before those of participant_ids.
    """
    world = _world(facts)
    mapping = {}
    for key in ("tp", "pp", "cp"):
        size = value_of(facts, f"engine_config.mapping.{key}_size")
        mapping[key] = 1 if size is None else size
    nodes = value_of(facts, "backend.num_nodes")
    groups = facts["backend.instance_ids"]
    devices: list[Problem] = []
    participants: list[Problem] = []
    for item in groups.value:
        ids = [str(i) for i in item.get("ids") or []]
        where = _location(item, groups)
        shown = {"ids": ",".join(ids), "world": world, **mapping}
        if item.get("parameter") == "gpu_device_ids":
            count = len(ids) * (nodes or 1)
            if count != world:
                kind = "devices-on-nodes" if nodes else "devices"
                fields = {"gpus": len(ids), "nodes": nodes, "count": count, **shown}
                devices.append(problem(kind, where, **fields))
        elif len(ids) != world:
            participants.append(problem("participants", where, ranks=len(ids), **shown))
    return devices or participants


def _location(item: Mapping[str, Any], fact: Fact) -> Location | None:
    """An item's own location, else its list fact's."""
    if "path" not in item:
        return fact.location
    return Location(str(item["path"]), item.get("line"), item.get("column"))


# Keys the C++ runtime reads with `.at()` from a new-layout config.json (gptJsonConfig.cpp).
REQUIRED_KEYS = (
    "pretrained_config.architecture",
    "pretrained_config.dtype",
    "pretrained_config.mapping.tp_size",
    "pretrained_config.num_hidden_layers",
    "pretrained_config.num_attention_heads",
    "pretrained_config.vocab_size",
    "pretrained_config.hidden_size",
    "pretrained_config.quantization",
    "build_config.plugin_config.gpt_attention_plugin",
    "build_config.plugin_config.remove_input_padding",
    "build_config.plugin_config.paged_kv_cache",
    "build_config.plugin_config.tokens_per_block",
    "build_config.plugin_config.context_fmha",
    "build_config.plugin_config.use_paged_context_fmha",
    "build_config.plugin_config.lora_plugin",
    "build_config.lora_config",
)
RNN_KEYS = (
    "pretrained_config.state_size",
    "pretrained_config.conv_kernel",
    "pretrained_config.rnn_hidden_size",
    "pretrained_config.rnn_conv_dim_size",
)
GLM_KEYS = ("pretrained_config.chatglm_version",)


@check("backend.engine-config-keys", requires=("engine_config.keys",), kinds=("missing-key",))
def engine_config_keys(facts: Facts, params: Mapping[str, Any]) -> list[Problem]:
    """A trtllm-build config.json holds every key the C++ runtime reads with ``.at()``.

    ``missing-key``: one per absent ``key`` (``leaf`` its last part), at the first line of the
    object that should hold it. Other layouts are not judged.
    """
    keys = facts["engine_config.keys"]
    if value_of(facts, "engine_config.format") != "new" or not isinstance(keys.value, list):
        raise MissingFact("engine_config.format")
    present = set(keys.value)
    wanted = list(REQUIRED_KEYS)
    if value_of(facts, "trtllm.recurrent") is True:
        wanted.extend(RNN_KEYS)
    architecture = value_of(facts, "engine_config.architecture")
    if isinstance(architecture, str) and "GLM" in architecture:
        wanted.extend(GLM_KEYS)
    return [
        problem(
            "missing-key",
            (_near(facts, key) or keys).location,
            key=key,
            leaf=key.rsplit(".", 1)[-1],
        )
        for key in wanted
        if key not in present
    ]


_NEIGHBOURS = (
    ("build_config.plugin_config.", ("engine_config.plugin_config.",)),
    ("pretrained_config.mapping.", ("engine_config.mapping.",)),
    ("build_config.", ("engine_config.build_config.", "engine_config.plugin_config.")),
    (
        "pretrained_config.",
        ("engine_config.architecture", "engine_config.dtype", "engine_config.mapping."),
    ),
)


def _near(facts: Facts, key: str) -> Fact | None:
    """The first fact read from the object that should hold ``key``: where to look for it."""
    for prefix, fact_prefixes in _NEIGHBOURS:
        if not key.startswith(prefix):
            continue
        best: Fact | None = None
        best_line = 0
        for name, found in facts.items():
            line = found.location.line if found.location is not None else None
            if name.startswith(fact_prefixes) and line and (best is None or line < best_line):
                best, best_line = found, line
        return best
    return None
