"""How the tensorrtllm backend reads a model's parameters, joined with its engine (`backend.*`).

The backend reads every ``parameters`` entry of the ``tensorrt_llm`` model as a string and
converts it itself (``stoi``/``stof``, a bool parser that accepts ``True|true|TRUE|1`` and
``False|false|FALSE|0``). These facts repeat that reading so that each rule is a plain
comparison. Every fact carries the location of the ``config.pbtxt`` parameter (or the
``config.json`` key) that decides it.

A parameter that still holds a template placeholder (``${...}``) yields no fact: the Triton
placeholder rules already report it, and the value the backend would fall back to is a default,
not something written here.

Facts of a ``tensorrt_llm`` model (:func:`backend_facts`):

- ``backend.gpt_model_type``: the raw ``gpt_model_type`` string, or None when the parameter is
  absent; ``backend.batching_mode``: ``inflight`` / ``static`` for the accepted values;
  ``backend.static_batching_target_version``: for static batching, ``target.trtllm_version``
  placed at the parameter.
- ``backend.ifb_requirements_unmet``: for inflight batching, one item per build setting the
  runtime needs and the engine lacks (GPT attention plugin and paged KV cache; for recurrent
  models the mamba_conv1d plugin and paged state), each at its source. Packed input
  (remove_input_padding), the third requirement, is left to its own rule (TLLM003).
- ``backend.max_beam_width``: the parameter as an int (absent when it does not parse: the
  backend then uses 1).
- ``backend.device_id_problems`` / ``backend.participant_id_problems``: per instance group of
  ``gpu_device_ids`` (``;`` separates instances, ``,`` ids) and for ``participant_ids``, the
  groups whose size does not give the engine's world size; present when either is set.
- ``backend.kv_cache_free_gpu_mem_fraction`` (float) and ``..._parses`` (bool).
- ``backend.enable_kv_cache_reuse`` (bool, when it parses).
- ``backend.encoder_decoder`` (bool), ``backend.cross_kv_cache_fraction_set`` (bool: the
  parameter gives a number), ``backend.cross_kv_cache_fraction`` (float, when it parses).
- ``backend.decoding_mode``, ``backend.decoding_mode_speculative`` (bool),
  ``backend.decoding_mode_enum`` (the engine's ``speculative_decoding_mode`` value that mode
  needs) and ``backend.engine_speculative_mode`` (the engine's value as a name).
- ``backend.engine_config_missing_keys``: keys of a new-layout ``config.json`` that the C++
  runtime reads with ``.at()`` and the file lacks, each at the first line of the object that
  should hold it.

Facts of a Python model (:func:`python_model_facts`): ``backend.tokenizer_dir*`` for the
pre/postprocessing models, ``backend.bls_target*`` for a BLS model naming its LLM.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from preflight import discovery
from preflight.facts import value_of
from preflight.model import Fact, Facts, Location

PARAM = "triton.parameters."
_TRUE = ("True", "true", "TRUE", "1")
_FALSE = ("False", "false", "FALSE", "0")

GPT_MODEL_TYPES = {
    "V1": "static",
    "v1": "static",
    "inflight_batching": "inflight",
    "inflight_fused_batching": "inflight",
}

# SpeculativeDecodingMode bits (cpp/include/tensorrt_llm/runtime/speculativeDecodingMode.h and
# tensorrt_llm/models/modeling_utils.py): config.json stores the int.
SPECULATIVE_MODES = {
    1: "none",
    2: "draft_tokens_external",
    4: "medusa",
    8: "lookahead_decoding",
    16: "explicit_draft_tokens",
    32: "eagle",
}
# decoding_mode values of the backend that need a speculative engine -> the engine's mode.
SPECULATIVE_DECODING_MODES = {"medusa": 4, "lookahead": 8, "redrafter": 16, "eagle": 32}

ENC_DEC_ARCHITECTURES = ("EncoderModel", "DecoderModel")

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

TOKENIZER_FILES = (
    "tokenizer.json",
    "tokenizer.model",
    "tokenizer_config.json",
    "vocab.json",
    "vocab.txt",
    "merges.txt",
    "spiece.model",
)


def _param(facts: Facts, key: str) -> Fact | None:
    """The parameter's fact when it is set to a filled-in string (no placeholder)."""
    found = facts.get(PARAM + key)
    if found is None or not isinstance(found.value, str):
        return None
    if discovery.PLACEHOLDER.search(found.value):
        return None
    return found


