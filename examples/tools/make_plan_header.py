"""Write a small file holding a synthetic TensorRT plan header (no network, no weights).

The file is NOT a loadable engine: it has the structure of a real serialized plan (the
``ftrt`` container, its section table, an ``ENGN`` section opening with the ``ptrt`` archive,
the version records, the copy of the build GPU's device properties, the ENGN end marker and
the trailer), so that a header reader reports the TensorRT version, serialization tag, build
compute capability and SM count it was given, and finds the file intact. It stands in for a
``rank0.engine`` in example repositories and test fixtures.

The bytes are copied from real plans (the shared engine fixtures) and patched:

* TensorRT 10.9 and later: the 10.15.1.29 plan's layout (two sections ENGN + WGHT, 20-byte
  ``ptrt`` header, device-properties layout B).
* TensorRT 10.6 to 10.8: two sections, 20-byte ``ptrt`` header, device-properties layout A.
* TensorRT 8.6 to 10.5: the 10.3.0.26 plan's layout (one ENGN section, 24-byte ``ptrt`` header,
  layout A); 8.6 and 9.x get the 8.6 marker record and zero bytes 28..31.

Only the version, serialization tag, compute capability and SM count are patched; the other
device fields (clocks, memory, L2) stay those of the GPU the template plan was built on. The
serialization tag comes from ``preflight/data/trt_tags.yaml`` (the row whose release range
holds the version) unless ``--tag`` is given.

Usage::

    python examples/tools/make_plan_header.py OUT --trt-version 10.10.0.31 --cc 8.9 --sms 34

Tests import :func:`make_plan` from this file by path.
"""

from __future__ import annotations

import argparse
import struct
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NamedTuple

FTRT = b"ftrt"
TRAILER = b"\x99\x8b\x8d\x8b"
ENGN_PAYLOAD_END = b"\x8f\x8b\x8d\x8b"


class _Offsets(NamedTuple):
    """Where the patched values sit in an archive template."""

    version: tuple[int, int, int, int]
    major: int
    minor: int
    sms: int


# ENGN section prefix of the 10.3.0.26 plan (24-byte ptrt header, device layout A), up to the
# end of its device-properties block. Offsets of patched values: version bytes 28/33/38/43,
# CC major 68, CC minor 76, SM count 156; the 0x80d2 record code at 44.
_L24_A = bytes.fromhex(
    "7074727400000000ef00000000000000b9280d0000000000028001000a02800100030280010000028001001a"
    "d2800100078001000000000012800100108001000780010007000000078001000500000007800100f0421800"
    "07800100284f4c00078001000001000008800100000040000000000008800100000000000000000007800100"
    "00c000000780010000000100078001000002000007800100280000000a800100000780010000040000078001"
    "00ffffff7f07800100ffff000007800100ffff00000780010000000000098001000000e1af03000000"
)
_L24_A_AT = _Offsets(version=(28, 33, 38, 43), major=68, minor=76, sms=156)
_L24_MARKER_AT = 44

# ENGN section prefix of the 10.15.1.29 plan (20-byte ptrt header, device layout B). Offsets:
# version bytes 24/29/34/39, SM count 140, CC major 172, CC minor 180.
_L20_B = bytes.fromhex(
    "70747274f000000073e801000000000000000000028001000a028001000f0280010001028001001dd2800100"
    "07800100000000001280010010800100098001000000dce8020000000880010000002400000000000880010000"
    "c01800000000000780010098921b0007800100c874720007800100c00000000780010000c00000078001000090"
    "0100078001001c00000007800100000000000780010000040000078001000004000007800100080000000780"
    "0100060000000780010000020000"
)
_L20_B_AT = _Offsets(version=(24, 29, 34, 39), major=172, minor=180, sms=140)

_WGHT_BYTES = 64  # a small raw "weights" section, as 10.6+ plans carry one


def _parse_version(text: str) -> tuple[int, int, int, int]:
    parts = text.split(".")
    if not 2 <= len(parts) <= 4 or not all(p.isdigit() for p in parts):
        raise ValueError(f"TensorRT version must be M.m[.p[.b]], got {text!r}")
    nums = [int(p) for p in parts] + [0] * (4 - len(parts))
    if any(n > 255 for n in nums):
        raise ValueError(f"each version part must fit in one byte: {text!r}")
    return nums[0], nums[1], nums[2], nums[3]


def _parse_cc(text: str) -> tuple[int, int]:
    major, sep, minor = text.partition(".")
    if not sep or not major.isdigit() or not minor.isdigit():
        raise ValueError(f"compute capability must be M.m, got {text!r}")
    return int(major), int(minor)


