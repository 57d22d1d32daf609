"""TensorRT plan header source: ``engine.*`` facts from one engine file, without a GPU.

The layout follows the research report on serialized TensorRT plans (``trt_plan_format.md``):
an ``ftrt`` container (TensorRT 8.6 and later) holding an ``ENGN`` section that starts with a
``ptrt`` archive, or a bare ``ptrt`` archive (TensorRT 8.5 and older). Only a bounded number of
bytes is read: :data:`HEAD_BYTES` at the start of the plan, the start of the ``ENGN`` section,
the section table, four bytes at the end of ``ENGN`` and four at the end of the file (plus the
JSON metadata of a prefixed file, at most :data:`MAX_METADATA_BYTES`). A 50 GB engine costs
the same as a 50 KB one.

Facts (keys under ``engine.``; a key the file does not show is absent, never guessed):

``format``
    ``ftrt`` (8.6+ container), ``ptrt`` (bare archive, 8.5 and older), ``ultralytics``
    (4-byte length + JSON metadata before the plan; ``inner_format`` names the plan kind),
    ``lfs-pointer`` (a Git LFS pointer text, not an engine), ``not-a-plan`` (no plan magic;
    the error says what the file looks like instead: a git-annex pointer, an archive, ONNX,
    safetensors, text, zeros, or a plan that starts further in, after a foreign prefix),
    ``missing`` (no such path, or a dangling symbolic link), ``not-a-file`` (a directory,
    FIFO, socket or device), ``unreadable`` (the path exists but cannot be stat'ed, opened or
    read), ``empty`` (zero bytes).
``trt_version`` / ``trt_version_source``
    "M.m.p.b"; source ``header`` (bytes 24..27 of an ``ftrt`` plan) or ``records`` (the first
    four typed records of the ``ptrt`` archive, the only place older plans store it).
``serialization_tag`` / ``tag_release``
    the u32 tag of the ``ptrt`` archive and, for display, the release line the tag table
    (``preflight/data/trt_tags.yaml``) gives for it.
``archive_layout``
    ``L24``, ``L20`` or ``L7``: which ``ptrt`` header variant was found.
``container_version``, ``section_count``, ``sections``, ``unknown_sections``
    ``ftrt`` only. ``sections`` is ``[{tag, offset, size}]`` with offsets relative to the start
    of the plan (``plan_offset`` gives that start when a metadata prefix precedes it).
    ``unknown_sections`` lists the sections whose tag is neither ``ENGN`` nor ``WGHT`` (for
    instance a possible embedded lean runtime); it is always present (maybe empty) for ``ftrt``.
``size_bytes``, ``declared_size``, ``truncated``, ``truncated_reason``
    ``declared_size`` is the size the header claims for the whole file (plan plus prefix).
    ``truncated`` is set for ``ftrt``/``ptrt``/``ultralytics``: true when the declared size or a
    section extends past the end of the file, or the ``ftrt`` trailer is missing.
``trailing_bytes``
    bytes after the end the header declares (0 for an intact plan; absent when truncated).
    TensorRT refuses such a file ("Size specified in header does not match archive size"), so
    a non-zero count also comes with an error (naming a second plan when one starts there).
``build_compute_capability``, ``build_sm_count``, ``build_integrated``, ``device_layout``
    best effort, from the copy of the build GPU's device properties in the archive (layouts
    ``A`` and ``B`` of the report). A layout is recognised by its record kinds and the
    constant fields every real plan of it holds, whatever the version bytes say; any other
    block (a release with a layout no sample shows, a damaged block) gives none of these keys
    rather than a guess. ``build_integrated`` (1 on Jetson-class devices) only for layout ``A``.
``ultralytics.<key>``
    each top-level key of the JSON metadata of a prefixed file; ``plan_offset``,
    ``metadata_size`` and ``inner_format`` go with it. Such a file always carries an error:
    TensorRT (and so Triton) cannot deserialize it until the prefix is removed.
``lfs.oid`` / ``lfs.size``
    of a Git LFS pointer.
``magic``
    hex of the first bytes of a ``not-a-plan`` file.
``error`` / ``errors``
    every inconsistency found, as one text (``"; "``-joined) and as a list.

``hardware_compatibility`` and ``version_compatible`` are never produced: no layout for them
is known (report §4), so stating them would be a guess.
"""

