"""Read a TensorRT-LLM engine directory's ``config.json`` into ``engine_config.*`` facts.

Two layouts exist: the ``new`` one written by ``trtllm-build`` (0.8 and later: ``version``,
``pretrained_config``, ``build_config``) and the ``legacy`` one of the per-model build scripts
(0.7 and older: ``builder_config`` + top-level ``plugin_config``). Legacy keys are mapped onto the
same fact keys where they mean the same thing.

Facts (all under ``engine_config.``; only what the file writes, never a default):

- ``format``: ``new``, ``legacy``, ``unknown`` (a JSON object with neither layout's keys) or
  ``invalid`` (not JSON, or not a JSON object; then ``parse_error`` = ``{message, line, column}``).
- ``version``; ``architecture`` and ``dtype`` (``pretrained_config``; legacy ``precision``).
- ``num_hidden_layers``, ``num_attention_heads``, ``num_key_value_heads``, ``hidden_size``,
  ``head_size``, ``vocab_size`` (:data:`MODEL_SHAPE`, ``pretrained_config``; legacy
  ``builder_config.num_layers`` / ``num_heads`` / ``num_kv_heads`` / ``hidden_size`` /
  ``vocab_size``).
- ``mapping.<key>`` for every scalar of ``pretrained_config.mapping`` (``world_size``,
  ``tp_size``, ``pp_size``, ``cp_size``, ``gpus_per_node``, ...); legacy ``tensor_parallel``,
  ``pipeline_parallel`` and ``context_parallel`` become ``mapping.tp_size`` / ``pp_size`` /
  ``cp_size``.
- ``builder_name``: legacy only, ``builder_config.name``, the start of the legacy engine file
  names (``<name>_<dtype>_tp<tp>_rank<r>.engine``).
- ``world_size_effective``: the written ``mapping.world_size``; when absent,
  ``tp_size * pp_size * cp_size`` with a missing ``pp_size``/``cp_size`` counted as 1 (only when
  ``tp_size`` is written).
- ``build_config.<limit>`` for each of :data:`BUILD_LIMITS` that is written (legacy: the same
  names inside ``builder_config``).
- ``plugin_config.<name>`` for every key of ``build_config.plugin_config`` (legacy: top level).
- ``cluster_key``: ``build_config.auto_parallel_config.cluster_key``.
- ``quantization.<key>`` for every scalar of ``pretrained_config.quantization`` (legacy:
  ``quantization.quant_mode``, the int bitmask).
- ``keys``: every dotted key path in the file, sorted (objects are walked, lists are not).
- ``read_error``: the reason the file could not be read (then no other fact).

Locations: the line and column of the key's ``"name":`` token, found by scanning the text for
each path segment in turn after its parent's token; the bare file path when that fails.
"""

from __future__ import annotations

import json
import re
from bisect import bisect_right
from pathlib import Path
from typing import Any

from preflight import safe_files
from preflight.facts import fact
from preflight.model import Fact, Facts

NAMESPACES = ("engine_config",)
PREFIX = "engine_config."
BUILD_LIMITS = (
    "max_batch_size",
    "max_beam_width",
    "max_input_len",
    "max_seq_len",
    "max_output_len",
    "max_num_tokens",
    "max_draft_len",
    "speculative_decoding_mode",
    "kv_cache_type",
)
# The model's shape (pretrained_config), for the KV cache arithmetic: `engine_config.<key>`.
MODEL_SHAPE = (
    "num_hidden_layers",
    "num_attention_heads",
    "num_key_value_heads",
    "hidden_size",
    "head_size",
    "vocab_size",
)
_LEGACY_RENAMES = {
    "num_layers": "num_hidden_layers",
    "num_heads": "num_attention_heads",
    "num_kv_heads": "num_key_value_heads",
    "hidden_size": "hidden_size",
    "vocab_size": "vocab_size",
    "name": "builder_name",
    "precision": "dtype",
    "tensor_parallel": "mapping.tp_size",
    "pipeline_parallel": "mapping.pp_size",
    "context_parallel": "mapping.cp_size",
    "quant_mode": "quantization.quant_mode",
}


def extract(path: Path) -> Facts:
    """Facts from the engine ``config.json`` at ``path``; never raises on a bad file."""
    try:
        text = safe_files.read_bytes(path, "config.json").decode("utf-8-sig", errors="replace")
    except OSError as exc:
        return {PREFIX + "read_error": fact(exc.strerror or str(exc), path)}
    return parse(text, str(path))


