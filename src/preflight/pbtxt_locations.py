"""Locations of fields in a text-format protobuf file, read from protobuf's own tokenizer.

Python's ``text_format`` keeps no location tree, but ``text_format.Tokenizer`` reports the
line and column of every token. :func:`scan` walks those tokens against the message
descriptors (no grammar of its own) and returns:

* the location of every field by dotted path (``input[0].dims``, ``parameters[key]``),
* every field name the descriptors do not know (with a close-match suggestion),
* every ``${name}`` template placeholder, in value positions and inside strings.

The walk is best effort: it never raises, and stops quietly where the text is beyond repair.
"""

from __future__ import annotations

import contextlib
import difflib
import re
from dataclasses import dataclass, field
from typing import Any

from .placeholders import PLACEHOLDER as _PLACEHOLDER
from .triton_proto import is_map, is_repeated

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*$")
_OPEN = {"{": "}", "<": ">"}
_INT_TYPES = {"int32", "int64", "uint32", "uint64", "sint32", "sint64"}
MAX_PLACEHOLDERS = 500  # placeholders kept per file, the first ones


@dataclass(frozen=True, slots=True)
class Pos:
    """A 1-based line and column."""

    line: int
    column: int


@dataclass(slots=True)
class ScanResult:
    locations: dict[str, Pos] = field(default_factory=dict)
    fields: list[tuple[str, Pos]] = field(default_factory=list)  # every field token, in order
    unknown_fields: list[dict[str, Any]] = field(default_factory=list)
    placeholders: list[dict[str, Any]] = field(default_factory=list)


def _unquote(token: str) -> str:
    if len(token) >= 2 and token[0] in "'\"" and token[-1] == token[0]:
        return token[1:-1]
    return token.strip("'\"")


def _fill_hint(fd: Any) -> str:
    """What kind of value a placeholder in this field needs, for the fill_template hint."""
    if fd is None:
        return "<value>"
    type_name = _type_name(fd)
    if type_name in _INT_TYPES:
        return "<int>"
    if type_name == "bool":
        return "<true|false>"
    if type_name in ("float", "double"):
        return "<number>"
    if type_name == "enum":
        names = [v.name for v in fd.enum_type.values if not v.name.endswith("INVALID")]
        shown = [n for n in ("TYPE_FP16", "TYPE_BF16", "TYPE_FP32") if n in names] or names[:3]
        return "<" + "|".join(shown) + ">"
    return "<value>"


def _type_name(fd: Any) -> str:
    from google.protobuf.descriptor import FieldDescriptor

    names = {
        FieldDescriptor.TYPE_INT32: "int32",
        FieldDescriptor.TYPE_INT64: "int64",
        FieldDescriptor.TYPE_UINT32: "uint32",
        FieldDescriptor.TYPE_UINT64: "uint64",
        FieldDescriptor.TYPE_SINT32: "sint32",
        FieldDescriptor.TYPE_SINT64: "sint64",
        FieldDescriptor.TYPE_BOOL: "bool",
        FieldDescriptor.TYPE_FLOAT: "float",
        FieldDescriptor.TYPE_DOUBLE: "double",
        FieldDescriptor.TYPE_ENUM: "enum",
        FieldDescriptor.TYPE_STRING: "string",
        FieldDescriptor.TYPE_MESSAGE: "message",
    }
    return names.get(fd.type, "other")


