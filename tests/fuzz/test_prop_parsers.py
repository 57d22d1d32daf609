"""Property: every parser, called as a library on a hostile artifact, returns facts (or raises only
the PreflightError subclass it documents) within the time bound.

The inputs are real artifacts (the example repository, tests/data) with hostile edits
(prop_kit.mutated: thousands of digits, a lone '.', non-ASCII digits, NUL, invalid UTF-8, ``${``
floods, deep nesting, escapes, cut files) and artifacts generated from the lines the parsers
look for, with hostile values in their fields.
"""

from __future__ import annotations

import json
import re
import struct
from pathlib import Path
from typing import Any

import pytest
from hypothesis import strategies as st
from prop_kit import (
    DATA,
    EXAMPLE,
    PARSER_SECONDS,
    ROOT,
    encode,
    engine_seeds,
    example_bytes,
    mutated,
    one_of_list,
    run_property,
    sizes,
    time_bound,
    token,
    unconfined,
)

from preflight.errors import RuleFileError, SettingsError, YamlError
from preflight.model import Fact


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


def assert_facts(facts: Any) -> None:
    """A parser's result: a mapping of fact names to Facts whose values serialise as JSON
    (``preflight facts`` prints them)."""
    assert isinstance(facts, dict)
    for key, value in facts.items():
        assert isinstance(key, str)
        assert isinstance(value, Fact), key
    json.dumps({k: v.value for k, v in facts.items()}, default=str)


def write(folder: Path, name: str, data: bytes) -> Path:
    path = folder / name
    path.write_bytes(data)
    return path


# --- build log ------------------------------------------------------------------------------

LOG_SEEDS = [example_bytes("tensorrt_llm/1/build.log")] + [
    p.read_bytes() for p in sorted((DATA / "logs").glob("*.log"))
]
_LOG_LINES = [
    "[11/26/2026-18:14:04] [TRT-LLM] [I] Set {0} to {1}.",
    "[11/26/2026-18:14:04] [TRT-LLM] [I] Set PluginConfig.{0} to {1}.",
    "[11/26/2026-18:14:04] [TRT-LLM] [I] Set dtype to {0}.",
    "[11/26/2026-18:14:04] [TRT-LLM] [I] Compute capability: ({0}, {1})",
    "[11/26/2026-18:14:04] [TRT-LLM] [I] SM count: {0}",
    "[11/26/2026-18:14:04] [TRT-LLM] [I] SM clock: {0} MHz",
    "[11/26/2026-18:14:04] [TRT-LLM] [I] float16 TFLOPS: {0}",
    "[11/26/2026-18:14:04] [TRT-LLM] [I] Total Memory: {0} GiB",
    "[11/26/2026-18:14:04] [TRT] [I] [MemUsageStats] Peak memory usage of TRT CPU/GPU memory allocators: CPU 1 MiB, GPU {0} MiB",
    "[11/26/2026-18:14:04] [TRT] [I] Engine generation completed in {0} seconds.",
    "[11/26/2026-18:14:04] [TRT-LLM] [I] Serializing engine to {0}/rank{1}.engine...",
    "[11/26/2026-18:14:04] [TRT-LLM] [I] Engine serialized. Total time: {0}",
    "[11/26/2026-18:14:04] [TRT-LLM] [I] Total time of building all engines: {0}",
    "[TensorRT-LLM] TensorRT-LLM version: {0}",
    "[TensorRT-LLM][ERROR] {0}",
    "[11/26/2026-18:14:04] [TRT] [V] {0}",
    "[11/26/2026-18:14:04] [TRT-LLM] [V] {0}",
    "[11/26/2026-18:14:04] [TRT] [E] {0}",
    "2026-11-26T18:14:04.123Z [1,{0}]<stderr>: {1}",
    "Traceback (most recent call last):",
    '  File "{0}", line {1}, in parallel_build',
    "RuntimeError: {0}",
    "Exception ignored in: {0}",
    "terminate called after throwing an instance of '{0}'",
    "{0}",
]


@st.composite
def generated_log(draw: st.DrawFn) -> bytes:
    lines = []
    for _ in range(draw(st.integers(1, 30))):
        template = draw(st.sampled_from(_LOG_LINES))
        lines.append(template.format(draw(token), draw(token)))
    sep = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    return encode(sep.join(lines))


build_logs = one_of_list(LOG_SEEDS).flatmap(mutated) | generated_log()