from __future__ import annotations

import json
import os
import re
import stat
import struct
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from preflight import safe_files
from preflight.data.trt_tags import tag_release
from preflight.model import Fact, Facts, Location

NAMESPACES = ("engine",)
HEAD_BYTES = 4096
MAX_SECTIONS = 64
MAX_METADATA_BYTES = 1 << 20

FTRT = b"ftrt"
PTRT = b"ptrt"
TRAILER = b"\x99\x8b\x8d\x8b"
ENGN_PAYLOAD_END = b"\x8f\x8b\x8d\x8b"
# Git LFS pointers; the spec also accepts the pre-release "hawser" spec URL.
LFS_PREFIXES = (b"version https://git-lfs", b"version https://hawser")
ANNEX_POINTER = b"/annex/objects/"
KNOWN_SECTIONS = frozenset({"ENGN", "WGHT"})

# Typed record payload sizes by ``code & 0x7fff`` (report §2.2). Zero = structure marker.
_RECORD_SIZES = {2: 1, 7: 4, 8: 8, 9: 8, 10: 1, 0x10: 0, 0x12: 0, 0x21: 0, 0xD2: 0, 0xE5: 0}
_DEVICE_MARKERS = (b"\x12\x80\x01\x00\x10\x80\x01\x00", b"\x21\x00\x01\x00")
_BOOL_CODE = 10

OpenBinary = Callable[[Path], IO[bytes]]


def _open_binary(path: Path) -> IO[bytes]:
    return safe_files.open_file(path, "engine")  # inside the repository, regular, no blocking


def _u32(buf: bytes, off: int) -> int | None:
    if off < 0 or off + 4 > len(buf):
        return None
    return int(struct.unpack_from("<I", buf, off)[0])


def _u64(buf: bytes, off: int) -> int | None:
    if off < 0 or off + 8 > len(buf):
        return None
    return int(struct.unpack_from("<Q", buf, off)[0])


def _tag_name(raw: bytes) -> str:
    """A four-character tag stored as LE u32 (``NGNE`` on disk reads ``ENGN``)."""
    text = raw[::-1]
    if all(0x20 < b < 0x7F for b in text):
        return text.decode("ascii")
    return "0x" + raw[::-1].hex()


def _align8(n: int) -> int:
    return (n + 7) & ~7


@dataclass
class _Reader:
    """Positional reads on an open file, never past the end, counting what it read."""

    fh: IO[bytes]
    size: int
    bytes_read: int = 0

    def read_at(self, offset: int, length: int) -> bytes:
        if offset < 0 or length <= 0 or offset >= self.size:
            return b""
        self.fh.seek(offset)
        data = self.fh.read(min(length, self.size - offset))
        self.bytes_read += len(data)
        return data


@dataclass
class _Out:
    values: dict[str, Any] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)

    def set(self, key: str, value: Any) -> None:
        self.values[key] = value

    def error(self, text: str) -> None:
        if text not in self.errors:
            self.errors.append(text)

    def truncate(self, reason: str) -> None:
        self.values["truncated"] = True
        self.values.setdefault("truncated_reason", reason)

    def result(self) -> dict[str, Any]:
        out = dict(self.values)
        if self.errors:
            out["error"] = "; ".join(self.errors)
            out["errors"] = list(self.errors)
        return out


