"""TensorRT plan header source (preflight.sources.trt_engine) on the real plans and variants."""

from __future__ import annotations

import io
import json
import os
import struct
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import IO, Any

import pytest
from rule_cases import plan_writer

from preflight.data.trt_tags import load_tag_table, tag_release
from preflight.sources import trt_engine
from preflight.sources.trt_engine import extract, read_header

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data" / "engines"  # sources in SOURCES.md there
ENGINES = "fixtures/engines"

# Every value PROVENANCE.md states for the five real plans (GPU column: CC, SMs, integrated).
PROVENANCE: dict[str, dict[str, Any]] = {
    "smile2game_nvidia-game_model.plan": {
        "size_bytes": 3228,
        "format": "ftrt",
        "trt_version": "8.6.1.6",
        "trt_version_source": "header",
        "serialization_tag": 236,
        "section_tags": ["ENGN"],
        "archive_layout": "L24",
        "device_layout": "A",
        "build_compute_capability": "8.9",
        "build_sm_count": 128,
        "build_integrated": False,
        "tag_release": "8.6",
    },
    "swc-17_PPO_HIL_model.trt": {
        "size_bytes": 747020,
        "format": "ptrt",
        "trt_version": "7.1.3.0",
        "trt_version_source": "records",
        "serialization_tag": 97,
        "section_tags": None,
        "archive_layout": "L7",
        "device_layout": "A",
        "build_compute_capability": "7.2",
        "build_sm_count": 8,
        "build_integrated": True,
        "tag_release": "7.1",
    },
    "nttrung2406_COVID19_model.trt": {
        "size_bytes": 862484,
        "format": "ftrt",
        "trt_version": "10.3.0.26",
        "trt_version_source": "header",
        "serialization_tag": 239,
        "section_tags": ["ENGN"],
        "archive_layout": "L24",
        "device_layout": "A",
        "build_compute_capability": "7.5",
        "build_sm_count": 40,
        "build_integrated": False,
        "tag_release": "10.3-10.10",
    },
    "Mycoearthdome_camera_model.engine": {
        "size_bytes": 150780,
        "format": "ftrt",
        "trt_version": "10.15.1.29",
        "trt_version_source": "header",
        "serialization_tag": 240,
        "section_tags": ["ENGN", "WGHT"],
        "archive_layout": "L20",
        "device_layout": "B",
        "build_compute_capability": "8.6",
        "build_sm_count": 28,
        "build_integrated": None,  # layout B: the flag's position is not known
        "tag_release": "10.11-10.15",
    },
    "guorbit_processing-pipeline_model.engine": {
        "size_bytes": 1784649,
        "format": "ptrt",
        "trt_version": "8.2.1.8",
        "trt_version_source": "records",
        "serialization_tag": 205,
        "section_tags": None,
        "archive_layout": "L24",
        "device_layout": "A",
        "build_compute_capability": "5.3",
        "build_sm_count": 1,
        "build_integrated": True,
        "tag_release": "8.2",
    },
}
FTRT_SMALL = "smile2game_nvidia-game_model.plan"
FTRT_TWO_SECTIONS = "Mycoearthdome_camera_model.engine"


def _engine(shared: Path, name: str) -> Path:
    return shared / ENGINES / name


def _write(tmp_path: Path, data: bytes, name: str = "rank0.engine") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def _load_writer() -> ModuleType:
    return plan_writer()


class CountingFile(io.FileIO):
    """A binary file that counts the bytes handed out by read()."""

    total = 0

    def read(self, size: int | None = -1) -> bytes:
        data = super().read(size)
        CountingFile.total += len(data)
        return data


def _counting_open(path: Path) -> IO[bytes]:
    return CountingFile(path, "r")


# --- the five real plans -----------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(PROVENANCE))
def test_real_plan_facts_match_provenance(shared: Path, name: str) -> None:
    path = _engine(shared, name)
    want = PROVENANCE[name]
    facts = extract(path)
    values = {key: fact.value for key, fact in facts.items()}
    for key in (
        "size_bytes",
        "format",
        "trt_version",
        "trt_version_source",
        "serialization_tag",
        "archive_layout",
        "device_layout",
        "build_compute_capability",
        "build_sm_count",
        "tag_release",
    ):
        assert values[f"engine.{key}"] == want[key], key
    assert values["engine.declared_size"] == want["size_bytes"]
    assert values["engine.truncated"] is False
    assert "engine.truncated_reason" not in values
    assert "engine.error" not in values
    if want["build_integrated"] is None:
        assert "engine.build_integrated" not in values
    else:
        assert values["engine.build_integrated"] is want["build_integrated"]
    if want["section_tags"] is None:
        assert "engine.sections" not in values
    else:
        assert [s["tag"] for s in values["engine.sections"]] == want["section_tags"]
        assert values["engine.unknown_sections"] == []
        assert values["engine.container_version"] == 0
    assert values["engine.trailing_bytes"] == 0
    assert "engine.hardware_compatibility" not in values
    assert "engine.version_compatible" not in values
    assert {fact.location.path for fact in facts.values() if fact.location} == {str(path)}
    assert all(fact.location is not None for fact in facts.values())


