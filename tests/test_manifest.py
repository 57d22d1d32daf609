"""Engine integrity manifest (preflight.sources.manifest) and its check (TRT007)."""

from __future__ import annotations

import hashlib
import json
import shutil
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from preflight.evaluator import evaluate_rule
from preflight.model import Facts, Result, Rule, Status, Subject
from preflight.rules.loader import builtin_rules_dir, load_rules
from preflight.sources.manifest import (
    MANIFEST_NAME,
    extract,
    hash_files,
    plan_files,
    sha256_file,
    write_manifest,
)

ENGINES = "fixtures/engines"
# Digests published in fixtures/engines/PROVENANCE.md.
CAMERA_SHA = "93d8b2a3d4aa4a9f7fbfbe4cebc9e2676e031c7875bf55bbd2a7d168139c9484"
COVID_SHA = "fdcb526cf4a5a724f550a270b5dd294580abdf0cb5d7babc0acc915ce5a6642b"


def values(facts: Facts) -> dict[str, Any]:
    return {key: fact.value for key, fact in facts.items()}


@pytest.fixture
def engine_dir(shared: Path, tmp_path: Path) -> Path:
    """A TensorRT-LLM style engine folder built from two real plans."""
    d = tmp_path / "1"
    d.mkdir()
    shutil.copy(shared / ENGINES / "Mycoearthdome_camera_model.engine", d / "rank0.engine")
    shutil.copy(shared / ENGINES / "nttrung2406_COVID19_model.trt", d / "rank1.engine")
    shutil.copy(shared / ENGINES / "smile2game_nvidia-game_model.plan", d / "vision.plan")
    (d / "config.json").write_text("{}")
    return d


@cache
def trt007() -> Rule:
    [rule] = [r for r in load_rules([(builtin_rules_dir(), False)]) if r.id == "TRT007"]
    return rule


def verify(engine_dir: Path) -> list[Result]:
    """TRT007 on the manifest facts of ``engine_dir``: its failures, in report order."""
    subject = Subject("trtllm-model", "m", str(engine_dir), extract(engine_dir))
    return [r for r in evaluate_rule(trt007(), subject) if r.status is Status.FAIL]


def texts(engine_dir: Path) -> list[str]:
    """What TRT007 says of each mismatch, without the subject."""
    return [r.message.removeprefix("m: ") for r in verify(engine_dir)]


def paths(engine_dir: Path) -> list[str]:
    return [r.location.path if r.location else "" for r in verify(engine_dir)]


def test_write_records_size_and_hash(engine_dir: Path) -> None:
    path = write_manifest(engine_dir)
    assert path == engine_dir / MANIFEST_NAME
    doc = json.loads(path.read_text())
    assert doc["preflight_manifest"] == 1
    assert datetime.fromisoformat(doc["created"]).tzinfo is not None
    assert sorted(doc["files"]) == ["rank0.engine", "rank1.engine", "vision.plan"]
    assert doc["files"]["rank0.engine"]["size"] == 150780
    assert doc["files"]["rank0.engine"]["sha256"] == CAMERA_SHA
    assert doc["files"]["rank1.engine"]["sha256"] == COVID_SHA
    assert doc["files"]["vision.plan"]["size"] == 3228


def test_write_records_header_facts(engine_dir: Path) -> None:
    doc = json.loads(write_manifest(engine_dir).read_text())
    assert doc["files"]["rank0.engine"]["trt_version"] == "10.15.1.29"
    assert doc["files"]["rank0.engine"]["build_compute_capability"] == "8.6"
    assert doc["files"]["rank1.engine"]["trt_version"] == "10.3.0.26"


def test_verify_ok(engine_dir: Path) -> None:
    write_manifest(engine_dir)
    facts = extract(engine_dir)
    got = values(facts)
    entries = got.pop("manifest.entries")
    assert got == {
        "manifest.path": str(engine_dir / MANIFEST_NAME),
        "manifest.present": True,
        "manifest.checked": 3,
        "manifest.unlisted": [],
    }
    assert [e["name"] for e in entries] == ["rank0.engine", "rank1.engine", "vision.plan"]
    assert entries[0] == {
        "name": "rank0.engine",
        "path": str(engine_dir / "rank0.engine"),
        "safe_name": True,
        "listed_size": 150780,
        "listed_sha256": CAMERA_SHA,
        "size": 150780,
        "sha256": CAMERA_SHA,
    }
    assert facts["manifest.present"].location is not None
    assert facts["manifest.present"].location.path == str(engine_dir / MANIFEST_NAME)
    [passed] = evaluate_rule(trt007(), Subject("trtllm-model", "m", str(engine_dir), facts))
    assert passed.status is Status.PASS and passed.message == "m: 3 engine files match the manifest"