def read_header(path: Path, opener: OpenBinary = _open_binary) -> dict[str, Any]:
    """Decode the plan header of ``path`` into plain values keyed without the ``engine.`` prefix.

    Never raises on bad input. ``opener`` opens the file for binary reading (a test seam).
    """
    out = _Out()
    try:
        st = path.stat()
    except FileNotFoundError:
        out.set("format", "missing")
        if safe_files.is_link(path):
            target = _link_target(path)
            if ANNEX_POINTER.decode() in target:
                out.error(
                    f"{path.name} is a git-annex link whose content is not present: fetch it "
                    "(git annex get)"
                )
            else:
                out.error(f"{path.name} is a symbolic link to a path that does not exist")
        else:
            out.error(f"{path.name} does not exist")
        return out.result()
    except OSError as exc:
        out.set("format", "unreadable")
        out.error(f"cannot stat {path.name}: {exc.strerror or exc}")
        return out.result()
    if stat.S_ISDIR(st.st_mode):
        out.set("format", "not-a-file")
        out.error(f"{path.name} is a directory, not an engine file")
        return out.result()
    if not stat.S_ISREG(st.st_mode):
        out.set("format", "not-a-file")
        out.error(f"{path.name} is not a regular file (FIFO, socket or device)")
        return out.result()
    try:
        with opener(path) as fh:
            size = os.fstat(fh.fileno()).st_size
            out.set("size_bytes", size)
            if size == 0:
                out.set("format", "empty")
                out.error(f"{path.name} is empty (0 bytes)")
                return out.result()
            _parse_file(_Reader(fh, size), out)
    except OSError as exc:
        out.set("format", "unreadable")
        out.error(f"cannot read {path.name}: {exc.strerror or exc}")
    return out.result()


def _link_target(path: Path) -> str:
    try:
        return os.readlink(path)
    except OSError:
        return ""


def extract(path: Path) -> Facts:
    """``engine.*`` facts of one engine file; every fact is located at the engine path."""
    location = Location(path=str(path))
    return {f"engine.{key}": Fact(value, location) for key, value in read_header(path).items()}


# --- file kinds ------------------------------------------------------------------------------


def _parse_file(rd: _Reader, out: _Out) -> None:
    head = rd.read_at(0, HEAD_BYTES)
    if head.startswith(LFS_PREFIXES):
        _parse_lfs(head, out)
        return
    if len(head) >= 5 and head[3] == 0 and head[4:5] == b"{" and (_u32(head, 0) or 0) > 0:
        _parse_prefixed(rd, head, out)
        return
    _parse_plan(rd, 0, head, out, top_level=True)


def _parse_lfs(head: bytes, out: _Out) -> None:
    out.set("format", "lfs-pointer")
    text = head.decode("utf-8", errors="replace")
    for line in text.splitlines()[1:]:
        key, _, value = line.partition(" ")
        if key == "oid" and value:
            out.set("lfs.oid", value.strip())
        elif key == "size" and re.fullmatch("[0-9]{1,20}", value.strip()):
            out.set("lfs.size", int(value.strip()))  # ASCII digits only: int() is total
    out.error("a Git LFS pointer, not the engine: fetch the object (git lfs pull)")


def _parse_prefixed(rd: _Reader, head: bytes, out: _Out) -> None:
    """A 4-byte LE length L, L bytes of JSON metadata, then the plan."""
    meta_len = _u32(head, 0) or 0
    base = 4 + meta_len
    out.set("format", "ultralytics")
    out.set("metadata_size", meta_len)
    out.set("plan_offset", base)
    out.set("truncated", False)
    if base > rd.size:
        out.set("declared_size", base)
        out.truncate(f"the metadata claims {meta_len} bytes but the file ends at {rd.size}")
        out.error("file ends inside the JSON metadata")
        return
    if meta_len > MAX_METADATA_BYTES:
        out.error(f"JSON metadata of {meta_len} bytes is too large to read")
    else:
        raw = head[4:base] if base <= len(head) else rd.read_at(4, meta_len)
        try:
            meta = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError, RecursionError):
            out.error("the JSON metadata before the plan does not parse")
        else:
            if isinstance(meta, dict):
                for key, value in meta.items():
                    out.set(f"ultralytics.{key}", value)
            else:
                out.error("the JSON metadata before the plan is not an object")
    if base == rd.size:
        out.truncate("the file ends after the metadata: no plan follows it")
        out.error("no plan after the JSON metadata")
        return
    out.error(
        f"{base} bytes of length and JSON metadata precede the plan (an Ultralytics export): "
        "TensorRT, and so Triton, cannot deserialize the file as is (Magic tag does not "
        f"match); remove the first {base} bytes to get the plain plan"
    )
    _parse_plan(rd, base, rd.read_at(base, HEAD_BYTES), out, top_level=False)


