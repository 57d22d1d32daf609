"""Source for one Triton ``config.pbtxt``: facts under ``triton.*``.

The file is parsed with ``google.protobuf.text_format.Parse`` into tritonclient's generated
``ModelConfig`` (the schema Triton itself uses). Field locations, unknown fields and template
placeholders come from protobuf's tokenizer (:mod:`preflight.pbtxt_locations`).
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any, cast

from ..model import Fact, Facts, Location
from ..pbtxt_locations import ScanResult, scan

_PB2_NAME = "tritonclient.grpc.model_config_pb2"


def load_model_config_pb2() -> ModuleType:
    """tritonclient's generated ``model_config_pb2``, loaded without grpc and numpy.

    The package ``tritonclient/grpc/__init__.py`` imports grpc (and numpy), about ten times
    the cost of the generated module alone (see ``benchmarks/bench_pbtxt_import.py``), so
    the module file is loaded directly under its usual name; the ordinary import is the
    fallback when that is not possible.
    """
    loaded = sys.modules.get(_PB2_NAME)
    if loaded is not None:
        return loaded
    try:
        spec = importlib.util.find_spec("tritonclient")
        roots = list(spec.submodule_search_locations or []) if spec else []
        for root in roots:
            file = Path(root) / "grpc" / "model_config_pb2.py"
            if not file.is_file():
                continue
            direct = importlib.util.spec_from_file_location(_PB2_NAME, file)
            if direct is None or direct.loader is None:
                break
            module = importlib.util.module_from_spec(direct)
            sys.modules[_PB2_NAME] = module
            try:
                direct.loader.exec_module(module)
            except Exception:
                sys.modules.pop(_PB2_NAME, None)
                raise
            return module
    except Exception:  # fall back to the ordinary import below
        pass
    import tritonclient.grpc.model_config_pb2 as pb2

    return cast(ModuleType, pb2)


@dataclass(slots=True)
class ParsedConfig:
    """One config.pbtxt: the parsed message (None when it does not parse) and where things are."""

    path: Path
    text: str | None
    message: Any | None
    error: dict[str, Any] | None = None
    partial: Any | None = None  # what protobuf had read before an error
    scan: ScanResult = field(default_factory=ScanResult)
    missing: bool = False

    def locate(self, path: str) -> Location | None:
        """Where a dotted field path sits: ``max_batch_size``, ``input[0].dims``,
        ``parameters[gpt_model_path]``, ``parameters[gpt_model_path].value.string_value``."""
        pos = self.scan.locations.get(path)
        return None if pos is None else Location(str(self.path), pos.line, pos.column)

    def loc(self, path: str, fallback: bool = True) -> Location | None:
        """:meth:`locate`, or the file itself (line 1) when ``fallback`` and the path is absent."""
        found = self.locate(path)
        if found is None and fallback:
            return Location(str(self.path), 1, None)
        return found

    def line(self, path: str) -> int:
        found = self.scan.locations.get(path)
        return found.line if found else 1

    @property
    def unknown_fields(self) -> list[dict[str, Any]]:
        return self.scan.unknown_fields

    @property
    def placeholders(self) -> list[dict[str, Any]]:
        return self.scan.placeholders


def _key_at(result: ScanResult, line: int, column: int) -> str | None:
    """The field name on the error's line (the last one at or before the column)."""
    best: str | None = None
    before: str | None = None
    for path, pos in result.fields:
        if (pos.line, pos.column) > (line, column):
            break
        before = path
        if pos.line == line:
            best = path
    return best or before