@pytest.mark.parametrize("examples", sizes(60))
def test_build_log_parser_returns_facts(examples: int, scratch: Path) -> None:
    from preflight.sources import trtllm_log

    def build_log(data: bytes) -> None:
        path = write(scratch, "build.log", data)
        with unconfined(), time_bound(PARSER_SECONDS):
            assert_facts(trtllm_log.parse(data.decode("utf-8", errors="replace"), str(path)))
            facts = trtllm_log.extract(path)
        assert_facts(facts)
        assert "build_log.read_error" not in facts

    assert run_property(examples, build_logs, build_log) > 0


# --- plan header ----------------------------------------------------------------------------

ENGINE_SEEDS = engine_seeds()


@st.composite
def engine_bytes(draw: st.DrawFn) -> bytes:
    data = bytearray(draw(one_of_list(ENGINE_SEEDS)))
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(["word", "cut", "insert", "pad"]))
        at = draw(st.integers(0, max(0, len(data) - 1)))
        if op == "word" and len(data) >= 8:
            at = min(at, len(data) - 8)
            value = draw(
                st.sampled_from([0, 1, 0x7FFFFFFF, 0xFFFFFFFF, 2**63 - 1, 2**64 - 1, len(data)])
                | st.integers(0, 2**64 - 1)
            )
            fmt = draw(st.sampled_from(["<I", "<Q"]))
            packed = struct.pack(fmt, value & (0xFFFFFFFF if fmt == "<I" else 2**64 - 1))
            data[at : at + len(packed)] = packed
        elif op == "cut":
            del data[at:]
        elif op == "insert":
            data[at:at] = draw(st.binary(max_size=32))
        else:
            data.extend(b"\x00" * draw(st.integers(1, 4096)))
    return bytes(data)


@st.composite
def lfs_pointer(draw: st.DrawFn) -> bytes:
    oid = draw(st.sampled_from(["a" * 64, "", "../../x"]) | token)
    size = draw(token | st.integers().map(str))
    return encode(f"version https://git-lfs.github.com/spec/v1\noid sha256:{oid}\nsize {size}\n")


engines = engine_bytes() | lfs_pointer() | st.binary(max_size=256)


@pytest.mark.parametrize("examples", sizes(80))
def test_plan_header_parser_returns_facts(examples: int, scratch: Path) -> None:
    from preflight.sources import trt_engine

    def plan_header(data: bytes) -> None:
        path = write(scratch, "rank0.engine", data)
        with unconfined(), time_bound(PARSER_SECONDS):
            facts = trt_engine.extract(path)
        assert_facts(facts)

    assert run_property(examples, engines, plan_header) > 0


# --- config.json ----------------------------------------------------------------------------

CONFIG_JSON_SEEDS = [example_bytes("tensorrt_llm/1/config.json")] + [
    p.read_bytes() for p in sorted((DATA / "configs").glob("*.json"))
]
json_leaf = (
    st.integers()
    | st.integers(4300, 6000).map(lambda n: f"__HUGE{n}__")  # digits, see dumps()
    | st.sampled_from([1e308, float("inf"), float("nan")])
    | token
    | st.none()
    | st.booleans()
)
json_values = st.recursive(
    json_leaf,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(token, inner, max_size=4),
    max_leaves=12,
)


def dumps(data: Any, indent: int | None = None) -> bytes:
    """JSON text; ``__HUGE<n>__`` becomes a number of n digits (json.dumps refuses them)."""
    text = json.dumps(data, indent=indent, allow_nan=True)
    return encode(re.sub(r'"__HUGE(\d+)__"', lambda m: "9" * int(m.group(1)), text))


_CONFIG_KEYS = [
    ("version",),
    ("pretrained_config", "dtype"),
    ("pretrained_config", "architecture"),
    ("pretrained_config", "mapping", "world_size"),
    ("pretrained_config", "mapping", "tp_size"),
    ("pretrained_config", "mapping", "pp_size"),
    ("pretrained_config", "num_hidden_layers"),
    ("build_config", "max_batch_size"),
    ("build_config", "max_beam_width"),
    ("build_config", "max_input_len"),
    ("build_config", "plugin_config"),
    ("build_config", "plugin_config", "remove_input_padding"),
    ("build_config", "plugin_config", "gpt_attention_plugin"),
    ("build_config", "lora_config"),
    ("builder_config", "tensor_parallel"),
    ("plugin_config",),
]