def _parse_plan(rd: _Reader, base: int, head: bytes, out: _Out, *, top_level: bool) -> None:
    kind_key = "format" if top_level else "inner_format"
    magic = head[:4]
    if magic == FTRT:
        out.set(kind_key, "ftrt")
        _parse_ftrt(rd, base, head, out)
    elif magic == PTRT:
        out.set(kind_key, "ptrt")
        _parse_bare_ptrt(rd, base, head, out)
    elif len(head) < 4 and (FTRT.startswith(head) or PTRT.startswith(head)):
        out.set(kind_key, "ftrt" if FTRT.startswith(head) else "ptrt")
        out.truncate(f"the file ends after {len(head)} bytes, inside the plan magic")
    else:
        out.set("magic", head[:8].hex(" "))
        if top_level:
            out.set("format", "not-a-plan")
            hint = _not_a_plan_hint(head, rd.size)
            out.error(f"no TensorRT plan magic (ftrt or ptrt) at the start of the file{hint}")
        else:
            out.error(f"no TensorRT plan magic after the JSON metadata (at offset {base})")


def _not_a_plan_hint(head: bytes, size: int) -> str:
    """What the file looks like instead, as ``": <text>"`` (empty when nothing is recognised)."""
    text = _other_kind(head)
    if text is None:
        hits = [(head.find(m, 1), m) for m in (FTRT, PTRT) if head.find(m, 1) > 0]
        if hits:
            at, magic = min(hits)
            text = (
                f"the plan magic {magic.decode()} appears at offset {at}: {at} bytes were "
                "written before the plan, which TensorRT cannot load as is"
            )
        elif not head.strip(b"\0"):
            text = f"the first {len(head)} bytes are all zero (a preallocated or unwritten file?)"
        elif all(0x20 <= b < 0x7F or b in b"\t\r\n" for b in head[:256]):
            text = f"a {size}-byte text file"
    return f": {text}" if text else ""


def _other_kind(head: bytes) -> str | None:
    """Well-known file kinds that end up under an engine's name."""
    if head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(LFS_PREFIXES):
        return "a Git LFS pointer with bytes before its version line, not the engine"
    if head.startswith(ANNEX_POINTER) or b"/.git/annex/objects/" in head[:256]:
        return "a git-annex pointer, not the engine: fetch the content (git annex get)"
    if head.startswith(b"\x1f\x8b"):
        return "gzip-compressed data (a .tar.gz? unpack it)"
    if head.startswith(b"PK\x03\x04"):
        return "a ZIP archive (a PyTorch checkpoint or a zipped engine?)"
    if head[257:262] == b"ustar":
        return "a tar archive: unpack it and point the model at the plan inside"
    if len(head) > 8 and head[8:10] in (b'{"', b"{}") and 0 < (_u64(head, 0) or 0) < 1 << 27:
        return "a safetensors weights file"
    if head[:1] == b"\x08":
        return "an ONNX model? TensorRT loads plans built from it, not the model itself"
    if head.lstrip()[:1] == b"<":
        return "an HTML or XML document (an error page saved by a download?)"
    return None


# --- ftrt container ---------------------------------------------------------------------------