def test_section_table_of_two_section_plan(shared: Path) -> None:
    values = read_header(_engine(shared, FTRT_TWO_SECTIONS))
    assert values["sections"] == [
        {"tag": "ENGN", "offset": 80, "size": 125063},
        {"tag": "WGHT", "offset": 125144, "size": 25632},
    ]


# --- truncation --------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(PROVENANCE))
def test_truncated_at_every_offset_of_first_512_bytes(
    shared: Path, tmp_path: Path, name: str
) -> None:
    data = _engine(shared, name).read_bytes()
    want = PROVENANCE[name]
    path = tmp_path / "rank0.engine"
    for cut in range(513):
        path.write_bytes(data[:cut])
        values = read_header(path)
        if cut == 0:
            assert values["format"] == "empty"
            assert values["error"]
            continue
        assert values["format"] == want["format"], cut
        assert values["truncated"] is True, cut
        assert values["truncated_reason"], cut
        assert values["size_bytes"] == cut
        if want["format"] == "ftrt" and cut >= 28:
            assert values["trt_version"] == want["trt_version"], cut
        if cut >= 24:
            assert values["declared_size"] == want["size_bytes"], cut


@pytest.mark.parametrize("name", sorted(PROVENANCE))
def test_truncated_at_later_offsets(shared: Path, tmp_path: Path, name: str) -> None:
    data = _engine(shared, name).read_bytes()
    path = tmp_path / "rank0.engine"
    for cut in (1024, 2048, len(data) // 2, len(data) - 5, len(data) - 4, len(data) - 1):
        path.write_bytes(data[:cut])
        values = read_header(path)
        assert values["truncated"] is True, cut
        assert values["build_compute_capability"] == PROVENANCE[name]["build_compute_capability"]


def test_missing_trailer_counts_as_truncated(shared: Path, tmp_path: Path) -> None:
    data = bytearray(_engine(shared, FTRT_SMALL).read_bytes())
    data[-4:] = b"\0\0\0\0"
    values = read_header(_write(tmp_path, bytes(data)))
    assert values["truncated"] is True
    assert "trailer" in values["truncated_reason"]


def test_bytes_after_the_declared_end_are_an_error_not_truncation(
    shared: Path, tmp_path: Path
) -> None:
    data = _engine(shared, FTRT_SMALL).read_bytes() + b"\0" * 16
    values = read_header(_write(tmp_path, data))
    assert values["truncated"] is False
    assert values["trailing_bytes"] == 16
    assert "16 bytes after the plan end the header declares (3228)" in values["error"]
    assert "zero bytes" in values["error"]


# --- damaged headers ---------------------------------------------------------------------------


def _flip(data: bytes, byte: int, bit: int) -> bytes:
    out = bytearray(data)
    out[byte] ^= 1 << bit
    return bytes(out)


def _flipped_values(path: Path, data: bytes, byte: int, bit: int) -> dict[str, Any]:
    """read_header of ``path`` (holding ``data``) with one bit flipped in place, then restored."""
    with path.open("r+b") as fh:
        fh.seek(byte)
        fh.write(bytes([data[byte] ^ (1 << bit)]))
    try:
        return read_header(path)
    finally:
        with path.open("r+b") as fh:
            fh.seek(byte)
            fh.write(data[byte : byte + 1])


@pytest.mark.parametrize("name", [FTRT_SMALL, FTRT_TWO_SECTIONS])
def test_bit_flips_in_checked_header_bytes_are_reported(
    shared: Path, tmp_path: Path, name: str
) -> None:
    data = _engine(shared, name).read_bytes()
    sections = read_header(_engine(shared, name))["sections"]
    engn = sections[0]["offset"]
    layout = PROVENANCE[name]["archive_layout"]
    size_field = range(engn + 16, engn + 24) if layout == "L24" else range(engn + 8, engn + 16)
    checked = [*range(28), *range(32, 32 + 24 * len(sections)), *range(engn, engn + 4)]
    checked += list(size_field)
    path = _write(tmp_path, data)
    for byte in checked:
        for bit in range(8):
            values = _flipped_values(path, data, byte, bit)
            flagged = values.get("error") or values.get("unknown_sections")
            assert values["format"] == "not-a-plan" or flagged, (byte, bit)
            if values["format"] != "not-a-plan" and byte >= 8:
                assert values["format"] == "ftrt"


@pytest.mark.parametrize("name", [FTRT_SMALL, FTRT_TWO_SECTIONS])
def test_bit_flips_in_the_tag_change_the_tag(shared: Path, tmp_path: Path, name: str) -> None:
    data = _engine(shared, name).read_bytes()
    engn = read_header(_engine(shared, name))["sections"][0]["offset"]
    tag_at = engn + (8 if PROVENANCE[name]["archive_layout"] == "L24" else 4)
    path = tmp_path / "rank0.engine"
    for bit in range(8):
        path.write_bytes(_flip(data, tag_at, bit))
        values = read_header(path)
        assert values["serialization_tag"] == PROVENANCE[name]["serialization_tag"] ^ (1 << bit)


@pytest.mark.parametrize("name", sorted(PROVENANCE))
def test_bit_flips_anywhere_in_first_512_bytes_never_raise(
    shared: Path, tmp_path: Path, name: str
) -> None:
    data = _engine(shared, name).read_bytes()
    path = _write(tmp_path, data)
    for byte in range(512):
        values = _flipped_values(path, data, byte, byte % 8)
        assert values["format"] in {"ftrt", "ptrt", "not-a-plan", "ultralytics"}
        cc = values.get("build_compute_capability")
        if cc is not None:
            major, minor = (int(p) for p in cc.split("."))
            assert 3 <= major <= 13 and 0 <= minor <= 9


def test_version_bytes_that_disagree_with_the_records(shared: Path, tmp_path: Path) -> None:
    data = bytearray(_engine(shared, FTRT_SMALL).read_bytes())
    data[25] = 7  # header says 8.7.1.6, the archive records still say 8.6.1.6
    values = read_header(_write(tmp_path, bytes(data)))
    assert values["trt_version"] == "8.7.1.6"
    assert "version records (8.6.1.6) differ" in values["error"]


def test_unknown_section_is_listed_not_rejected(shared: Path, tmp_path: Path) -> None:
    data = bytearray(_engine(shared, FTRT_TWO_SECTIONS).read_bytes())
    data[56:60] = b"NAEL"  # second section tag WGHT -> LEAN
    values = read_header(_write(tmp_path, bytes(data)))
    assert values["unknown_sections"] == [{"tag": "LEAN", "offset": 125144, "size": 25632}]
    assert values["truncated"] is False
    assert "error" not in values


@pytest.mark.parametrize(
    ("head", "hint"),
    [(b"xxxx", ""), (b"\x08\x07\x12\x08exporter", "ONNX"), (b"PK\x03\x04", "")],
)
def test_wrong_magic_is_not_a_plan(shared: Path, tmp_path: Path, head: bytes, hint: str) -> None:
    data = head + _engine(shared, FTRT_SMALL).read_bytes()[len(head) :]
    values = read_header(_write(tmp_path, data))
    assert values["format"] == "not-a-plan"
    assert "no TensorRT plan magic" in values["error"]
    assert hint in values["error"]
    assert values["magic"] == data[:8].hex(" ")
    assert "truncated" not in values
    assert "trt_version" not in values


def test_container_version_other_than_zero(shared: Path, tmp_path: Path) -> None:
    data = bytearray(_engine(shared, FTRT_SMALL).read_bytes())
    data[4] = 1
    values = read_header(_write(tmp_path, bytes(data)))
    assert values["container_version"] == 1
    assert "unsupported ftrt container version 1" in values["error"]


# --- things that are not plans -----------------------------------------------------------------


def test_zero_length(tmp_path: Path) -> None:
    facts = extract(_write(tmp_path, b""))
    assert facts["engine.format"].value == "empty"
    assert facts["engine.size_bytes"].value == 0
    assert "empty" in facts["engine.error"].value


def test_lfs_pointer(tmp_path: Path) -> None:
    oid = "4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393"
    text = f"version https://git-lfs.github.com/spec/v1\noid sha256:{oid}\nsize 12345678\n"
    values = read_header(_write(tmp_path, text.encode()))
    assert values["format"] == "lfs-pointer"
    assert values["lfs.oid"] == f"sha256:{oid}"
    assert values["lfs.size"] == 12345678
    assert "git lfs pull" in values["error"]
    assert "truncated" not in values


def test_directory_named_like_an_engine(tmp_path: Path) -> None:
    path = tmp_path / "rank0.engine"
    path.mkdir()
    facts = extract(path)
    assert facts["engine.format"].value == "not-a-file"
    assert "directory" in facts["engine.error"].value
    assert facts["engine.format"].location is not None
    assert facts["engine.format"].location.path == str(path)


def test_missing_and_dangling_symlink(tmp_path: Path) -> None:
    assert read_header(tmp_path / "nothing.engine")["format"] == "missing"
    link = tmp_path / "rank0.engine"
    link.symlink_to(tmp_path / "gone.engine")
    values = read_header(link)
    assert values["format"] == "missing"
    assert "symbolic link" in values["error"]


def test_symlink_loop_is_unreadable(tmp_path: Path) -> None:
    """A real OSError other than 'not found' (ELOOP) while resolving the path."""
    link = tmp_path / "rank0.engine"
    link.symlink_to(link)
    values = read_header(link)
    assert values["format"] == "unreadable"
    assert values["error"]


def test_open_refused_is_unreadable(shared: Path, tmp_path: Path) -> None:
    """Tests run as root, where chmod 000 does not stop reading: the opener refuses instead."""
    path = _write(tmp_path, _engine(shared, FTRT_SMALL).read_bytes())

    def refuse(p: Path) -> IO[bytes]:
        raise PermissionError(13, "Permission denied", str(p))

    values = read_header(path, opener=refuse)
    assert values["format"] == "unreadable"
    assert "Permission denied" in values["error"]


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their mode")
def test_mode_000_is_unreadable(shared: Path, tmp_path: Path) -> None:
    path = _write(tmp_path, _engine(shared, FTRT_SMALL).read_bytes())
    path.chmod(0)
    try:
        assert read_header(path)["format"] == "unreadable"
    finally:
        path.chmod(0o600)


def test_fifo_is_not_opened(tmp_path: Path) -> None:
    path = tmp_path / "rank0.engine"
    os.mkfifo(path)
    values = read_header(path)  # would block forever if it opened the FIFO for reading
    assert values["format"] == "not-a-file"


# --- metadata-prefixed plans -------------------------------------------------------------------


def _prefixed(meta: dict[str, Any], plan: bytes) -> tuple[bytes, int]:
    text = json.dumps(meta).encode()
    return struct.pack("<i", len(text)) + text + plan, 4 + len(text)


META = {
    "description": "exported detector",
    "stride": 32,
    "task": "detect",
    "batch": 1,
    "imgsz": [640, 640],
    "names": {"0": "person", "1": "bicycle"},
}


def test_metadata_prefixed_plan_keeps_the_plan_facts(shared: Path, tmp_path: Path) -> None:
    plan = _engine(shared, FTRT_TWO_SECTIONS).read_bytes()
    data, base = _prefixed(META, plan)
    values = read_header(_write(tmp_path, data))
    assert values["format"] == "ultralytics"
    assert values["inner_format"] == "ftrt"
    assert values["plan_offset"] == base
    assert values["metadata_size"] == base - 4
    assert values["declared_size"] == len(data)
    assert values["truncated"] is False
    assert values["errors"] == [values["error"]]  # only: TensorRT cannot load it as is
    assert "precede the plan" in values["error"]
    assert values["trt_version"] == "10.15.1.29"
    assert values["serialization_tag"] == 240
    assert values["build_compute_capability"] == "8.6"
    assert values["build_sm_count"] == 28
    assert values["ultralytics.task"] == "detect"
    assert values["ultralytics.imgsz"] == [640, 640]
    assert values["ultralytics.names"] == {"0": "person", "1": "bicycle"}


def test_metadata_prefixed_bare_archive(shared: Path, tmp_path: Path) -> None:
    data, _ = _prefixed(
        META, _engine(shared, "guorbit_processing-pipeline_model.engine").read_bytes()
    )
    values = read_header(_write(tmp_path, data))
    assert values["inner_format"] == "ptrt"
    assert values["trt_version"] == "8.2.1.8"
    assert values["truncated"] is False


def test_metadata_prefixed_truncations(shared: Path, tmp_path: Path) -> None:
    data, base = _prefixed(META, _engine(shared, FTRT_SMALL).read_bytes())
    path = tmp_path / "rank0.engine"
    for cut in (6, base - 1, base, base + 3, base + 30, len(data) - 1):
        path.write_bytes(data[:cut])
        values = read_header(path)
        assert values["format"] == "ultralytics", cut
        assert values["truncated"] is True, cut


def test_metadata_that_does_not_parse(shared: Path, tmp_path: Path) -> None:
    plan = _engine(shared, FTRT_SMALL).read_bytes()
    bad = b"{not json"
    data = struct.pack("<i", len(bad)) + bad + plan
    values = read_header(_write(tmp_path, data))
    assert values["format"] == "ultralytics"
    assert "does not parse" in values["error"]
    assert values["trt_version"] == "8.6.1.6"


def test_metadata_followed_by_garbage(tmp_path: Path) -> None:
    data, _ = _prefixed(META, b"garbage-not-a-plan")
    values = read_header(_write(tmp_path, data))
    assert values["format"] == "ultralytics"
    assert "no TensorRT plan magic after the JSON metadata" in values["error"]


# --- large files: bounded reads ----------------------------------------------------------------


def _sparse_plan(shared: Path, path: Path, total: int) -> None:
    """The real two-section plan with its WGHT section grown (sparse) so the file is ``total``."""
    data = bytearray(_engine(shared, FTRT_TWO_SECTIONS).read_bytes())
    wght_at = 125144
    struct.pack_into("<Q", data, 16, total)
    struct.pack_into("<Q", data, 56 + 16, total - 4 - wght_at)
    with path.open("wb") as fh:
        fh.write(data[:wght_at])
        fh.seek(total - 4)
        fh.write(trt_engine.TRAILER)


def test_sparse_2gb_plan_is_read_with_a_few_kib(shared: Path, tmp_path: Path) -> None:
    total = 2 * 1024**3 + 4
    path = tmp_path / "rank0.engine"
    _sparse_plan(shared, path, total)
    CountingFile.total = 0
    values = read_header(path, opener=_counting_open)
    assert values["size_bytes"] == total
    assert values["declared_size"] == total
    assert values["truncated"] is False
    assert "error" not in values
    assert values["sections"][1] == {"tag": "WGHT", "offset": 125144, "size": total - 125148}
    assert values["trt_version"] == "10.15.1.29"
    assert values["build_sm_count"] == 28
    assert CountingFile.total <= 2 * trt_engine.HEAD_BYTES + 64


def test_read_volume_does_not_grow_with_the_file(shared: Path, tmp_path: Path) -> None:
    reads = []
    for total in (1024**2 + 4, 64 * 1024**2 + 4):
        path = tmp_path / f"{total}.engine"
        _sparse_plan(shared, path, total)
        CountingFile.total = 0
        assert read_header(path, opener=_counting_open)["truncated"] is False
        reads.append(CountingFile.total)
    assert reads[0] == reads[1]


# --- the tag table -----------------------------------------------------------------------------


def test_tag_table_rows() -> None:
    rows = load_tag_table()
    tags = [row["tag"] for row in rows]
    assert len(tags) == len(set(tags))
    assert {97, 205, 213, 236, 237, 239, 240} <= set(tags)
    for row in rows:
        assert row["release"] and row["source"], row
        assert row["confidence"] in {"high", "medium", "low"}
    assert tag_release(236) == "8.6"
    assert tag_release(238) is None


# --- the example plan writer -------------------------------------------------------------------


def test_writer_default_plan_reads_back(tmp_path: Path) -> None:
    writer = _load_writer()
    path = tmp_path / "tensorrt_llm" / "1" / "rank0.engine"
    assert (
        writer.main([str(path), "--trt-version", "10.10.0.31", "--cc", "8.9", "--sms", "34"]) == 0
    )
    values = read_header(path)
    assert values["format"] == "ftrt"
    assert values["trt_version"] == "10.10.0.31"
    assert values["truncated"] is False
    assert values["build_compute_capability"] == "8.9"
    assert values["build_sm_count"] == 34
    assert values["serialization_tag"] == 239
    assert values["declared_size"] == values["size_bytes"] == path.stat().st_size
    assert "error" not in values
    assert path.stat().st_size < 1024


@pytest.mark.parametrize(
    ("version", "cc", "sms", "tag", "device_layout"),
    [
        ("8.6.1.6", "8.0", 108, 236, "A"),
        ("9.3.0.1", "9.0", 132, 228, "A"),
        ("10.0.1.6", "7.5", 40, 237, "A"),
        ("10.3.0.26", "8.6", 82, 239, "A"),
        ("10.7.0.23", "8.9", 58, 239, "A"),
        ("10.9.0.34", "12.0", 70, 239, "B"),
        ("10.11.0.33", "8.9", 34, 240, "B"),
        ("10.13.3.9", "10.0", 148, 240, "B"),
    ],
)
def test_writer_versions_and_gpus(
    tmp_path: Path, version: str, cc: str, sms: int, tag: int, device_layout: str
) -> None:
    writer = _load_writer()
    path = _write(tmp_path, writer.make_plan(version, cc, sms))
    values = read_header(path)
    assert values["trt_version"] == version
    assert values["serialization_tag"] == tag
    assert values["build_compute_capability"] == cc
    assert values["build_sm_count"] == sms
    assert values["device_layout"] == device_layout
    assert values["truncated"] is False
    assert "error" not in values


def test_writer_refuses_what_it_cannot_write() -> None:
    writer = _load_writer()
    with pytest.raises(ValueError, match=r"8\.6"):
        writer.make_plan("8.2.1.8", "7.5", 40)
    with pytest.raises(ValueError, match="--tag"):
        writer.make_plan("11.1.0.106", "9.0", 132)
    data = writer.make_plan("11.1.0.106", "9.0", 132, tag=241)
    assert data[:4] == b"ftrt" and data[24:28] == bytes([11, 1, 0, 106])


# --- QA: variants a reviewer derives from the real plans ---------------------------------------

FTRT_103 = "nttrung2406_COVID19_model.trt"
U32_RECORD = b"\x07\x80\x01\x00"
DEVICE_MARKER = b"\x12\x80\x01\x00\x10\x80\x01\x00"


def _device_fields(data: bytes, engn: int) -> list[tuple[int, int, int]]:
    """(offset of the value, record kind, value) of the device block records after the marker."""
    pos = data.index(DEVICE_MARKER, engn) + len(DEVICE_MARKER)
    fields = []
    while True:
        code, count = struct.unpack_from("<HH", data, pos)
        width = {2: 1, 7: 4, 8: 8, 9: 8, 10: 1}.get(code & 0x7FFF)
        if width is None or count != 1:
            return fields
        value = int.from_bytes(data[pos + 4 : pos + 4 + width], "little")
        fields.append((pos + 4, code & 0x7FFF, value))
        pos += 4 + width


def _set_version(data: bytes, version: tuple[int, int, int, int]) -> bytes:
    """Version bytes 24..27 and the four version records of the ENGN archive, as a build would."""
    out = bytearray(data)
    out[24:28] = bytes(version)
    engn = struct.unpack_from("<Q", out, 40)[0]
    header = 24 if struct.unpack_from("<I", out, engn + 4)[0] == 0 else 20
    for i, part in enumerate(version):
        out[engn + header + 5 * i + 4] = part
    return bytes(out)


@pytest.mark.parametrize("name", [FTRT_SMALL, FTRT_103, FTRT_TWO_SECTIONS])
@pytest.mark.parametrize(
    "version", ["8.6.1.6", "9.2.0.5", "9.3.0.1", "10.0.1.6", "10.8.0.43", "10.13.3.9", "11.1.0.106"]
)
def test_other_release_bytes_give_that_release(
    shared: Path, tmp_path: Path, name: str, version: str
) -> None:
    parts = tuple(int(p) for p in version.split("."))
    assert len(parts) == 4
    data = _set_version(
        _engine(shared, name).read_bytes(), (parts[0], parts[1], parts[2], parts[3])
    )
    values = read_header(_write(tmp_path, data))
    assert values["trt_version"] == version
    assert values["truncated"] is False
    assert "error" not in values
    assert values["build_compute_capability"] == PROVENANCE[name]["build_compute_capability"]


@pytest.mark.parametrize(
    ("name", "patch", "cc", "sms", "integrated"),
    [
        # layout A: CC major/minor are fields 0/1, SM count field 10, integrated field 11
        (FTRT_103, {0: 8, 1: 7, 10: 16, 11: 1}, "8.7", 16, True),  # a Jetson Orin-class device
        (FTRT_103, {0: 9, 1: 0, 10: 132}, "9.0", 132, False),  # H100 SXM
        (FTRT_SMALL, {0: 8, 1: 0, 10: 108}, "8.0", 108, False),  # A100
        # layout B: SM count field 8, CC major/minor fields 12/13
        (FTRT_TWO_SECTIONS, {12: 12, 13: 0, 8: 70}, "12.0", 70, None),  # RTX 5070 Ti
        (FTRT_TWO_SECTIONS, {12: 10, 13: 0, 8: 148}, "10.0", 148, None),  # B200
    ],
)
def test_other_build_gpus(
    shared: Path,
    tmp_path: Path,
    name: str,
    patch: dict[int, int],
    cc: str,
    sms: int,
    integrated: bool | None,
) -> None:
    data = bytearray(_engine(shared, name).read_bytes())
    engn = read_header(_engine(shared, name))["sections"][0]["offset"]
    fields = _device_fields(bytes(data), engn)
    for index, value in patch.items():
        at, kind, _ = fields[index]
        if kind == 10:
            data[at] = value
        else:
            struct.pack_into("<I", data, at, value)
    values = read_header(_write(tmp_path, bytes(data)))
    assert values["build_compute_capability"] == cc
    assert values["build_sm_count"] == sms
    assert values.get("build_integrated") is integrated
    assert "error" not in values


def _insert_in_engn(data: bytes, at: int, blob: bytes) -> bytes:
    """A one-section L24 plan with ``blob`` inserted at ``at`` inside ENGN, sizes kept right."""
    out = bytearray(data[:at] + blob + data[at:])
    engn = struct.unpack_from("<Q", out, 40)[0]
    for field in (16, 48, engn + 16):  # total size, ENGN section size, ptrt payload size
        struct.pack_into("<Q", out, field, struct.unpack_from("<Q", out, field)[0] + len(blob))
    return bytes(out)


def test_device_block_of_an_unseen_layout_gives_no_gpu(shared: Path, tmp_path: Path) -> None:
    """A block with one more leading u32 field (as a new release might write) is not layout A.

    Reading it as layout A would report compute capability 8.7 (the inserted 8, then the real
    major 7) for a plan built on a 7.5 GPU.
    """
    data = _engine(shared, FTRT_103).read_bytes()
    marker_end = data.index(DEVICE_MARKER, 56) + len(DEVICE_MARKER)
    variant = _insert_in_engn(data, marker_end, U32_RECORD + struct.pack("<I", 8))
    values = read_header(_write(tmp_path, variant))
    assert values["trt_version"] == "10.3.0.26"
    assert values["truncated"] is False
    assert "error" not in values
    for key in ("build_compute_capability", "build_sm_count", "build_integrated", "device_layout"):
        assert key not in values, key


@pytest.mark.parametrize(
    ("name", "index", "value"),
    [
        (FTRT_103, 12, 1023),  # the 1024 after the integrated flag
        (FTRT_103, 15, 1),  # the last 65535 of the four constants
        (FTRT_103, 9, 256),  # the 512 before the SM count
        (FTRT_TWO_SECTIONS, 14, 7),  # the 512 after the compute capability
        (FTRT_TWO_SECTIONS, 10, 5),  # the first 1024
    ],
)
def test_device_block_with_changed_constants_gives_no_gpu(
    shared: Path, tmp_path: Path, name: str, index: int, value: int
) -> None:
    data = bytearray(_engine(shared, name).read_bytes())
    engn = read_header(_engine(shared, name))["sections"][0]["offset"]
    at, kind, _ = _device_fields(bytes(data), engn)[index]
    assert kind == 7
    struct.pack_into("<I", data, at, value)
    values = read_header(_write(tmp_path, bytes(data)))
    assert "build_compute_capability" not in values
    assert "build_sm_count" not in values
    assert values["trt_version"] == PROVENANCE[name]["trt_version"]


def test_real_ultralytics_metadata_prefix_is_reported_unloadable(
    shared: Path, tmp_path: Path
) -> None:
    meta = (DATA / "ultralytics_metadata.json").read_text("utf-8").strip()
    plan = _engine(shared, FTRT_TWO_SECTIONS).read_bytes()
    data = len(meta).to_bytes(4, "little", signed=True) + meta.encode() + plan
    values = read_header(_write(tmp_path, data, "yolo11n.engine"))
    base = 4 + len(meta)
    assert values["format"] == "ultralytics"
    assert values["plan_offset"] == base
    assert values["ultralytics.version"] == "8.3.203"
    assert values["ultralytics.names"]["0"] == "person"
    assert values["trt_version"] == "10.15.1.29"
    assert values["build_compute_capability"] == "8.6"
    assert values["truncated"] is False
    assert values["trailing_bytes"] == 0
    assert "cannot deserialize the file as is" in values["error"]
    assert f"remove the first {base} bytes" in values["error"]


def test_ultralytics_length_seen_as_the_magic(shared: Path, tmp_path: Path) -> None:
    """A 1795-byte metadata block: TensorRT reads 0x00000703 where the magic should be."""
    meta = '{"description": "' + "x" * 1776 + '"}'
    assert len(meta) == 1795
    data = len(meta).to_bytes(4, "little", signed=True) + meta.encode()
    data += _engine(shared, FTRT_SMALL).read_bytes()
    values = read_header(_write(tmp_path, data))
    assert data[:4].hex() == "03070000"
    assert values["format"] == "ultralytics"
    assert values["inner_format"] == "ftrt"
    assert values["trt_version"] == "8.6.1.6"


@pytest.mark.parametrize("second", [FTRT_SMALL, FTRT_TWO_SECTIONS])
def test_two_plans_concatenated(shared: Path, tmp_path: Path, second: str) -> None:
    first = _engine(shared, FTRT_SMALL).read_bytes()
    data = first + _engine(shared, second).read_bytes()
    values = read_header(_write(tmp_path, data))
    assert values["trt_version"] == "8.6.1.6"
    assert values["truncated"] is False
    assert values["trailing_bytes"] == len(data) - len(first)
    assert "another plan (ftrt) starts there" in values["error"]


def test_bare_archive_with_bytes_after_its_end(shared: Path, tmp_path: Path) -> None:
    data = _engine(shared, "guorbit_processing-pipeline_model.engine").read_bytes() + b"junk"
    values = read_header(_write(tmp_path, data))
    assert values["format"] == "ptrt"
    assert values["truncated"] is False
    assert values["trailing_bytes"] == 4
    assert "4 bytes after the plan end the header declares (1784649)" in values["error"]


def _tar_with(member: bytes) -> bytes:
    import tarfile

    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        info = tarfile.TarInfo("model.plan")
        info.size = len(member)
        tar.addfile(info, io.BytesIO(member))
    return buf.getvalue()


def _zip_with(member: bytes) -> bytes:
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as archive:
        archive.writestr("model.plan", member)
    return buf.getvalue()


def _gzip(member: bytes) -> bytes:
    import gzip

    return gzip.compress(member, mtime=0)


def _safetensors(_: bytes) -> bytes:
    header = json.dumps({"w": {"dtype": "F16", "shape": [2], "data_offsets": [0, 4]}}).encode()
    return struct.pack("<Q", len(header)) + header + b"\0" * 4


def _custom_prefix(plan: bytes) -> bytes:
    tags = "My Custom Tag"
    return bytes(len(tags)) + tags.encode() + plan  # bytes(n) is n zero bytes


ANNEX = (
    "/annex/objects/SHA256E-s862484--"
    "fdcb526cf4a5a724f550a270b5dd294580abdf0cb5d7babc0acc915ce5a6642b.trt\n"
)


@pytest.mark.parametrize(
    ("make", "hint"),
    [
        (_tar_with, "a tar archive"),
        (lambda plan: _gzip(_tar_with(plan)), "gzip-compressed"),
        (_zip_with, "a ZIP archive"),
        (_safetensors, "safetensors"),
        (_custom_prefix, "plan magic ftrt appears at offset 26: 26 bytes were written before"),
        (lambda plan: b"\0" * 8 + plan, "appears at offset 8"),
        (lambda _: ANNEX.encode(), "git-annex pointer"),
        (lambda _: b"\0" * 8192, "all zero"),
        (lambda _: b"<!DOCTYPE html><html><body>404</body></html>\n", "HTML"),
        (lambda _: b"placeholder: copy the engine here\n", "34-byte text file"),
        (lambda _: b"\xef\xbb\xbf" + (DATA / "lfs_pointer_model.engine").read_bytes(), "LFS"),
    ],
)
def test_not_a_plan_says_what_it_is(
    shared: Path, tmp_path: Path, make: Callable[[bytes], bytes], hint: str
) -> None:
    data = make(_engine(shared, FTRT_SMALL).read_bytes())
    values = read_header(_write(tmp_path, data))
    assert values["format"] == "not-a-plan"
    assert values["error"].startswith("no TensorRT plan magic (ftrt or ptrt)")
    assert hint in values["error"]
    assert "trt_version" not in values
    assert "build_compute_capability" not in values


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_real_lfs_pointer_and_its_crlf_checkout(tmp_path: Path, newline: str) -> None:
    text = (DATA / "lfs_pointer_model.engine").read_text("ascii").replace("\n", newline)
    values = read_header(_write(tmp_path, text.encode("ascii"), "model.engine"))
    assert values["format"] == "lfs-pointer"
    oid = "e050790be9d3958243b727caa3f8225aad909537f385b6c4bf2de02008c3d6b1"
    assert values["lfs.oid"] == f"sha256:{oid}"
    assert values["lfs.size"] == 34709711
    assert "truncated" not in values


def test_lfs_pointer_of_the_pre_release_spec(tmp_path: Path) -> None:
    text = (DATA / "lfs_pointer_model.engine").read_text("ascii")
    text = text.replace("https://git-lfs.github.com/", "https://hawser.github.com/")
    values = read_header(_write(tmp_path, text.encode("ascii")))
    assert values["format"] == "lfs-pointer"
    assert values["lfs.size"] == 34709711


def test_dangling_git_annex_link(tmp_path: Path) -> None:
    link = tmp_path / "rank0.engine"
    link.symlink_to("../../.git/annex/objects/Xx/Yy/SHA256E-s100--abc.engine/SHA256E-s100--abc")
    values = read_header(link)
    assert values["format"] == "missing"
    assert "git annex get" in values["error"]


def test_tags_of_later_releases(shared: Path, tmp_path: Path) -> None:
    """Tags 243/244 from real runtime errors ("Current Version: 244" on a 11.3.0.99 runtime)."""
    data = bytearray(_set_version(_engine(shared, FTRT_TWO_SECTIONS).read_bytes(), (11, 3, 0, 99)))
    struct.pack_into("<I", data, 80 + 4, 244)  # the L20 archive's tag
    values = read_header(_write(tmp_path, bytes(data)))
    assert values["trt_version"] == "11.3.0.99"
    assert values["serialization_tag"] == 244
    assert values["tag_release"] == "11.3"
    assert "error" not in values
    assert tag_release(243) is not None
    assert _load_writer().default_tag("11.3.0.99") == 244