@st.composite
def generated_config_json(draw: st.DrawFn) -> bytes:
    data: Any = json.loads(example_bytes("tensorrt_llm/1/config.json"))
    for _ in range(draw(st.integers(1, 5))):
        keys = draw(st.sampled_from(_CONFIG_KEYS))
        node = data
        for key in keys[:-1]:
            if not isinstance(node.get(key), dict):
                node[key] = {}
            node = node[key]
        node[keys[-1]] = draw(json_values)
    return dumps(data, indent=draw(st.sampled_from([None, 2])))


deep_json = st.integers(100, 200_000).map(lambda n: b"[" * n + b"]" * n) | st.integers(
    100, 200_000
).map(lambda n: b'{"a":' * n + b"1" + b"}" * n)
config_jsons = one_of_list(CONFIG_JSON_SEEDS).flatmap(mutated) | generated_config_json() | deep_json


@pytest.mark.parametrize("examples", sizes(80))
def test_config_json_parser_returns_facts(examples: int, scratch: Path) -> None:
    from preflight.sources import engine_config

    def config_json(data: bytes) -> None:
        path = write(scratch, "config.json", data)
        with unconfined(), time_bound(PARSER_SECONDS):
            assert_facts(engine_config.parse(data.decode("utf-8", errors="replace"), str(path)))
            facts = engine_config.extract(path)
        assert_facts(facts)

    assert run_property(examples, config_jsons, config_json) > 0


# --- config.pbtxt and its locations ---------------------------------------------------------

PBTXT_SEEDS = [p.read_bytes() for p in sorted(EXAMPLE.glob("*/config.pbtxt"))] + [
    p.read_bytes() for p in sorted((DATA / "pbtxt").rglob("*.pbtxt"))
]
_PBTXT_LINES = [
    'name: "{0}"',
    'backend: "{0}"',
    "max_batch_size: {0}",
    "platform: {0}",
    'input [ {{ name: "{0}" data_type: TYPE_INT32 dims: [ {1} ] }} ]',
    "output {{ name: {0} data_type: {1} dims: [ -1, {1} ] }}",
    "instance_group [ {{ count: {0} kind: KIND_GPU gpus: [ {1} ] }} ]",
    'parameters: {{ key: "{0}" value: {{ string_value: "{1}" }} }}',
    'parameters {{ key: "gpt_model_path" value {{ string_value: "${{{0}}}" }} }}',
    "dynamic_batching {{ max_queue_delay_microseconds: {0} preferred_batch_size: [ {1} ] }}",
    "version_policy: {{ specific {{ versions: [ {0} ] }} }}",
    'ensemble_scheduling {{ step [ {{ model_name: "{0}" model_version: {1} }} ] }}',
    "# preflight: ignore[{0}] {1}",
    'parameters {{ key: "gpt_model_path" value {{ string_value: "{0}" }} }}',
    'parameters {{ key: "tokenizer_dir" value {{ string_value: "{0}" }} }}',
    'parameters {{ key: "encoder_model_path" value {{ string_value: "{0}" }} }}',
    'default_model_filename: "{0}"',
    'cc_model_filenames {{ key: "{1}" value: "{0}" }}',
    'backend: "{0}"\nplatform: "{1}"',
    "{0}",
]


@st.composite
def generated_pbtxt(draw: st.DrawFn) -> bytes:
    lines = [
        draw(st.sampled_from(_PBTXT_LINES)).format(draw(token), draw(token))
        for _ in range(draw(st.integers(1, 12)))
    ]
    return encode("\n".join(lines))


deep_pbtxt = st.integers(50, 20_000).map(
    lambda n: b"ensemble_scheduling " + b"{ step { " * n + b"}" * (2 * n)
) | st.integers(50, 20_000).map(lambda n: b'parameters { key: "k" value ' * n)
# `${` floods: tens of thousands of placeholders (400 KB took minutes: quadratic)
pbtxt_floods = st.tuples(
    st.integers(1000, 100_000), st.sampled_from([b'name: "%s"', b"name: %s", b"%s"])
).map(lambda a: a[1] % (b"${x} " * a[0]))
pbtxts = one_of_list(PBTXT_SEEDS).flatmap(mutated) | generated_pbtxt() | deep_pbtxt | pbtxt_floods