def _parse_ftrt(rd: _Reader, base: int, head: bytes, out: _Out) -> None:
    plan_size = rd.size - base
    out.set("truncated", False)
    if len(head) < 32:
        out.truncate(f"the file ends after {len(head)} bytes, inside the 32-byte plan header")
    container = _u32(head, 4)
    if container is not None:
        out.set("container_version", container)
        if container != 0:
            out.error(f"unsupported ftrt container version {container} (only 0 is known)")
    declared = _u64(head, 16)
    if declared is not None:
        out.set("declared_size", base + declared)
        if declared > plan_size:
            out.truncate(f"the header declares {base + declared} bytes, the file has {rd.size}")
        else:
            _trailing(rd, base + declared, out)
    header_version: tuple[int, ...] | None = None
    if len(head) >= 28:
        header_version = tuple(head[24:28])
        out.set("trt_version", ".".join(str(b) for b in header_version))
        out.set("trt_version_source", "header")
        if header_version[0] < 8:
            out.error(f"version bytes {out.values['trt_version']} are not TensorRT 8.6 or later")
    count = _u64(head, 8)
    if count is None:
        return
    out.set("section_count", count)
    if count == 0 or count > MAX_SECTIONS:
        out.error(f"implausible section count {count}")
        out.set("sections", [])
        out.set("unknown_sections", [])
        _check_trailer(rd, base, declared, out)
        return
    table_end = 32 + 24 * count
    table = head if table_end <= len(head) else rd.read_at(base, table_end)
    if table_end > plan_size:
        out.truncate("the file ends inside the section table")
    sections = _parse_sections(table, count, plan_size, out)
    out.set("sections", sections)
    out.set("unknown_sections", [s for s in sections if s["tag"] not in KNOWN_SECTIONS])
    if sections and sections[0]["offset"] != table_end:
        out.error(
            f"the first section starts at {sections[0]['offset']}, not after the table "
            f"({table_end})"
        )
    if sections and declared is not None and len(sections) == count:
        last = sections[-1]
        expected = _align8(last["offset"] + last["size"]) + 4
        if expected != declared:
            out.error(f"the sections end at {expected} bytes but the header declares {declared}")
    _check_trailer(rd, base, declared, out)
    engn = next((s for s in sections if s["tag"] == "ENGN"), None)
    if engn is None:
        if len(sections) == count:
            out.error("no ENGN section in the plan")
        return
    off, size = engn["offset"], engn["size"]
    if off >= plan_size:
        return
    want = min(size, HEAD_BYTES)
    buf = head[off : off + want] if off + want <= len(head) else rd.read_at(base + off, want)
    engn_complete = off + size <= plan_size and size >= 4
    if engn_complete and rd.read_at(base + off + size - 4, 4) != ENGN_PAYLOAD_END:
        out.error("the ENGN section does not end with its end marker")
    _parse_archive(buf, size, out, header_version=header_version, in_container=True)


def _parse_sections(table: bytes, count: int, plan_size: int, out: _Out) -> list[dict[str, Any]]:
    sections: list[dict[str, Any]] = []
    prev_end = 0
    for i in range(count):
        at = 32 + 24 * i
        if at + 24 > len(table):
            break
        tag = _tag_name(table[at : at + 4])
        reserved = _u32(table, at + 4) or 0
        offset = _u64(table, at + 8) or 0
        size = _u64(table, at + 16) or 0
        sections.append({"tag": tag, "offset": offset, "size": size})
        if reserved:
            out.error(f"section {i} ({tag}) has a non-zero reserved field")
        if offset % 8 or offset < prev_end:
            out.error(f"section {i} ({tag}) at offset {offset} is misaligned or overlaps")
        if offset + size > plan_size:
            out.truncate(f"section {tag} ends at {offset + size}, past the end of the plan")
        prev_end = offset + size
    return sections


def _trailing(rd: _Reader, end: int, out: _Out) -> None:
    """``trailing_bytes``: what follows the end the header declares (TensorRT refuses it)."""
    extra = rd.size - end
    out.set("trailing_bytes", extra)
    if extra <= 0:
        return
    follows = rd.read_at(end, 4)
    what = ""
    if follows in (FTRT, PTRT):
        what = f": another plan ({follows.decode()}) starts there (two plans concatenated?)"
    elif not rd.read_at(end, min(extra, HEAD_BYTES)).strip(b"\0"):
        what = " (zero bytes: padding added by a copy?)"
    out.error(f"the file has {extra} bytes after the plan end the header declares ({end}){what}")