class _Walker:
    def __init__(self, text: str) -> None:
        from google.protobuf import text_format

        self.tok: Any = text_format.Tokenizer(text.split("\n"))
        self.out = ScanResult()
        self.budget = len(text) + 16  # every step consumes a token; never loop forever

    # -- tokens ---------------------------------------------------------------
    def pos(self) -> Pos:
        # The tokenizer's own counters: ParseError("") copies the whole current line on each
        # call, quadratic on a long line (a `${` flood); that stays the fallback.
        line, column = getattr(self.tok, "_line", None), getattr(self.tok, "_column", None)
        if isinstance(line, int) and isinstance(column, int):
            return Pos(line + 1, column + 1)
        err = self.tok.ParseError("")
        return Pos(int(err.GetLine()), int(err.GetColumn()))

    @property
    def token(self) -> str:
        return str(self.tok.token)

    def next(self) -> None:
        self.budget -= 1
        if self.budget < 0:
            raise _Stop
        self.tok.NextToken()

    def at_end(self) -> bool:
        return bool(self.tok.AtEnd())

    # -- structure ------------------------------------------------------------
    def message(self, desc: Any, prefix: str, closer: str | None) -> dict[str, str]:
        """Walk one message body up to ``closer``; return the first raw scalar of each field."""
        counts: dict[str, int] = {}
        scalars: dict[str, str] = {}
        while not self.at_end():
            t = self.token
            if closer is not None and t == closer:
                self.next()
                return scalars
            if t in ("}", ">", "]"):  # a closer we did not expect: leave this level
                if closer is not None:
                    self.next()
                return scalars
            if t in (",", ";") or not _IDENTIFIER.match(t):
                if t == "[":  # extension or Any type URL: skip it and its value
                    self.skip_balanced()
                    self.skip_value(None, prefix + "[extension]")
                else:
                    self.next()
                continue
            where = self.pos()
            self.next()
            fd = desc.fields_by_name.get(t)
            path = prefix + t
            self.out.fields.append((path, where))
            if fd is None:
                names = sorted(desc.fields_by_name)
                close = difflib.get_close_matches(t, names, n=1, cutoff=0.6)
                self.out.unknown_fields.append(
                    {
                        "name": t,
                        "message": desc.full_name,
                        "field_path": path,
                        "line": where.line,
                        "column": where.column,
                        "suggestion": close[0] if close else None,
                    }
                )
                self.skip_value(None, path)
                continue
            index = counts.get(t, 0)
            self.out.locations.setdefault(path, where)
            if fd.message_type is not None:
                counts[t] = index + self.message_value(fd, prefix, where, index)
            else:
                counts[t] = index + 1
                raw = self.scalar_value(fd, path)
                if raw is not None:
                    scalars.setdefault(t, raw)
        return scalars

    def message_value(self, fd: Any, prefix: str, where: Pos, index: int) -> int:
        """Walk a message-typed field's value (one element or a [list]); return elements read."""
        if self.token == ":":
            self.next()
        if self.token == "[":
            self.next()
            n = 0
            while not self.at_end() and self.token != "]":
                if self.token in _OPEN:
                    self.element(fd, prefix, self.pos(), index + n)
                    n += 1
                else:
                    self.next()
            if self.token == "]":
                self.next()
            return n
        if self.token in _OPEN:
            self.element(fd, prefix, where, index)
            return 1
        self.skip_value(fd, prefix + fd.name, after_colon=True)
        return 0

    def element(self, fd: Any, prefix: str, where: Pos, index: int) -> None:
        closer = _OPEN[self.token]
        self.next()
        name = fd.name
        if is_map(fd):
            first_placeholder = len(self.out.placeholders)
            saved, self.out.locations = self.out.locations, {}
            try:
                scalars = self.message(fd.message_type, "", closer)
            finally:
                inner, self.out.locations = self.out.locations, saved
            key = _unquote(scalars.get("key", str(index)))
            base = f"{prefix}{name}[{key}]"
            self.out.locations.setdefault(base, where)
            for sub, pos in inner.items():
                self.out.locations.setdefault(f"{base}.{sub}", pos)
            for ph in self.out.placeholders[first_placeholder:]:
                ph["key"] = key
                ph["field_path"] = f"{base}.{ph['field_path']}"
            return
        if is_repeated(fd):
            base = f"{prefix}{name}[{index}]"
            self.out.locations.setdefault(base, where)
        else:
            base = f"{prefix}{name}"
        self.message(fd.message_type, base + ".", closer)

    def scalar_value(self, fd: Any, path: str) -> str | None:
        if self.token != ":":
            return None  # protobuf reports this one; nothing to read
        self.next()
        if self.token == "[":
            self.next()
            first: str | None = None
            while not self.at_end() and self.token != "]":
                if self.token == ",":
                    self.next()
                    continue
                if self.token in ("}", ">"):
                    return first
                raw = self.one_scalar(fd, path)
                first = raw if first is None else first
            if self.token == "]":
                self.next()
            return first
        return self.one_scalar(fd, path)

    def one_scalar(self, fd: Any, path: str) -> str | None:
        t = self.token
        if t == "$":
            self.placeholder_token(fd, path)
            return None
        if t[:1] in ("'", '"'):
            parts = []
            while self.token[:1] in ("'", '"'):
                self.strings_placeholders(fd, path)
                parts.append(_unquote(self.token))
                self.next()
            return '"' + "".join(parts) + '"'
        self.next()
        return t

    def placeholder_token(self, fd: Any, path: str) -> None:
        where = self.pos()
        self.next()
        name = ""
        if self.token == "{":
            self.next()
            if _IDENTIFIER.match(self.token):
                name = self.token
                self.next()
            if self.token == "}":
                self.next()
        elif _IDENTIFIER.match(self.token):
            name = self.token
            self.next()
        if name:
            self._add_placeholder(name, where, fd, path, in_string=False)

    def strings_placeholders(self, fd: Any, path: str) -> None:
        where = self.pos()
        for m in _PLACEHOLDER.finditer(self.token):
            at = Pos(where.line, where.column + m.start())
            self._add_placeholder(m.group(1), at, fd, path, in_string=True)

    def _add_placeholder(self, name: str, where: Pos, fd: Any, path: str, in_string: bool) -> None:
        if len(self.out.placeholders) >= MAX_PLACEHOLDERS:
            return
        leaf = path.rsplit(".", 1)[-1]
        self.out.placeholders.append(
            {
                "name": name,
                "line": where.line,
                "column": where.column,
                "key": leaf,
                "field_path": path,
                "fill": f"{name}:{_fill_hint(fd)}",
                "in_string": in_string,
            }
        )

    def skip_value(self, fd: Any, path: str, after_colon: bool = False) -> None:
        if not after_colon:
            if self.token == ":":
                self.next()
            elif self.token not in _OPEN:
                return
        if self.token in _OPEN or self.token == "[":
            self.skip_balanced()
        elif not self.at_end() and self.token not in ("}", ">", "]"):
            self.one_scalar(fd, path)

    def skip_balanced(self) -> None:
        depth = 0
        while not self.at_end():
            t = self.token
            if t in ("{", "<", "["):
                depth += 1
            elif t in ("}", ">", "]"):
                depth -= 1
            elif t[:1] in ("'", '"'):
                pass
            self.next()
            if depth <= 0:
                return