def _config_location(facts: Facts) -> Location | None:
    """Where to report a parameter the config lacks: its ``backend`` line, else line 1."""
    backend = facts.get("triton.backend")
    if backend is not None and backend.location is not None and backend.location.line:
        return Location(backend.location.path, backend.location.line)
    path = value_of(facts, "triton.config_path")
    where = facts.get("triton.config_path")
    if where is not None and where.location is not None:
        return Location(where.location.path, 1)
    return Location(str(path), 1) if isinstance(path, str) else None


def _parse_bool(text: str) -> bool | None:
    stripped = text.strip()
    if stripped in _TRUE:
        return True
    if stripped in _FALSE:
        return False
    return None


def _parse_float(text: str) -> float | None:
    try:
        return float(text.strip())
    except ValueError:
        return None


def _parse_int(text: str) -> int | None:
    try:
        return int(text.strip())
    except ValueError:
        return None


def _item(fact: Fact | None, text: str) -> dict[str, Any]:
    item: dict[str, Any] = {"text": text}
    if fact is not None and fact.location is not None:
        item.update(path=fact.location.path, line=fact.location.line, column=fact.location.column)
    return item


def backend_facts(facts: Facts) -> Facts:
    """`backend.*` facts of one tensorrtllm model from `triton.*`, `engine_config.*`, `trtllm.*`."""
    out: Facts = {}
    if "triton.parse_error" in facts:
        return out  # parameters of a config that does not parse are unknown, not absent
    _batching(facts, out)
    _beam_width(facts, out)
    _world_size(facts, out)
    _kv_cache(facts, out)
    _cross_attention(facts, out)
    _decoding_mode(facts, out)
    _required_keys(facts, out)
    return out


def _batching(facts: Facts, out: Facts) -> None:
    raw = facts.get(PARAM + "gpt_model_type")
    param = _param(facts, "gpt_model_type")
    if raw is None:
        out["backend.gpt_model_type"] = Fact(None, _config_location(facts))
        return
    if param is None:
        return  # an unfilled placeholder: reported by the Triton placeholder rules
    out["backend.gpt_model_type"] = param
    mode = GPT_MODEL_TYPES.get(param.value)
    if mode is None:
        return
    out["backend.batching_mode"] = Fact(mode, param.location)
    serving = value_of(facts, "target.trtllm_version")
    if mode == "static" and isinstance(serving, str):
        # the serving release, shown where the fix goes: the gpt_model_type parameter
        out["backend.static_batching_target_version"] = Fact(serving, param.location)
    if mode == "inflight":
        unmet = _ifb_unmet(facts)
        if unmet is not None:
            out["backend.ifb_requirements_unmet"] = Fact(unmet, param.location)


def _ifb_unmet(facts: Facts) -> list[dict[str, Any]] | None:
    """What inflight batching needs from the engine and does not get; None when nothing is known."""
    recurrent = value_of(facts, "trtllm.recurrent") is True
    plugin_key = "trtllm.mamba_conv1d_plugin" if recurrent else "trtllm.gpt_attention_plugin"
    plugin_name = "mamba_conv1d_plugin" if recurrent else "gpt_attention_plugin"
    paged_key = "trtllm.paged_state" if recurrent else "trtllm.kv_cache_paged"
    paged_text = "paged_state is off" if recurrent else "the KV cache is not paged"
    # packed input (remove_input_padding) is the third requirement; TLLM003 reports it
    checks: tuple[tuple[str, bool, str], ...] = (
        (plugin_key, False, f"{plugin_name} is disabled"),
        (paged_key, True, paged_text),
    )
    known = False
    unmet: list[dict[str, Any]] = []
    kv_type = value_of(facts, "engine_config.build_config.kv_cache_type")
    # runtimes that know kv_cache_type accept PAGED or DISABLED (no KV cache) for inflight
    # batching: ModelConfig::supportsInflightBatching() in modelConfig.h
    no_kv_cache = isinstance(kv_type, str) and kv_type.upper() == "DISABLED"
    for key, flag, text in checks:
        fact = facts.get(key)
        if fact is None:
            continue
        known = True
        if key == "trtllm.kv_cache_paged" and no_kv_cache:
            continue
        # a flag must be exactly true; a plugin is on unless None/false (join maps "disable")
        good = fact.value is True if flag else fact.value not in (None, False)
        if not good:
            unmet.append(_item(fact, text))
    return unmet if known else None