@pytest.mark.parametrize("examples", sizes(60))
def test_config_pbtxt_parser_returns_facts(examples: int, scratch: Path) -> None:
    from preflight.pbtxt_locations import scan
    from preflight.sources import triton_config
    from preflight.triton_proto import load_model_config_pb2

    descriptor = load_model_config_pb2().ModelConfig.DESCRIPTOR

    def config_pbtxt(data: bytes) -> None:
        folder = scratch / "model"
        folder.mkdir(exist_ok=True)
        path = write(folder, "config.pbtxt", data)
        with unconfined(), time_bound(PARSER_SECONDS):
            result = scan(data.decode("utf-8", errors="replace"), descriptor)
            facts = triton_config.extract(path)
        assert result is not None
        assert_facts(facts)

    assert run_property(examples, pbtxts, config_pbtxt) > 0


# --- rule YAML ------------------------------------------------------------------------------

RULE_SEEDS = [
    p.read_bytes()
    for p in sorted((ROOT / "rules").rglob("*.yaml"))
    if p.stem in ("TLLM003", "TRITON001", "TRITON003", "TLLM104", "TRT007", "TLLM106")
]
_RULE_FIELDS = [
    "id: {0}",
    "name: {0}",
    "severity: {0}",
    "applies-to: {0}",
    "after: [{0}]",
    "expect: {{fact: {0}, op: {1}, value: {1}}}",
    "expect: {{all: [{{fact: {0}, op: matches, value: '{1}'}}]}}",
    "message: '{0} {{subject}} {1}'",
    'message: "{{{0}}}"',
    "options: {{{0}: {{default: {1}}}}}",
    "if-missing: {0}",
    "{0}: {1}",
]


@st.composite
def generated_rule(draw: st.DrawFn) -> bytes:
    base = draw(one_of_list(RULE_SEEDS)).decode()
    lines = [
        draw(st.sampled_from(_RULE_FIELDS)).format(draw(token), draw(token))
        for _ in range(draw(st.integers(1, 4)))
    ]
    return encode(base + "\n" + "\n".join(lines) + "\n")


deep_yaml = st.integers(50, 50_000).map(lambda n: b"a: " + b"[" * n + b"]" * n) | st.integers(
    10, 30
).map(lambda n: b"a: &a [x]\n" + b"".join(b"b%d: &b%d [*a, *a]\n" % (i, i) for i in range(n)))
rule_yamls = one_of_list(RULE_SEEDS).flatmap(mutated) | generated_rule() | deep_yaml


@pytest.mark.parametrize("examples", sizes(60))
def test_rule_yaml_loader_returns_rules_or_rule_file_error(examples: int, scratch: Path) -> None:
    from preflight.rules.loader import load_rules

    folder = scratch / "rules"
    folder.mkdir(exist_ok=True)

    def rule_yaml(data: bytes) -> None:
        write(folder, "TLLM999.yaml", data)
        for validate in (True, False):
            with unconfined(), time_bound(PARSER_SECONDS):
                try:
                    rules = load_rules([(folder, validate)])
                except RuleFileError as exc:  # the loader's one documented error
                    assert exc.lines and all(isinstance(line, str) for line in exc.lines)
                else:
                    assert isinstance(rules, list)

    assert run_property(examples, rule_yamls, rule_yaml) > 0


# --- .preflight.yaml ------------------------------------------------------------------------

SETTINGS_SEED = b"""target: {gpu: RTX 4060 Ti, triton: "25.06", gpu_count: 2, world_size: 2}
fail-on: error
build-log: tensorrt_llm/1/build.log
path-map: {/models: .}
rule-dirs: [ci/preflight-rules]
deserialize: false
require-deserialize: false
limits: {config.pbtxt: 1000000}
rules:
  TLLM002: {options: {dtype: bfloat16}}
  TRITON004: {severity: error}
  TLLM104: {enabled: false}
ignore:
  - rules: [TLLM106]
    paths: ["tensorrt_llm/*"]
    reason: on purpose
"""
_SETTINGS_LINES = [
    "target: {{gpu: {0}, triton: {1}}}",
    "target: {{gpu_memory: {0}, gpu_count: {1}, driver: {1}}}",
    "target: {0}",
    "fail-on: {0}",
    "build-log: {0}",
    "rule-dirs: [{0}, {1}]",
    "path-map: {{{0}: {1}}}",
    "limits: {{{0}: {1}}}",
    "rules: {{{0}: {{severity: {1}, options: {{x: {1}}}}}}}",
    "rules: {{{0}: {1}}}",
    "ignore: [{{rules: [{0}], paths: [{1}], reason: {1}}}]",
    "deserialize: {0}",
    "{0}: {1}",
]