def parse(path: Path) -> ParsedConfig:
    """Parse ``path``; never raises. A missing or unreadable file gives ``missing``/``error``."""
    if path.exists() and not path.is_file():  # a FIFO would block the read forever
        msg = f"failed to open text file for read {path}: not a regular file"
        return ParsedConfig(path, None, None, {"message": msg, "line": None, "column": None})
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return ParsedConfig(
            path,
            None,
            None,
            {
                "message": f"failed to open text file for read {path}: No such file or directory",
                "line": None,
                "column": None,
                "key": None,
            },
            missing=True,
        )
    except OSError as exc:
        msg = f"failed to open text file for read {path}: {exc.strerror or exc}"
        return ParsedConfig(path, None, None, {"message": msg, "line": None, "column": None})
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        msg = f"config is not UTF-8 text (byte {exc.start})"
        return ParsedConfig(path, None, None, {"message": msg, "line": None, "column": None})

    from google.protobuf import text_format

    pb2 = load_model_config_pb2()
    result = scan(text, pb2.ModelConfig.DESCRIPTOR)
    message = pb2.ModelConfig()
    try:
        text_format.Parse(text, message)
    except text_format.ParseError as exc:
        line, column = exc.GetLine(), exc.GetColumn()
        text_msg = str(exc)
        prefix = f"{line}:{column} : "
        if line is not None and text_msg.startswith(prefix):
            text_msg = text_msg[len(prefix) :]
        error = {
            "message": text_msg,
            "line": line,
            "column": column,
            "key": _key_at(result, line, column or 1) if line is not None else None,
        }
        return ParsedConfig(path, text, None, error, partial=message, scan=result)
    except Exception as exc:  # e.g. recursion limits: a fact, not a crash
        error = {"message": f"{type(exc).__name__}: {exc}", "line": None, "column": None}
        return ParsedConfig(path, text, None, error, scan=result)
    return ParsedConfig(path, text, message, None, scan=result)


# -- facts ------------------------------------------------------------------------------


def _enum_name(enum: Any, number: int) -> str:
    try:
        return str(enum.Name(number))
    except ValueError:
        return str(number)


def _io(pc: ParsedConfig, items: Any, kind: str, pb2: ModuleType) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for i, t in enumerate(items):
        pos = pc.scan.locations.get(f"{kind}[{i}]")
        entry: dict[str, Any] = {
            "name": t.name,
            "data_type": _enum_name(pb2.DataType, t.data_type),
            "dims": [int(d) for d in t.dims],
            "path": str(pc.path),
            "line": pos.line if pos else None,
            "column": pos.column if pos else None,
        }
        if t.HasField("reshape"):
            entry["reshape"] = [int(d) for d in t.reshape.shape]
        if kind == "input":
            entry["optional"] = bool(t.optional)
            entry["format"] = _enum_name(type(t).Format, t.format) if t.format else None
        entry["is_shape_tensor"] = bool(t.is_shape_tensor)
        out.append(entry)
    return out


def _fact(value: Any, pc: ParsedConfig, path: str | None) -> Fact:
    loc = pc.locate(path) if path else None
    return Fact(value, loc or Location(str(pc.path), 1 if path else None, None))


def _version_policy(msg: Any) -> dict[str, Any] | None:
    if not msg.HasField("version_policy"):
        return None
    which = msg.version_policy.WhichOneof("policy_choice")
    if which == "latest":
        return {"latest": {"num_versions": int(msg.version_policy.latest.num_versions)}}
    if which == "specific":
        return {"specific": {"versions": [int(v) for v in msg.version_policy.specific.versions]}}
    if which == "all":
        return {"all": {}}
    return {}


def _in_parameter_string(placeholder: dict[str, Any]) -> bool:
    where = placeholder.get("field_path") or ""
    return bool(placeholder.get("in_string")) and where.startswith("parameters[")


# Parameters a model cannot do without: a placeholder left in one breaks the model as surely as
# one in a number. Value: (what happens, whether it applies to a model with these parameter keys).
_LLM_KEYS = ("gpt_model_type", "gpt_model_path")
REQUIRED_PARAMETERS: dict[str, tuple[str, Callable[[set[str]], bool]]] = {
    # tensorrtllm backend (model_instance_state.cc): no default, the model fails to load
    "gpt_model_type": (
        'the tensorrtllm backend fails to load the model with "Invalid gpt_model_type. Must be '
        'v1/inflight_batching/inflight_fused_batching."',
        lambda keys: True,
    ),
    # pre/postprocessing model.py: AutoTokenizer.from_pretrained(tokenizer_dir) of the literal
    # placeholder fails in initialize(); the LLM model itself only reads it for guided decoding
    "tokenizer_dir": (
        "the model's initialize() fails to load a tokenizer from the literal placeholder, so the "
        "model and every ensemble using it fail to load",
        lambda keys: not any(k in keys for k in _LLM_KEYS),
    ),
}


