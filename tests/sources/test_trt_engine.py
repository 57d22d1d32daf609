"""TensorRT plan header source (preflight.sources.trt_engine) on the real plans and variants."""

from __future__ import annotations

import importlib.util
import io
import json
import os
import struct
from pathlib import Path
from types import ModuleType
from typing import IO, Any

import pytest

from preflight.sources import trt_engine
from preflight.sources.trt_engine import extract, load_tag_table, read_header, tag_release

ROOT = Path(__file__).resolve().parents[2]
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
    spec = importlib.util.spec_from_file_location(
        "make_plan_header", ROOT / "examples" / "tools" / "make_plan_header.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


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
    assert "16 bytes after the declared plan end" in values["error"]


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
    assert "error" not in values
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
