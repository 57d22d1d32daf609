"""``backend.*``: the parameters as the tensorrtllm backend reads them, joined with the engine.

The backend reads every ``parameters`` entry of the ``tensorrt_llm`` model as a string and
converts it itself (``stoi``/``stof``, a bool parser that accepts ``True|true|TRUE|1`` and
``False|false|FALSE|0``). These facts repeat that reading, typed; the checks in
``checks/backend.py`` and the rules compare them. Every fact carries the location of the
``config.pbtxt`` parameter (or the ``config.json`` key) that decides it.

A parameter that still holds a template placeholder (``${...}``) yields no fact: the Triton
placeholder rules already report it, and the value the backend would fall back to is a default,
not something written here. A config that does not parse yields none either: its parameters
are unknown, not absent.

Facts of a ``tensorrt_llm`` model (:func:`derive`):

- ``gpt_model_type``: the raw string, or None when the parameter is absent (at the config's
  ``backend`` line); ``batching_mode``: ``inflight`` / ``static`` for the accepted values;
  ``static_batching_target_version``: for static batching, ``target.trtllm_version`` placed at
  the parameter.
- ``max_beam_width``: the parameter as an int (absent when it does not parse: the backend then
  uses 1).
- ``instance_ids``: one item per instance group of ``gpu_device_ids`` (``;`` separates
  instances, ``,`` ids) and per group of ``participant_ids``: ``{parameter, ids}`` at the
  parameter; present when either parameter is set. ``num_nodes``: the parameter as an int.
- ``kv_cache_free_gpu_mem_fraction`` (float) and ``..._parses`` (bool);
  ``enable_kv_cache_reuse`` (bool, when it parses).
- ``encoder_decoder`` (bool), ``cross_kv_cache_fraction_set`` (bool: the parameter gives a
  number), ``cross_kv_cache_fraction`` (float, when it parses).
- ``decoding_mode``, ``decoding_mode_speculative`` (bool), ``decoding_mode_enum`` (the engine's
  ``speculative_decoding_mode`` value that mode needs) and ``engine_speculative_mode`` (the
  engine's value as a name).
- ``lookahead`` (decoding_mode ``lookahead``): ``{window, ngram, verification, missing,
  draft_len}``, the lookahead_* parameters and the max_draft_len they need.

Facts of a Python model (:func:`python_model_facts`): ``bls_target_name`` and
``bls_target_found`` for a BLS model naming its LLM (``tensorrt_llm_model_name``), and
``bls_target`` / ``bls_target_decoupled`` when that model's decoupled setting is known.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..facts import value_of
from ..model import Fact, Facts, Location
from ..placeholders import is_unfilled

NAMESPACES = ("backend",)

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


def param(facts: Facts, key: str) -> Fact | None:
    """The parameter's fact when it is set to a filled-in string (no placeholder)."""
    found = facts.get(PARAM + key)
    if found is None or not isinstance(found.value, str):
        return None
    if is_unfilled(found.value):
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


def derive(facts: Facts) -> Facts:
    """``backend.*`` of a tensorrtllm model from ``triton.*``, ``engine_config.*``, ``target.*``."""
    out: Facts = {}
    if "triton.parse_error" in facts:
        return out  # parameters of a config that does not parse are unknown, not absent
    _batching(facts, out)
    _beam_width(facts, out)
    _instance_ids(facts, out)
    _kv_cache(facts, out)
    _cross_attention(facts, out)
    _decoding_mode(facts, out)
    return out


def _batching(facts: Facts, out: Facts) -> None:
    raw = facts.get(PARAM + "gpt_model_type")
    found = param(facts, "gpt_model_type")
    if raw is None:
        out["backend.gpt_model_type"] = Fact(None, _config_location(facts))
        return
    if found is None:
        return  # an unfilled placeholder: reported by the Triton placeholder rules
    out["backend.gpt_model_type"] = found
    mode = GPT_MODEL_TYPES.get(found.value)
    if mode is None:
        return
    out["backend.batching_mode"] = Fact(mode, found.location)
    serving = value_of(facts, "target.trtllm_version")
    if mode == "static" and isinstance(serving, str):
        # the serving release, shown where the fix goes: the gpt_model_type parameter
        out["backend.static_batching_target_version"] = Fact(serving, found.location)


def _beam_width(facts: Facts, out: Facts) -> None:
    found = param(facts, "max_beam_width")
    if found is None:
        return
    width = _parse_int(found.value)
    if width is not None:
        out["backend.max_beam_width"] = Fact(width, found.location)


def _groups(text: str) -> list[list[str]]:
    return [[i.strip() for i in g.split(",") if i.strip()] for g in text.split(";") if g.strip()]