def _check_trailer(rd: _Reader, base: int, declared: int | None, out: _Out) -> None:
    plan_size = rd.size - base
    end = declared if declared is not None and 4 <= declared <= plan_size else plan_size
    if end < 4 or rd.read_at(base + end - 4, 4) != TRAILER:
        out.truncate("the plan trailer (99 8b 8d 8b) is missing")


# --- ptrt archive -----------------------------------------------------------------------------


def _parse_bare_ptrt(rd: _Reader, base: int, head: bytes, out: _Out) -> None:
    """A whole-file ``ptrt`` archive (TensorRT 8.5 and older): L24 or L7, no trailer."""
    plan_size = rd.size - base
    out.set("truncated", False)
    if len(head) < 24:
        out.truncate(f"the file ends after {len(head)} bytes, inside the 24-byte archive header")
    payload = None
    if _u32(head, 4) == 0:
        payload = _u64(head, 16)
    elif _u32(head, 4) is not None:
        payload = _u64(head, 12)
    if payload is not None:
        out.set("declared_size", base + payload + 24)
        if payload + 24 > plan_size:
            out.truncate(f"the header declares {base + payload + 24} bytes, the file has {rd.size}")
        else:
            _trailing(rd, base + payload + 24, out)
    _parse_archive(head, plan_size, out, header_version=None, in_container=False)


def _parse_archive(
    buf: bytes,
    size: int,
    out: _Out,
    *,
    header_version: tuple[int, ...] | None,
    in_container: bool,
) -> None:
    """The ``ptrt`` archive header, the version records and the device-properties block.

    ``size`` is the ENGN section size (in a container) or the plan size (bare archive).
    """
    if buf[:4] != PTRT:
        if in_container and len(buf) >= 4:
            out.error("the ENGN section does not start with ptrt")
        return
    word4, word8, word12 = _u32(buf, 4), _u32(buf, 8), _u32(buf, 12)
    l24_size, l20_size, l7_size = _u64(buf, 16), _u64(buf, 8), _u64(buf, 12)
    layout: str | None = None
    if word4 == 0 and word12 == 0 and l24_size is not None and l24_size + 24 == size:
        layout = "L24"
    elif in_container and l20_size is not None and l20_size + 20 == size:
        layout = "L20"
    elif not in_container and word4 and l7_size is not None and l7_size + 24 == size:
        layout = "L7"
    elif in_container:
        # Size fields disagree (damaged or truncated); fall back on the header's shape.
        if word4 == 0:
            layout = "L24"
        elif _u32(buf, 16) == 0:
            layout = "L20"
        out.error("the ptrt archive size field does not match the ENGN section size")
    else:
        layout = "L24" if word4 == 0 else "L7"
        if word4 == 0 and word12:
            out.error("the ptrt archive header has a non-zero reserved field")
    if layout is None:
        return
    out.set("archive_layout", layout)
    tag = word8 if layout == "L24" else word4
    if tag is None:
        return
    out.set("serialization_tag", tag)
    release = tag_release(tag)
    if release is not None:
        out.set("tag_release", release)
    records_at = 20 if layout == "L20" else 24
    _parse_records(buf, records_at, out, header_version=header_version)


def _walk_records(buf: bytes, pos: int, limit: int) -> list[tuple[int, int | None, int]]:
    """Up to ``limit`` typed records from ``pos``: (code & 0x7fff, value or None, next pos).

    Stops at the end of ``buf`` or at a code whose payload size is unknown (fail closed).
    """
    records: list[tuple[int, int | None, int]] = []
    while len(records) < limit and pos + 4 <= len(buf):
        code, count = struct.unpack_from("<HH", buf, pos)
        kind = code & 0x7FFF
        width = _RECORD_SIZES.get(kind)
        if width is None or count != 1 or pos + 4 + width > len(buf):
            break
        value = int.from_bytes(buf[pos + 4 : pos + 4 + width], "little") if width else None
        pos += 4 + width
        records.append((kind, value, pos))
    return records


