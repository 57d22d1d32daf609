"""Source for one Triton ``config.pbtxt``: facts under ``triton.*``.

The file is parsed with ``google.protobuf.text_format.Parse`` into tritonclient's generated
``ModelConfig`` (the schema Triton itself uses). Field locations, unknown fields and template
placeholders come from protobuf's tokenizer (:mod:`preflight.pbtxt_locations`).

Facts: ``triton.config`` (the whole parsed ModelConfig as a plain dict, see
:func:`preflight.triton_proto.to_plain`), ``triton.locations`` (field path -> [line, column]),
``triton.unknown_fields``, ``triton.placeholders`` and ``triton.parse_error`` (what protobuf and
the tokenizer found, as neutral items), ``triton.ignore_directives`` (the file's
``# preflight: ignore[...]`` comments), and single values other rules read (``triton.name``,
``triton.max_batch_size``, ``triton.parameters.<key>`` ...). Whether any of it is acceptable is
for the checks (``preflight.checks.triton_*``) to say.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import safe_files
from ..model import Fact, Facts, Location
from ..pbtxt_locations import ScanResult, scan
from ..triton_proto import load_model_config_pb2, to_plain

NAMESPACES = ("triton",)

__all__ = [
    "NAMESPACES",
    "ParsedConfig",
    "config_facts",
    "extract",
    "load_model_config_pb2",
    "parse",
]

# `# preflight: ignore[ID,...] reason`: the same syntax evaluator/suppress.py reads.
_DIRECTIVE = re.compile(r"#\s*preflight:\s*ignore\[([^\]]*)\]\s*(.*)$")


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
    directives: list[dict[str, Any]] = field(default_factory=list)

    def locate(self, path: str) -> Location | None:
        """Where a dotted field path sits: ``max_batch_size``, ``input[0].dims``,
        ``parameters[gpt_model_path]``, ``parameters[gpt_model_path].value.string_value``."""
        pos = self.scan.locations.get(path)
        return None if pos is None else Location(str(self.path), pos.line, pos.column)

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


def _directives(path: Path, raw: bytes) -> list[dict[str, Any]]:
    """Every ``# preflight: ignore[...]`` comment, also one without rules or a reason."""
    found = []
    text = raw.decode("utf-8", errors="replace")
    for number, line in enumerate(text.splitlines(), start=1):
        match = _DIRECTIVE.search(line)
        if match is None:
            continue
        rules = [r.strip() for r in match.group(1).split(",") if r.strip()]
        found.append(
            {
                "rules": rules,
                "reason": match.group(2).strip(),
                "path": str(path),
                "line": number,
            }
        )
    return found


def parse(path: Path) -> ParsedConfig:
    """Parse ``path``; never raises. A missing or unreadable file gives ``missing``/``error``."""
    try:
        raw = safe_files.read_bytes(path, "config.pbtxt")  # inside the repository, no FIFO
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
    directives = _directives(path, raw)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        msg = f"config is not UTF-8 text (byte {exc.start})"
        undecodable: dict[str, Any] = {"message": msg, "line": None, "column": None}
        return ParsedConfig(path, None, None, undecodable, directives=directives)

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
        return ParsedConfig(
            path, text, None, error, partial=message, scan=result, directives=directives
        )
    except Exception as exc:  # e.g. recursion limits: a fact, not a crash
        error = {"message": f"{type(exc).__name__}: {exc}", "line": None, "column": None}
        return ParsedConfig(path, text, None, error, scan=result, directives=directives)
    return ParsedConfig(path, text, message, None, scan=result, directives=directives)


# -- facts ------------------------------------------------------------------------------


def _enum_name(enum: Any, number: int) -> str:
    try:
        return str(enum.Name(number))
    except ValueError:
        return str(number)


def _io(pc: ParsedConfig, items: Any, kind: str, pb2: Any) -> list[dict[str, Any]]:
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


def config_facts(pc: ParsedConfig) -> Facts:
    """Facts of an already parsed config (see :func:`extract`)."""
    facts: Facts = {}
    file_loc = Location(str(pc.path), 1, None)
    if pc.missing:
        return facts
    config_path = str(pc.path)
    facts["triton.config_path"] = Fact(config_path, file_loc)
    # field path -> [line, column], also for a file that does not parse
    facts["triton.locations"] = Fact(
        {path: [pos.line, pos.column] for path, pos in pc.scan.locations.items()}, file_loc
    )
    facts["triton.unknown_fields"] = Fact(
        [{"path": config_path, **u} for u in pc.unknown_fields], file_loc
    )
    facts["triton.placeholders"] = Fact(
        [{"path": config_path, **p} for p in pc.placeholders], file_loc
    )
    facts["triton.ignore_directives"] = Fact(list(pc.directives), file_loc)
    err = pc.error
    if err is not None:
        err_loc = Location(config_path, err.get("line"), err.get("column"))
        facts["triton.parse_error"] = Fact(dict(err), err_loc)

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
    facts["triton.config"] = Fact(to_plain(msg), file_loc)
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