def default_tag(trt_version: str) -> int:
    """The serialization tag the tag table gives for a TensorRT version's release line."""
    major, minor = _parse_version(trt_version)[:2]
    for row in _tag_rows():
        first, last = row.get("first"), row.get("last")
        if first is None or last is None:
            continue
        lo = tuple(int(p) for p in str(first).split("."))
        hi = tuple(int(p) for p in str(last).split("."))
        if lo <= (major, minor) <= hi:
            return int(str(row["tag"]))
    raise ValueError(f"no serialization tag known for TensorRT {trt_version}; pass --tag")


def _tag_rows() -> list[dict[str, object]]:
    import yaml

    table = Path(__file__).resolve().parents[2] / "src" / "preflight" / "data" / "trt_tags.yaml"
    data = yaml.safe_load(table.read_text(encoding="utf-8"))
    return [row for row in data["tags"] if isinstance(row, dict)]


def _put_u32(buf: bytearray, at: int, value: int) -> None:
    struct.pack_into("<I", buf, at, value)


def _archive(version: tuple[int, int, int, int], tag: int, cc: tuple[int, int], sms: int) -> bytes:
    """The ENGN section: ptrt archive header, records, device block, end marker."""
    major, minor = version[:2]
    if (major, minor) >= (10, 9):
        buf, at = bytearray(_L20_B), _L20_B_AT
        header = 20
        _put_u32(buf, 4, tag)
    else:
        buf, at = bytearray(_L24_A), _L24_A_AT
        if (major, minor) < (10, 0):
            struct.pack_into("<H", buf, _L24_MARKER_AT, 0x80E5)
        header = 24
        _put_u32(buf, 8, tag)
    for offset, value in zip(at.version, version, strict=True):
        buf[offset] = value
    _put_u32(buf, at.major, cc[0])
    _put_u32(buf, at.minor, cc[1])
    _put_u32(buf, at.sms, sms)
    if header == 24 and (major, minor) >= (10, 6):
        # 10.6 to 10.8: 20-byte header (tag at +4, payload size at +8), layout A records.
        body = bytes(buf[24:])
        buf = bytearray(b"ptrt" + struct.pack("<IQI", tag, 0, 0) + body)
        header = 20
    archive = bytes(buf) + ENGN_PAYLOAD_END
    payload = len(archive) - header
    out = bytearray(archive)
    struct.pack_into("<Q", out, 8 if header == 20 else 16, payload)
    return bytes(out)


def _align8(n: int) -> int:
    return (n + 7) & ~7


def make_plan(trt_version: str, cc: str, sms: int, tag: int | None = None) -> bytes:
    """Bytes of a synthetic ``ftrt`` plan header for TensorRT ``trt_version`` (8.6 or later)."""
    version = _parse_version(trt_version)
    cc_pair = _parse_cc(cc)
    if version[:2] < (8, 6):
        raise ValueError("the ftrt container starts with TensorRT 8.6; older versions unsupported")
    if not 1 <= sms <= 1024:
        raise ValueError(f"SM count out of range: {sms}")
    if tag is None:
        tag = default_tag(trt_version)
    engn = _archive(version, tag, cc_pair, sms)
    with_weights = version[:2] >= (10, 6)
    count = 2 if with_weights else 1
    engn_at = 32 + 24 * count
    sections = [(b"NGNE", engn_at, len(engn))]
    body = bytearray(engn)
    if with_weights:
        wght_at = _align8(engn_at + len(engn))
        body += b"\0" * (wght_at - engn_at - len(engn)) + b"\0" * _WGHT_BYTES
        sections.append((b"THGW", wght_at, _WGHT_BYTES))
    _, last_at, last_size = sections[-1]
    end = _align8(last_at + last_size)
    body += b"\0" * (end - engn_at - len(body))
    total = end + len(TRAILER)
    marker = b"rtrt" if version[0] >= 10 else b"\0\0\0\0"
    header = FTRT + struct.pack("<IQQ", 0, count, total) + bytes(version) + marker
    table = b"".join(t + struct.pack("<IQQ", 0, off, size) for t, off, size in sections)
    return header + table + bytes(body) + TRAILER


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("out", type=Path, help="file to write (parent folders are created)")
    parser.add_argument("--trt-version", default="10.10.0.31", help="M.m.p.b (default 10.10.0.31)")
    parser.add_argument("--cc", default="8.9", help="build GPU compute capability M.m")
    parser.add_argument("--sms", type=int, default=34, help="build GPU SM count")
    parser.add_argument("--tag", type=int, default=None, help="serialization tag override")
    args = parser.parse_args(argv)
    try:
        data = make_plan(args.trt_version, args.cc, args.sms, args.tag)
    except ValueError as exc:
        parser.error(str(exc))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_bytes(data)
    return 0


if __name__ == "__main__":
    sys.exit(main())