def parse(text: str, path: str) -> Facts:
    """Facts from the text of an engine ``config.json``; ``path`` goes into every location."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        return _invalid(path, exc.msg, exc.lineno, exc.colno)
    except (ValueError, RecursionError) as exc:  # too deep, or a number too long to convert
        return _invalid(path, f"cannot be read as JSON: {type(exc).__name__}", 1, 1)
    if not isinstance(data, dict):
        return _invalid(path, f"expected a JSON object, found {type(data).__name__}", 1, 1)
    where = _Locator(text, path)
    if "builder_config" in data and "version" not in data and "build_config" not in data:
        facts = _legacy(data, where)
        facts[PREFIX + "format"] = fact("legacy", path)
    else:
        facts = _new(data, where)
        known = {"version", "pretrained_config", "build_config"}
        facts[PREFIX + "format"] = fact("new" if known & data.keys() else "unknown", path)
    _add_world_size_effective(facts, path)
    facts[PREFIX + "keys"] = fact(sorted(_key_paths(data)), path)
    return facts


def _new(data: dict[str, Any], where: _Locator) -> Facts:
    facts: Facts = {}
    if "version" in data:
        facts[PREFIX + "version"] = where.fact(data["version"], "version")
    pretrained = _obj(data, "pretrained_config")
    for key in ("architecture", "dtype", *MODEL_SHAPE):
        if key in pretrained:
            facts[PREFIX + key] = where.fact(pretrained[key], "pretrained_config", key)
    for group in ("mapping", "quantization"):
        for key, value in _scalars(_obj(pretrained, group)):
            facts[f"{PREFIX}{group}.{key}"] = where.fact(value, "pretrained_config", group, key)
    build = _obj(data, "build_config")
    for key in BUILD_LIMITS:
        if key in build:
            facts[PREFIX + "build_config." + key] = where.fact(build[key], "build_config", key)
    for key, value in _obj(build, "plugin_config").items():
        facts[PREFIX + "plugin_config." + key] = where.fact(
            value, "build_config", "plugin_config", key
        )
    auto_parallel = _obj(build, "auto_parallel_config")
    if "cluster_key" in auto_parallel:
        facts[PREFIX + "cluster_key"] = where.fact(
            auto_parallel["cluster_key"], "build_config", "auto_parallel_config", "cluster_key"
        )
    return facts


def _legacy(data: dict[str, Any], where: _Locator) -> Facts:
    facts: Facts = {}
    builder = _obj(data, "builder_config")
    for key, target in _LEGACY_RENAMES.items():
        if key in builder:
            facts[PREFIX + target] = where.fact(builder[key], "builder_config", key)
    for key in BUILD_LIMITS:
        if key in builder:
            facts[PREFIX + "build_config." + key] = where.fact(builder[key], "builder_config", key)
    for key, value in _obj(data, "plugin_config").items():
        facts[PREFIX + "plugin_config." + key] = where.fact(value, "plugin_config", key)
    return facts


def _add_world_size_effective(facts: Facts, path: str) -> None:
    written = facts.get(PREFIX + "mapping.world_size")
    if written is not None:
        facts[PREFIX + "world_size_effective"] = Fact(written.value, written.location)
        return
    sizes = [facts.get(PREFIX + "mapping." + key) for key in ("tp_size", "pp_size", "cp_size")]
    tp = sizes[0]
    if tp is None:
        return
    product = 1
    for size in sizes:
        value = 1 if size is None else size.value
        if not isinstance(value, int) or isinstance(value, bool):
            return
        product *= value
    facts[PREFIX + "world_size_effective"] = Fact(product, tp.location)


def _invalid(path: str, message: str, line: int, column: int) -> Facts:
    return {
        PREFIX + "format": fact("invalid", path),
        PREFIX + "parse_error": fact(
            {"message": message, "line": line, "column": column}, path, line, column
        ),
    }


def _obj(data: dict[str, Any], key: str) -> dict[str, Any]:
    """``data[key]`` when it is a JSON object, else an empty dict."""
    value = data.get(key)
    return value if isinstance(value, dict) else {}


def _scalars(data: dict[str, Any]) -> list[tuple[str, Any]]:
    return [(k, v) for k, v in data.items() if not isinstance(v, (dict, list))]


def _key_paths(data: dict[str, Any], prefix: str = "") -> list[str]:
    out: list[str] = []
    for key, value in data.items():
        dotted = prefix + str(key)
        out.append(dotted)
        if isinstance(value, dict):
            out.extend(_key_paths(value, dotted + "."))
    return out


_JSON_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"\s*:?|[{}\[\]]')


class _Locator:
    """Where each ``"key":`` of the JSON text sits, by key path, from one linear scan."""

    def __init__(self, text: str, path: str) -> None:
        self._text = text
        self._path = path
        self._starts = [0] + [m.end() for m in re.finditer("\n", text)]
        self._offsets: dict[tuple[str, ...], int] | None = None

    def _scan(self) -> dict[tuple[str, ...], int]:
        offsets: dict[tuple[str, ...], int] = {}
        opened: list[str | None] = []  # for each open container, the key whose value it is
        key: str | None = None
        for match in _JSON_TOKEN.finditer(self._text):
            token = match.group()
            if token in ("{", "["):
                opened.append(key)
                key = None
            elif token in ("}", "]"):
                if opened:
                    opened.pop()
                key = None
            elif token.endswith(":"):
                try:
                    key = str(json.loads(token[:-1].rstrip()))
                except ValueError:
                    key = None
                    continue
                where = (*(k for k in opened if k is not None), key)
                offsets.setdefault(where, match.start())
        return offsets

    def fact(self, value: Any, *keys: str) -> Fact:
        if self._offsets is None:
            self._offsets = self._scan()
        offset = self._offsets.get(keys)
        if offset is None:
            return fact(value, self._path)
        line = bisect_right(self._starts, offset) - 1
        return fact(value, self._path, line + 1, offset - self._starts[line] + 1)