@st.composite
def generated_settings(draw: st.DrawFn) -> bytes:
    lines = [
        draw(st.sampled_from(_SETTINGS_LINES)).format(draw(token), draw(token))
        for _ in range(draw(st.integers(1, 6)))
    ]
    return encode("\n".join(lines) + "\n")


settings_yamls = mutated(SETTINGS_SEED) | generated_settings() | deep_yaml


@pytest.mark.parametrize("examples", sizes(80))
def test_settings_loader_returns_settings_or_settings_error(examples: int, scratch: Path) -> None:
    from preflight import settings

    folder = scratch / "settings"
    folder.mkdir(exist_ok=True)

    def preflight_yaml(data: bytes) -> None:
        path = write(folder, ".preflight.yaml", data)
        for trusted in (False, True):
            with unconfined(), time_bound(PARSER_SECONDS):
                try:
                    cfg = settings.load(path, trusted=trusted)
                    settings.check_rule_settings(cfg, {})
                except (SettingsError, YamlError) as exc:  # the file's, or its YAML's
                    assert exc.lines and all(isinstance(line, str) for line in exc.lines)

    assert run_property(examples, settings_yamls, preflight_yaml) > 0


# --- manifest -------------------------------------------------------------------------------

MANIFEST_SEED = example_bytes("tensorrt_llm/1/preflight-manifest.json")


@st.composite
def generated_manifest(draw: st.DrawFn) -> bytes:
    entry = {
        "size": draw(json_values),
        "sha256": draw(json_values),
        "trt_version": draw(json_values),
    }
    name = draw(
        st.sampled_from(["rank0.engine", "../rank0.engine", "/etc/passwd", "a\x00b"]) | token
    )
    files = draw(st.sampled_from([{name: entry}, [entry], None, entry]) | json_values)
    doc = {"preflight_manifest": draw(st.sampled_from([1, 2]) | json_values), "files": files}
    return dumps(doc)


manifests = mutated(MANIFEST_SEED) | generated_manifest() | deep_json


@pytest.mark.parametrize("examples", sizes(80))
def test_manifest_reader_returns_facts(examples: int, scratch: Path) -> None:
    from preflight.sources import manifest

    folder = scratch / "engine"
    folder.mkdir(exist_ok=True)
    write(folder, "rank0.engine", example_bytes("tensorrt_llm/1/rank0.engine"))

    def manifest_json(data: bytes) -> None:
        write(folder, "preflight-manifest.json", data)
        with unconfined(), time_bound(PARSER_SECONDS):
            facts = manifest.extract(folder)
        assert_facts(facts)

    assert run_property(examples, manifests, manifest_json) > 0


# --- the streaming build-log reader ---------------------------------------------------------

_VERBOSE_LINE = (
    b"[11/26/2026-18:14:04] [TRT] [V] Tactic: 0x0000000000000000 Time: 0.0123 " + b"x" * 40
)
_PADDING = (_VERBOSE_LINE + b"\n") * ((4 << 20) // len(_VERBOSE_LINE) + 64)  # past FAST_PATH_BYTES


@st.composite
def large_log(draw: st.DrawFn) -> bytes:
    """A log past the fast path (read by the streaming reader), hostile parts at its start,
    somewhere in the middle and at its end."""
    parts = [draw(build_logs) for _ in range(3)]
    cut = draw(st.integers(0, len(_PADDING) // len(_VERBOSE_LINE) - 1)) * (len(_VERBOSE_LINE) + 1)
    return parts[0] + b"\n" + _PADDING[:cut] + parts[1] + b"\n" + _PADDING[cut:] + parts[2]


@pytest.mark.parametrize("examples", sizes(3, slow_divisor=20))
def test_streaming_build_log_reader_returns_the_facts_of_the_line_reader(
    examples: int, scratch: Path
) -> None:
    from preflight.sources import trtllm_log

    def streamed_build_log(data: bytes) -> None:
        path = write(scratch, "large.log", data)
        with unconfined(), time_bound(PARSER_SECONDS * 2):
            streamed = trtllm_log.extract(path)
            whole = trtllm_log.parse(data.decode("utf-8", errors="replace"), str(path))
        assert_facts(streamed)
        assert {k: v.value for k, v in streamed.items()} == {k: v.value for k, v in whole.items()}

    assert run_property(examples, large_log(), streamed_build_log) > 0