def _parse_records(
    buf: bytes, pos: int, out: _Out, *, header_version: tuple[int, ...] | None
) -> None:
    version_records = _walk_records(buf, pos, 4)
    if len(version_records) < 4 or any(kind != 2 for kind, _, _ in version_records):
        if len(buf) > pos + 20:
            out.error("the archive does not start with the four version records")
        return
    version = tuple(int(v or 0) for _, v, _ in version_records)
    if header_version is None:
        out.set("trt_version", ".".join(str(b) for b in version))
        out.set("trt_version_source", "records")
    elif version != header_version:
        out.error(
            "the version records ("
            + ".".join(str(b) for b in version)
            + ") differ from the header version bytes"
        )
    _parse_device_block(buf, version_records[-1][2], out)


def _parse_device_block(buf: bytes, pos: int, out: _Out) -> None:
    """Best effort: build GPU compute capability and SM count (report §2.2, layouts A and B).

    The block is a run of typed records; a layout is recognised only when the record kinds and
    the constant fields around the values match what every real plan of that layout holds.
    Anything else (a layout of a release no sample shows, a damaged block) gives no GPU facts.
    """
    window = buf[pos : pos + 64 + 8]
    starts = [(window.find(m), m) for m in _DEVICE_MARKERS if window.find(m) >= 0]
    if not starts:
        return
    at, marker = min(starts)
    records = _walk_records(buf, pos + at + len(marker), 40)
    fields = [(k, int(v)) for k, v, _ in records if v is not None]
    found = _layout_a(fields) or _layout_b(fields)
    if found is None:
        return
    layout, major, minor, sms, integrated = found
    if not (3 <= major <= 13 and 0 <= minor <= 9):
        return
    out.set("device_layout", layout)
    out.set("build_compute_capability", f"{major}.{minor}")
    if 1 <= sms <= 1024:
        out.set("build_sm_count", sms)
        if integrated in (0, 1):
            out.set("build_integrated", bool(integrated))


_Device = tuple[str, int, int, int, int | None]

# Layout A (7.1 to 10.6 samples): CC major, CC minor, clock, memory clock, bus width (u32), L2
# size (u64), two or three shared-memory fields, 512, SM count (u32), integrated (bool), then
# 1024, 2147483647, 65535, 65535.
_A_AFTER_BOOL = (1024, 2147483647, 65535, 65535)
_A_BOOL_AT = (10, 11)
# Layout B (10.9 and 10.15 samples): total memory (u64), L2, persisting L2 (u64), clock,
# memory clock, bus width, shared memory per block and per SM, SM count, 0, 1024, 1024,
# CC major, CC minor, 512 (u32).
_B_KINDS = (9, 8, 8, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7)
_U32, _U64 = 7, 8


def _layout_a(fields: list[tuple[int, int]]) -> _Device | None:
    kinds = [k for k, _ in fields]
    if len(fields) < 6 or kinds[:5] != [_U32] * 5 or kinds[5] != _U64:
        return None
    bool_at = next((i for i, k in enumerate(kinds) if k == _BOOL_CODE), None)
    if bool_at not in _A_BOOL_AT or len(fields) < bool_at + 5:
        return None
    after = tuple(v for _, v in fields[bool_at + 1 : bool_at + 5])
    if fields[bool_at - 1][0] != _U32 or fields[bool_at - 2][1] != 512 or after != _A_AFTER_BOOL:
        return None
    return "A", fields[0][1], fields[1][1], fields[bool_at - 1][1], fields[bool_at][1]


def _layout_b(fields: list[tuple[int, int]]) -> _Device | None:
    if tuple(k for k, _ in fields[: len(_B_KINDS)]) != _B_KINDS:
        return None
    if fields[10][1] != 1024 or fields[14][1] != 512:
        return None
    return "B", fields[12][1], fields[13][1], fields[8][1], None
