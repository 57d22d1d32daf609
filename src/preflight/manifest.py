"""Engine integrity manifest: sizes and SHA-256 of the plan files in an engine directory.

``write_manifest(dir)`` records every ``*.engine`` / ``*.plan`` file directly in ``dir`` into
``dir/preflight-manifest.json``::

    {"preflight_manifest": 1, "created": "2026-01-01T00:00:00+00:00",
     "files": {"rank0.engine": {"size": 123, "sha256": "...", "trt_version": "10.10.0.31",
                                "build_compute_capability": "8.9"}}}

``verify_manifest(dir)`` compares the directory with it and returns ``manifest.*`` facts:
``manifest.present``, ``manifest.path`` and, when present, ``manifest.checked`` (entries
compared) and ``manifest.mismatches`` (``[{path, text}]``: a size or hash difference, a missing
file, an engine file the manifest does not list, an unreadable or invalid manifest).

Hashing streams each file in 16 MiB blocks into one reused buffer (``readinto`` plus
``memoryview``), several files at once on a thread pool: ``hashlib`` releases the GIL while it
hashes large buffers. A size difference is reported without hashing; equal sizes are always
hashed.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib
import json
import os
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from preflight.discovery import MANIFEST_NAME
from preflight.model import Fact, Facts, Location

__all__ = ["MANIFEST_NAME", "sha256_file", "verify_manifest", "write_manifest"]
MANIFEST_VERSION = 1
PLAN_SUFFIXES = (".engine", ".plan")
BLOCK_SIZE = 16 * 1024 * 1024
HEADER_KEYS = ("trt_version", "build_compute_capability")


def sha256_file(path: Path, block_size: int = BLOCK_SIZE) -> str:
    """The SHA-256 hex digest of ``path``, streamed through one reused buffer."""
    digest = hashlib.sha256()
    buf = bytearray(block_size)
    view = memoryview(buf)
    with open(path, "rb", buffering=0) as fh:
        if hasattr(os, "posix_fadvise"):
            with contextlib.suppress(OSError):
                os.posix_fadvise(fh.fileno(), 0, 0, os.POSIX_FADV_SEQUENTIAL)
        while True:
            n = fh.readinto(view)
            if not n:
                break
            digest.update(view[:n])
    return digest.hexdigest()


def hash_files(paths: Iterable[Path], workers: int | None = None) -> dict[Path, str | OSError]:
    """SHA-256 of each path, in parallel; an unreadable file maps to its ``OSError``."""
    todo = list(paths)
    if not todo:
        return {}
    count = workers or min(len(todo), max(1, os.cpu_count() or 1), 8)

    def one(path: Path) -> str | OSError:
        try:
            return sha256_file(path)
        except OSError as exc:
            return exc

    if count == 1:
        return {p: one(p) for p in todo}
    with ThreadPoolExecutor(max_workers=count) as pool:
        return dict(zip(todo, pool.map(one, todo), strict=True))


def plan_files(engine_dir: Path) -> list[Path]:
    """The ``*.engine`` and ``*.plan`` files directly in ``engine_dir``, sorted by name."""
    try:
        entries = list(engine_dir.iterdir())
    except OSError:
        return []
    return sorted(p for p in entries if p.suffix in PLAN_SUFFIXES and p.is_file())


def _header_facts(path: Path) -> dict[str, Any]:
    """Header facts from the plan parser when it is available; empty otherwise."""
    try:
        source = importlib.import_module("preflight.sources.trt_engine")
    except ImportError:
        return {}
    try:
        facts = source.extract(path)
    except Exception:  # the parser must not break the manifest
        return {}
    out: dict[str, Any] = {}
    for key in HEADER_KEYS:
        fact = facts.get(f"engine.{key}")
        if fact is not None:
            out[key] = fact.value
    return out


def write_manifest(engine_dir: Path) -> Path:
    """Write ``engine_dir/preflight-manifest.json`` for the plan files there; return its path.

    Raises ``OSError`` when a plan file cannot be read or the manifest cannot be written: the
    caller asked for a manifest, and a partial one would be wrong.
    """
    files = plan_files(engine_dir)
    digests = hash_files(files)
    entries: dict[str, dict[str, Any]] = {}
    for path in files:
        digest = digests[path]
        if isinstance(digest, OSError):
            raise digest
        entries[path.name] = {
            "size": path.stat().st_size,
            "sha256": digest,
            **_header_facts(path),
        }
    doc = {
        "preflight_manifest": MANIFEST_VERSION,
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "files": entries,
    }
    target = engine_dir / MANIFEST_NAME
    tmp = target.with_name(target.name + ".tmp")
    tmp.write_text(json.dumps(doc, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    os.replace(tmp, target)
    return target


def _load(manifest: Path) -> tuple[dict[str, Mapping[str, Any]] | None, str | None]:
    """(entries, None) or (None, why the manifest is unusable)."""
    try:
        doc = json.loads(manifest.read_text(encoding="utf-8"))
    except OSError as exc:
        return None, f"manifest cannot be read: {exc.strerror or exc}"
    except (ValueError, RecursionError) as exc:
        return None, f"manifest is not valid JSON: {str(exc)[:200]}"
    if not isinstance(doc, dict) or doc.get("preflight_manifest") != MANIFEST_VERSION:
        return None, f"not a preflight manifest (version {MANIFEST_VERSION} expected)"
    files = doc.get("files")
    if not isinstance(files, dict) or not all(isinstance(v, dict) for v in files.values()):
        return None, "manifest 'files' must map file names to objects"
    return files, None


def _valid_name(name: str) -> bool:
    return bool(name) and name not in (".", "..") and not any(c in name for c in ("/", "\\", "\0"))


def _compare(
    engine_dir: Path, entries: Mapping[str, Mapping[str, Any]]
) -> tuple[list[dict[str, Any]], int]:
    mismatches: list[dict[str, Any]] = []
    to_hash: dict[Path, str] = {}
    checked = 0
    for name, entry in sorted(entries.items()):
        path = engine_dir / name
        if not _valid_name(name):
            mismatches.append({"path": str(engine_dir), "text": f"invalid entry name {name!r}"})
            continue
        checked += 1
        size, expected = entry.get("size"), entry.get("sha256")
        if not isinstance(size, int) or not isinstance(expected, str):
            mismatches.append({"path": str(path), "text": f"{name}: entry lacks size or sha256"})
            continue
        try:
            actual_size = path.stat().st_size
        except OSError:
            mismatches.append(
                {"path": str(path), "text": f"{name}: listed in the manifest, missing"}
            )
            continue
        if actual_size != size:
            text = f"{name}: size {actual_size} bytes, manifest says {size}"
            mismatches.append({"path": str(path), "text": text})
            continue
        to_hash[path] = expected.lower()
    for path, digest in hash_files(to_hash).items():
        if isinstance(digest, OSError):
            text = f"{path.name}: cannot be read: {digest.strerror or digest}"
            mismatches.append({"path": str(path), "text": text})
        elif digest != to_hash[path]:
            text = f"{path.name}: sha256 {digest}, manifest says {to_hash[path]}"
            mismatches.append({"path": str(path), "text": text})
    for path in plan_files(engine_dir):
        if path.name not in entries:
            text = f"{path.name}: engine file not in the manifest"
            mismatches.append({"path": str(path), "text": text})
    mismatches.sort(key=lambda m: (m["path"], m["text"]))
    return mismatches, checked


def verify_manifest(engine_dir: Path) -> Facts:
    """Compare ``engine_dir`` with its manifest: ``manifest.*`` facts, never raises."""
    manifest = engine_dir / MANIFEST_NAME
    loc = Location(path=str(manifest))
    facts: Facts = {"manifest.path": Fact(str(manifest), loc)}
    if not manifest.is_file():
        facts["manifest.present"] = Fact(False, loc)
        return facts
    facts["manifest.present"] = Fact(True, loc)
    entries, error = _load(manifest)
    if entries is None:
        mismatches: list[dict[str, Any]] = [{"path": str(manifest), "text": str(error)}]
        checked = 0
    else:
        mismatches, checked = _compare(engine_dir, entries)
    facts["manifest.checked"] = Fact(checked, loc)
    facts["manifest.mismatches"] = Fact(mismatches, loc)
    return facts