def _beam_width(facts: Facts, out: Facts) -> None:
    param = _param(facts, "max_beam_width")
    if param is None:
        return
    width = _parse_int(param.value)
    if width is not None:
        out["backend.max_beam_width"] = Fact(width, param.location)


def _groups(text: str) -> list[list[str]]:
    return [[i.strip() for i in g.split(",") if i.strip()] for g in text.split(";") if g.strip()]


def _world_size(facts: Facts, out: Facts) -> None:
    world = value_of(facts, "engine_config.world_size_effective")
    if not isinstance(world, int) or isinstance(world, bool) or world < 1:
        return
    devices = _param(facts, "gpu_device_ids")
    participants = _param(facts, "participant_ids")
    if devices is None and participants is None:
        return
    nodes_param = _param(facts, "num_nodes")
    nodes = _parse_int(nodes_param.value) if nodes_param is not None else None
    sizes = _mapping_text(facts)
    device_problems: list[dict[str, Any]] = []
    if devices is not None:
        for group in _groups(devices.value):
            count = len(group) * (nodes or 1)
            if count != world:
                per = f" x num_nodes {nodes}" if nodes else " on one node"
                device_problems.append(
                    _item(
                        devices,
                        f"gpu_device_ids '{','.join(group)}' gives {len(group)} GPU(s){per} = "
                        f"{count}, but the engine's world size is {world} ({sizes})",
                    )
                )
    participant_problems: list[dict[str, Any]] = []
    if participants is not None:
        for group in _groups(participants.value):
            if len(group) != world:
                participant_problems.append(
                    _item(
                        participants,
                        f"participant_ids '{','.join(group)}' names {len(group)} rank(s), but "
                        f"the engine's world size is {world} ({sizes})",
                    )
                )
    anchor = devices if devices is not None else participants
    location = anchor.location if anchor is not None else None
    out["backend.device_id_problems"] = Fact(device_problems, location)
    out["backend.participant_id_problems"] = Fact(participant_problems, location)


def _mapping_text(facts: Facts) -> str:
    parts = []
    for key in ("tp_size", "pp_size", "cp_size"):
        value = value_of(facts, f"engine_config.mapping.{key}")
        parts.append(f"{key[:2]} {value if value is not None else 1}")
    return " x ".join(parts)


def _kv_cache(facts: Facts, out: Facts) -> None:
    fraction = _param(facts, "kv_cache_free_gpu_mem_fraction")
    if fraction is not None:
        number = _parse_float(fraction.value)
        out["backend.kv_cache_free_gpu_mem_fraction_parses"] = Fact(
            number is not None, fraction.location
        )
        if number is not None:
            out["backend.kv_cache_free_gpu_mem_fraction"] = Fact(number, fraction.location)
    reuse = _param(facts, "enable_kv_cache_reuse")
    if reuse is not None:
        flag = _parse_bool(reuse.value)
        if flag is not None:
            out["backend.enable_kv_cache_reuse"] = Fact(flag, reuse.location)


def _cross_attention(facts: Facts, out: Facts) -> None:
    encoder = _param(facts, "encoder_model_path")
    architecture = facts.get("engine_config.architecture")
    if encoder is not None and encoder.value.strip():
        out["backend.encoder_decoder"] = Fact(True, encoder.location)
    elif architecture is not None and isinstance(architecture.value, str):
        is_enc_dec = architecture.value in ENC_DEC_ARCHITECTURES
        out["backend.encoder_decoder"] = Fact(is_enc_dec, architecture.location)
    raw = facts.get(PARAM + "cross_kv_cache_fraction")
    cross = _param(facts, "cross_kv_cache_fraction")
    if raw is None:
        where = encoder.location if encoder is not None else _config_location(facts)
        out["backend.cross_kv_cache_fraction_set"] = Fact(False, where)
    elif cross is not None:
        # a value that does not parse is dropped by the backend with a warning: as good as unset
        number = _parse_float(cross.value)
        out["backend.cross_kv_cache_fraction_set"] = Fact(number is not None, cross.location)
        if number is not None:
            out["backend.cross_kv_cache_fraction"] = Fact(number, cross.location)