def _instance_ids(facts: Facts, out: Facts) -> None:
    devices = param(facts, "gpu_device_ids")
    participants = param(facts, "participant_ids")
    items: list[dict[str, Any]] = []
    for name, found in (("gpu_device_ids", devices), ("participant_ids", participants)):
        if found is None:
            continue
        where = found.location
        for group in _groups(found.value):
            item: dict[str, Any] = {"parameter": name, "ids": group}
            if where is not None:
                item.update(path=where.path, line=where.line, column=where.column)
            items.append(item)
    anchor = devices or participants
    if anchor is not None:
        out["backend.instance_ids"] = Fact(items, anchor.location)
    nodes = param(facts, "num_nodes")
    count = _parse_int(nodes.value) if nodes is not None else None
    if nodes is not None and count is not None:
        out["backend.num_nodes"] = Fact(count, nodes.location)


def _kv_cache(facts: Facts, out: Facts) -> None:
    fraction = param(facts, "kv_cache_free_gpu_mem_fraction")
    if fraction is not None:
        number = _parse_float(fraction.value)
        out["backend.kv_cache_free_gpu_mem_fraction_parses"] = Fact(
            number is not None, fraction.location
        )
        if number is not None:
            out["backend.kv_cache_free_gpu_mem_fraction"] = Fact(number, fraction.location)
    reuse = param(facts, "enable_kv_cache_reuse")
    if reuse is not None:
        flag = _parse_bool(reuse.value)
        if flag is not None:
            out["backend.enable_kv_cache_reuse"] = Fact(flag, reuse.location)


def _cross_attention(facts: Facts, out: Facts) -> None:
    encoder = param(facts, "encoder_model_path")
    architecture = facts.get("engine_config.architecture")
    if encoder is not None and encoder.value.strip():
        out["backend.encoder_decoder"] = Fact(True, encoder.location)
    elif architecture is not None and isinstance(architecture.value, str):
        is_enc_dec = architecture.value in ENC_DEC_ARCHITECTURES
        out["backend.encoder_decoder"] = Fact(is_enc_dec, architecture.location)
    raw = facts.get(PARAM + "cross_kv_cache_fraction")
    cross = param(facts, "cross_kv_cache_fraction")
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
    found = param(facts, "decoding_mode")
    if found is None:
        return
    mode = found.value.strip()
    out["backend.decoding_mode"] = Fact(mode, found.location)
    wanted = SPECULATIVE_DECODING_MODES.get(mode)
    out["backend.decoding_mode_speculative"] = Fact(wanted is not None, found.location)
    if wanted is not None:
        out["backend.decoding_mode_enum"] = Fact(wanted, found.location)
    if mode == "lookahead":
        _lookahead(facts, out, found)


LOOKAHEAD_PARAMETERS = (
    ("window", "lookahead_window_size"),
    ("ngram", "lookahead_ngram_size"),
    ("verification", "lookahead_verification_set_size"),
)


def lookahead_draft_len(window: int, ngram: int, verification: int) -> int:
    """The draft tokens a lookahead (W, N, G) needs: LookaheadDecodingConfig::
    calculateSpeculativeResourceTuple in NVIDIA/TensorRT-LLM (executor), the engine's
    max_draft_len must equal it (examples/lookahead/README.md)."""
    first = 0 if ngram == 1 else ngram - 2
    return first + (window - 1 + verification) * (ngram - 1)


def _lookahead(facts: Facts, out: Facts, mode: Fact) -> None:
    """``lookahead``: ``{window, ngram, verification, missing, draft_len}`` as the backend reads
    the three parameters (GetParameter<uint32_t>); ``missing`` names those not set to a number."""
    values: dict[str, Any] = {}
    missing = []
    where = mode.location
    for key, name in LOOKAHEAD_PARAMETERS:
        found = param(facts, name)
        number = _parse_int(found.value) if found is not None else None
        if found is None or number is None or number < 0:
            missing.append(name)
            continue
        values[key] = number
        if key == "window":
            where = found.location
    if not missing:
        values["draft_len"] = lookahead_draft_len(
            values["window"], values["ngram"], values["verification"]
        )
    out["backend.lookahead"] = Fact({**values, "missing": missing}, where)


def python_model_facts(facts: Facts, models: Mapping[str, Facts]) -> Facts:
    """``backend.*`` of a Python-backend model: the LLM a BLS model calls, among ``models``."""
    backend = value_of(facts, "autocomplete.backend") or value_of(facts, "triton.backend")
    if backend != "python" or "triton.parse_error" in facts:
        return {}
    out: Facts = {}
    found = param(facts, "tensorrt_llm_model_name")
    if found is None or not found.value.strip():
        return out
    name = found.value.strip()
    target = models.get(name)
    out["backend.bls_target_name"] = Fact(name, found.location)
    out["backend.bls_target_found"] = Fact(target is not None, found.location)
    if target is None:
        return out
    decoupled = target.get("triton.decoupled")
    if decoupled is None or not isinstance(decoupled.value, bool):
        return out
    out["backend.bls_target"] = Fact(name, found.location)
    out["backend.bls_target_decoupled"] = Fact(decoupled.value, decoupled.location)
    return out