class _Stop(Exception):
    pass


def _strip_comment(line: str) -> str:
    quote = ""
    for i, ch in enumerate(line):
        if quote:
            if ch == "\\":
                continue
            if ch == quote:
                quote = ""
        elif ch in "'\"":
            quote = ch
        elif ch == "#":
            return line[:i]
    return line


def scan(text: str, descriptor: Any) -> ScanResult:
    """Walk ``text`` against ``descriptor``; never raises."""
    walker = _Walker(text)
    with contextlib.suppress(Exception):  # best effort: keep what was found so far
        walker.message(descriptor, "", None)
    out = walker.out
    # Placeholders the walk could not reach (inside skipped blocks, after a broken token).
    seen = {(p["line"], p["column"]) for p in out.placeholders}
    for number, line in enumerate(text.split("\n"), start=1):
        if len(out.placeholders) >= MAX_PLACEHOLDERS:
            break
        body = _strip_comment(line)
        quote, done = "", 0  # inside quotes so far, carried along the line: linear on a `${` flood
        for m in _PLACEHOLDER.finditer(body):
            if len(out.placeholders) >= MAX_PLACEHOLDERS:
                break
            for ch in body[done : m.start()]:
                if quote and ch == quote:
                    quote = ""
                elif not quote and ch in "'\"":
                    quote = ch
            done = m.start()
            if (number, m.start() + 1) in seen:
                continue
            lead = re.match(r"\s*([A-Za-z_][A-Za-z0-9_]*)", body)
            out.placeholders.append(
                {
                    "name": m.group(1),
                    "line": number,
                    "column": m.start() + 1,
                    "key": lead.group(1) if lead else None,
                    "field_path": None,
                    "fill": f"{m.group(1)}:<value>",
                    "in_string": bool(quote),
                }
            )
    out.placeholders.sort(key=lambda p: (p["line"], p["column"]))
    del out.placeholders[MAX_PLACEHOLDERS:]  # a `${` flood: each is a finding to print
    return out