def _decoding_mode(facts: Facts, out: Facts) -> None:
    engine_mode = facts.get("engine_config.build_config.speculative_decoding_mode")
    if engine_mode is not None and isinstance(engine_mode.value, int):
        name = SPECULATIVE_MODES.get(engine_mode.value, f"unknown ({engine_mode.value})")
        out["backend.engine_speculative_mode"] = Fact(name, engine_mode.location)
    param = _param(facts, "decoding_mode")
    if param is None:
        return
    mode = param.value.strip()
    out["backend.decoding_mode"] = Fact(mode, param.location)
    wanted = SPECULATIVE_DECODING_MODES.get(mode)
    out["backend.decoding_mode_speculative"] = Fact(wanted is not None, param.location)
    if wanted is not None:
        out["backend.decoding_mode_enum"] = Fact(wanted, param.location)


def _required_keys(facts: Facts, out: Facts) -> None:
    if value_of(facts, "engine_config.format") != "new":
        return
    keys_fact = facts.get("engine_config.keys")
    if keys_fact is None or not isinstance(keys_fact.value, list):
        return
    present = set(keys_fact.value)
    wanted = list(REQUIRED_KEYS)
    if value_of(facts, "trtllm.recurrent") is True:
        wanted.extend(RNN_KEYS)
    architecture = value_of(facts, "engine_config.architecture")
    if isinstance(architecture, str) and "GLM" in architecture:
        wanted.extend(GLM_KEYS)
    where = keys_fact.location
    missing = [
        _item(
            _near(facts, key) or keys_fact,
            f"config.json has no '{key}': the runtime fails with "
            f"\"[json.exception.out_of_range.403] key '{key.rsplit('.', 1)[-1]}' not found\"",
        )
        for key in wanted
        if key not in present
    ]
    out["backend.engine_config_missing_keys"] = Fact(missing, where)


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


def python_model_facts(
    facts: Facts, models: Mapping[str, Facts], repo: Path, path_map: list[tuple[str, str]]
) -> Facts:
    """`backend.*` facts of a Python-backend model: its tokenizer_dir, and the LLM a BLS calls."""
    if value_of(facts, "triton.backend") != "python" or "triton.parse_error" in facts:
        return {}
    out: Facts = {}
    _tokenizer(facts, repo, path_map, out)
    _bls_target(facts, models, out)
    return out


def _tokenizer(facts: Facts, repo: Path, path_map: list[tuple[str, str]], out: Facts) -> None:
    param = _param(facts, "tokenizer_dir")
    if param is None or not param.value.strip():
        return
    raw = param.value.strip()
    mapped, how = discovery.map_path(raw, repo, path_map)
    found = mapped is not None and mapped.is_dir()
    out["backend.tokenizer_dir"] = Fact(raw, param.location)
    out["backend.tokenizer_dir_mapping"] = Fact(how, param.location)
    out["backend.tokenizer_dir_found"] = Fact(found, param.location)
    if mapped is None or not found:
        return
    try:
        names = sorted(p.name for p in mapped.iterdir() if p.is_file())
    except OSError:
        names = []
    files = [n for n in names if n in TOKENIZER_FILES or n.endswith(".tiktoken")]
    out["backend.tokenizer_files"] = Fact(files, param.location)
    out["backend.tokenizer_present"] = Fact(bool(files), param.location)


def _bls_target(facts: Facts, models: Mapping[str, Facts], out: Facts) -> None:
    param = _param(facts, "tensorrt_llm_model_name")
    if param is None or not param.value.strip():
        return
    name = param.value.strip()
    target = models.get(name)
    out["backend.bls_target_name"] = Fact(name, param.location)
    out["backend.bls_target_found"] = Fact(target is not None, param.location)
    if target is None:
        return
    decoupled = target.get("triton.decoupled")
    if decoupled is None or not isinstance(decoupled.value, bool):
        return
    out["backend.bls_target"] = Fact(param.value.strip(), param.location)
    out["backend.bls_target_decoupled"] = Fact(decoupled.value, decoupled.location)