def test_absent_manifest(engine_dir: Path) -> None:
    got = values(extract(engine_dir))
    assert got == {"manifest.path": str(engine_dir / MANIFEST_NAME), "manifest.present": False}
    # the manifest is opt-in: no result without one
    assert evaluate_rule(trt007(), Subject("trtllm-model", "m", str(engine_dir), {})) == []


def test_truncated_copy(engine_dir: Path) -> None:
    write_manifest(engine_dir)
    rank1 = engine_dir / "rank1.engine"
    rank1.write_bytes(rank1.read_bytes()[:500_000])
    assert texts(engine_dir) == ["rank1.engine: size 500000 bytes, manifest says 862484"]
    assert paths(engine_dir) == [str(rank1)]
    facts = extract(engine_dir)
    assert facts["manifest.checked"].value == 3
    # a file of another size is not hashed
    assert "sha256" not in facts["manifest.entries"].value[1]


def test_flipped_byte(engine_dir: Path) -> None:
    write_manifest(engine_dir)
    rank0 = engine_dir / "rank0.engine"
    data = bytearray(rank0.read_bytes())
    data[100_000] ^= 0x01
    rank0.write_bytes(bytes(data))
    new = hashlib.sha256(data).hexdigest()
    assert texts(engine_dir) == [f"rank0.engine: sha256 {new}, manifest says {CAMERA_SHA}"]


def test_missing_rank(engine_dir: Path) -> None:
    write_manifest(engine_dir)
    (engine_dir / "rank1.engine").unlink()
    assert texts(engine_dir) == ["rank1.engine: listed in the manifest, missing"]


def test_extra_engine_file(engine_dir: Path) -> None:
    write_manifest(engine_dir)
    shutil.copy(engine_dir / "rank0.engine", engine_dir / "rank2.engine")
    (engine_dir / "notes.txt").write_text("not an engine")
    assert texts(engine_dir) == ["rank2.engine: engine file not in the manifest"]
    assert paths(engine_dir) == [str(engine_dir / "rank2.engine")]


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ('{"preflight_manifest": 1, "files": {', "manifest is not valid JSON: "),
        ("[1, 2]", "not a preflight manifest"),
        ('{"preflight_manifest": 2, "files": {}}', "not a preflight manifest"),
        ('{"preflight_manifest": 1, "files": []}', "manifest 'files' must map"),
        (b"\xff\xfe\x00garbage", "manifest is not valid JSON: "),
    ],
)
def test_corrupt_manifest_is_a_finding(engine_dir: Path, content: Any, expected: str) -> None:
    manifest = engine_dir / MANIFEST_NAME
    if isinstance(content, bytes):
        manifest.write_bytes(content)
    else:
        manifest.write_text(content)
    facts = extract(engine_dir)
    assert facts["manifest.present"].value is True
    assert facts["manifest.checked"].value == 0
    [mismatch] = texts(engine_dir)
    assert paths(engine_dir) == [str(manifest)]
    assert mismatch.startswith(expected)


def test_bad_entries(engine_dir: Path) -> None:
    write_manifest(engine_dir)
    manifest = engine_dir / MANIFEST_NAME
    doc = json.loads(manifest.read_text())
    doc["files"]["../outside.engine"] = {"size": 1, "sha256": "00"}
    doc["files"]["vision.plan"] = {"size": "3228"}
    manifest.write_text(json.dumps(doc))
    assert sorted(texts(engine_dir)) == [
        "invalid entry name '../outside.engine'",
        "vision.plan: entry lacks size or sha256",
    ]
    # a name that leads out of the directory is never looked at
    [outside] = [e for e in extract(engine_dir)["manifest.entries"].value if not e["safe_name"]]
    assert "size" not in outside and outside["path"] == str(engine_dir)


def test_sha256_file_across_blocks(tmp_path: Path, shared: Path) -> None:
    src = shared / ENGINES / "Mycoearthdome_camera_model.engine"
    assert sha256_file(src, block_size=4099) == CAMERA_SHA
    assert sha256_file(src) == CAMERA_SHA
    empty = tmp_path / "empty.engine"
    empty.write_bytes(b"")
    assert sha256_file(empty) == hashlib.sha256(b"").hexdigest()


def test_hash_files_parallel_matches_serial(engine_dir: Path, tmp_path: Path) -> None:
    files = [*plan_files(engine_dir), tmp_path / "absent.engine"]
    parallel = hash_files(files, workers=4)
    serial = hash_files(files, workers=1)
    assert parallel.keys() == serial.keys() == set(files)
    for path in files[:-1]:
        assert parallel[path] == serial[path] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert isinstance(parallel[files[-1]], OSError)


def test_plan_files_only_engines(engine_dir: Path) -> None:
    (engine_dir / "sub").mkdir()
    (engine_dir / "sub" / "rank9.engine").write_bytes(b"x")
    assert [p.name for p in plan_files(engine_dir)] == [
        "rank0.engine",
        "rank1.engine",
        "vision.plan",
    ]