def _parameter_keys(pc: ParsedConfig) -> set[str]:
    """Keys of the ``parameters`` map, read from the tokens (also when the file does not parse)."""
    keys = set()
    for path in pc.scan.locations:
        if path.startswith("parameters[") and "]" in path:
            keys.add(path[len("parameters[") : path.index("]")])
    return keys


def _required_consequence(placeholder: dict[str, Any], keys: set[str]) -> str | None:
    """What breaks when this placeholder stays in a parameter the model needs; else None."""
    if not _in_parameter_string(placeholder):
        return None
    entry = REQUIRED_PARAMETERS.get(str(placeholder.get("key")))
    if entry is None or not entry[1](keys):
        return None
    return entry[0]


def config_facts(pc: ParsedConfig) -> Facts:
    """Facts of an already parsed config (see :func:`extract`)."""
    facts: Facts = {}
    file_loc = Location(str(pc.path), 1, None)

    def item(extra: dict[str, Any], text: str) -> dict[str, Any]:
        return {"path": str(pc.path), **extra, "text": text}

    if pc.missing:
        return facts
    facts["triton.config_path"] = Fact(str(pc.path), file_loc)
    facts["triton.unknown_fields"] = Fact(
        [
            item(
                u,
                f"unknown field '{u['name']}' in {u['message']}"
                + (f" (did you mean '{u['suggestion']}'?)" if u["suggestion"] else ""),
            )
            for u in pc.unknown_fields
        ],
        file_loc,
    )
    keys = _parameter_keys(pc)
    placeholders = []
    for p in pc.placeholders:
        consequence = _required_consequence(p, keys)
        placeholders.append(
            item(
                {**p, "required": consequence is not None},
                f"unfilled template placeholder ${{{p['name']}}} in '{p['key']}' at "
                f"{pc.path.name}:{p['line']}"
                + (f": {consequence}" if consequence else "")
                + f'; fill it: fill_template.py -i {pc.path.name} "{p["fill"]}"',
            )
        )
    facts["triton.placeholders"] = Fact(placeholders, file_loc)
    # Placeholders in `parameters` strings reach the backend, which mostly falls back to a
    # default; anywhere else Triton itself reads the value (or cannot parse the file), and a
    # parameter the model cannot do without (REQUIRED_PARAMETERS) breaks it just the same.
    in_parameters = [p for p in placeholders if _in_parameter_string(p) and not p["required"]]
    facts["triton.placeholders_in_values"] = Fact(
        [p for p in placeholders if not _in_parameter_string(p) or p["required"]], file_loc
    )
    facts["triton.placeholders_in_parameters"] = Fact(in_parameters, file_loc)
    err = pc.error
    if err is not None:
        err_loc = Location(str(pc.path), err.get("line"), err.get("column"))
        facts["triton.parse_error"] = Fact(dict(err), err_loc)
        where = f":{err['line']}:{err['column']}" if err.get("line") else ""
        key = f" (field '{err['key']}')" if err.get("key") else ""
        facts["triton.parse_errors"] = Fact(
            [
                {
                    "path": str(pc.path),
                    "line": err.get("line"),
                    "column": err.get("column"),
                    "key": err.get("key"),
                    "text": f"{pc.path.name}{where}{key}: {err['message']}",
                }
            ],
            err_loc,
        )
    else:
        facts["triton.parse_errors"] = Fact([], file_loc)

    msg = pc.message
    if msg is None:
        # Identity fields protobuf read before the error are still the file's own values.
        part = pc.partial
        if part is not None:
            for name in ("name", "platform", "backend"):
                if getattr(part, name) and pc.locate(name) is not None:
                    facts[f"triton.{name}"] = _fact(getattr(part, name), pc, name)
        return facts

    pb2 = load_model_config_pb2()
    for name in ("name", "platform", "backend"):
        if getattr(msg, name):
            facts[f"triton.{name}"] = _fact(getattr(msg, name), pc, name)
    # Triton reads an absent max_batch_size as 0 (no batching): the value is never a guess.
    facts["triton.max_batch_size"] = _fact(int(msg.max_batch_size), pc, "max_batch_size")
    facts["triton.inputs"] = _fact(_io(pc, msg.input, "input", pb2), pc, "input")
    facts["triton.outputs"] = _fact(_io(pc, msg.output, "output", pb2), pc, "output")
    groups = []
    for i, g in enumerate(msg.instance_group):
        pos = pc.scan.locations.get(f"instance_group[{i}]")
        groups.append(
            {
                "name": g.name,
                "kind": _enum_name(type(g).Kind, g.kind),
                "count": int(g.count),
                "gpus": [int(x) for x in g.gpus],
                "profile": list(g.profile),
                "path": str(pc.path),
                "line": pos.line if pos else None,
                "column": pos.column if pos else None,
            }
        )
    facts["triton.instance_groups"] = _fact(groups, pc, "instance_group")
    facts["triton.scheduling"] = _fact(msg.WhichOneof("scheduling_choice"), pc, None)
    if msg.HasField("dynamic_batching"):
        db = msg.dynamic_batching
        facts["triton.dynamic_batching"] = _fact(
            {
                "preferred_batch_size": [int(x) for x in db.preferred_batch_size],
                "max_queue_delay_microseconds": int(db.max_queue_delay_microseconds),
                "preserve_ordering": bool(db.preserve_ordering),
                "priority_levels": int(db.priority_levels),
                "default_priority_level": int(db.default_priority_level),
            },
            pc,
            "dynamic_batching",
        )
    else:
        facts["triton.dynamic_batching"] = _fact(False, pc, None)
    if msg.HasField("sequence_batching"):
        sb = msg.sequence_batching
        facts["triton.sequence_batching"] = _fact(
            {
                "strategy": sb.WhichOneof("strategy_choice") or "direct",
                "max_sequence_idle_microseconds": int(sb.max_sequence_idle_microseconds),
            },
            pc,
            "sequence_batching",
        )
    else:
        facts["triton.sequence_batching"] = _fact(False, pc, None)
    facts["triton.decoupled"] = _fact(
        bool(msg.model_transaction_policy.decoupled),
        pc,
        "model_transaction_policy.decoupled",
    )
    if msg.default_model_filename:
        facts["triton.default_model_filename"] = _fact(
            msg.default_model_filename, pc, "default_model_filename"
        )
    if msg.cc_model_filenames:
        facts["triton.cc_model_filenames"] = _fact(
            dict(sorted(msg.cc_model_filenames.items())), pc, "cc_model_filenames"
        )
    policy = _version_policy(msg)
    if policy is not None:
        facts["triton.version_policy"] = _fact(policy, pc, "version_policy")
    for key in sorted(msg.parameters):
        base = f"parameters[{key}]"
        where = base + ".value.string_value"
        path = where if pc.locate(where) is not None else base
        facts[f"triton.parameters.{key}"] = _fact(msg.parameters[key].string_value, pc, path)
    if msg.HasField("ensemble_scheduling"):
        steps = []
        for i, s in enumerate(msg.ensemble_scheduling.step):
            pos = pc.scan.locations.get(f"ensemble_scheduling.step[{i}]")
            steps.append(
                {
                    "model_name": s.model_name,
                    "model_version": int(s.model_version),
                    "input_map": dict(s.input_map),
                    "output_map": dict(s.output_map),
                    "path": str(pc.path),
                    "line": pos.line if pos else None,
                    "column": pos.column if pos else None,
                }
            )
        facts["triton.ensemble.steps"] = _fact(steps, pc, "ensemble_scheduling")
    return facts


def extract(path: Path) -> Facts:
    """Facts of one config.pbtxt (``triton.*``); a broken file yields facts about the breakage."""
    return config_facts(parse(path))
