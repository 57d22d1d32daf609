"""Engine integrity manifest: sizes and SHA-256 of the plan files in an engine directory.

``write_manifest(dir)`` records every ``*.engine`` / ``*.plan`` file directly in ``dir`` into
``dir/preflight-manifest.json``::

    {"preflight_manifest": 1, "created": "2026-01-01T00:00:00+00:00",
     "files": {"rank0.engine": {"size": 123, "sha256": "...", "trt_version": "10.10.0.31",
                                "build_compute_capability": "8.9"}}}

``extract(dir)`` reads the manifest and the files it lists into ``manifest.*`` facts; the check
``tensorrt.manifest-matches`` compares them:

- ``manifest.path``, ``manifest.present``;
- when present: ``manifest.error`` (``{kind, detail}``: ``unreadable``, ``not-json``,
  ``not-a-manifest``, ``bad-files``) when the manifest cannot be used; ``manifest.checked``
  (entries with a plain file name); ``manifest.entries``, one item per entry in name order:
  ``{name, path, safe_name, listed_size, listed_sha256}`` and, for a plain name, ``size`` (None
  when the file is absent) and, when the sizes agree, ``sha256`` or ``read_error`` (or
  ``sha256_unchecked``: a remote repository checked without ``--verify-hashes``);
  ``manifest.unlisted``: ``{name, path}`` of the plan files the manifest does not list.

Hashing streams each file in 16 MiB blocks into one reused buffer (``readinto`` plus
``memoryview``), several files at once on a thread pool: ``hashlib`` releases the GIL while it
hashes large buffers. A file whose size differs from the manifest's is not hashed.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from preflight import progress, safe_files
from preflight.model import Fact, Facts, Location

from . import MANIFEST_NAME, trt_engine

__all__ = [
    "MANIFEST_NAME",
    "extract",
    "hash_files",
    "plan_files",
    "sha256_file",
    "write_manifest",
]
NAMESPACES = ("manifest",)
MANIFEST_VERSION = 1
PLAN_SUFFIXES = (".engine", ".plan")
BLOCK_SIZE = 16 * 1024 * 1024
HEADER_KEYS = ("trt_version", "build_compute_capability")


def sha256_file(path: Path, block_size: int = BLOCK_SIZE) -> str:
    """The SHA-256 hex digest of ``path``, streamed through one reused buffer."""
    digest = hashlib.sha256()
    buf = bytearray(block_size)
    view = memoryview(buf)
    with safe_files.open_file(path, "engine") as fh:  # inside the boundary, regular
        if hasattr(os, "posix_fadvise"):
            with contextlib.suppress(OSError):
                os.posix_fadvise(fh.fileno(), 0, 0, os.POSIX_FADV_SEQUENTIAL)
        while True:
            n = fh.readinto(view)
            if not n:
                break
            digest.update(view[:n])
            progress.advance(n)
    return digest.hexdigest()


def hash_files(paths: Iterable[Path], workers: int | None = None) -> dict[Path, str | OSError]:
    """SHA-256 of each path, in parallel; an unreadable file maps to its ``OSError``."""
    todo = list(paths)
    if not todo:
        return {}
    count = workers or min(len(todo), max(1, os.cpu_count() or 1), 8)
    with progress.task(_total_size(todo), "sha256"):  # a bar only for a person at a terminal
        return _hash_all(todo, count)


def _total_size(paths: list[Path]) -> int:
    total = 0
    for path in paths:
        with contextlib.suppress(OSError):
            total += path.stat().st_size
    return total


def _hash_all(todo: list[Path], count: int) -> dict[Path, str | OSError]:
    def one(path: Path) -> str | OSError:
        try:
            return sha256_file(path)
        except OSError as exc:
            return exc

    if count == 1:
        return {p: one(p) for p in todo}
    with ThreadPoolExecutor(max_workers=count) as pool:
        return dict(zip(todo, pool.map(one, todo), strict=True))


# Who gives the digests of the listed files: ``hash_files`` here; for a repository staged from
# object storage, its staging layer (SHA-256 streamed from the store with --verify-hashes, or
# None: sizes and headers only, ``sha256_unchecked`` on the entry).
Digests = Callable[[list[Path]], Mapping[Path, str | OSError | None]]
_digests: Digests | None = None


def use_digests(digests: Digests | None) -> Digests | None:
    """Set who computes the manifest digests (None: hash the files here); returns the previous."""
    global _digests
    previous, _digests = _digests, digests
    return previous


def plan_files(engine_dir: Path) -> list[Path]:
    """The ``*.engine`` and ``*.plan`` files directly in ``engine_dir``, sorted by name."""
    try:
        entries = list(engine_dir.iterdir())
    except OSError:
        return []
    return sorted(p for p in entries if p.suffix in PLAN_SUFFIXES and safe_files.is_file(p))


def _header_facts(path: Path) -> dict[str, Any]:
    """What the plan header tells of the build, for the manifest entry."""
    try:
        header = trt_engine.read_header(path)
    except Exception:  # the parser must not break the manifest
        return {}
    return {key: header[key] for key in HEADER_KEYS if key in header}


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
    _write_atomically(engine_dir, target, json.dumps(doc, indent=2, sort_keys=True) + "\n")
    return target


def _write_atomically(folder: Path, target: Path, text: str) -> None:
    """``text`` into ``target`` through a temporary file created exclusively in ``folder``
    (``O_EXCL | O_NOFOLLOW``: never through a planted link), renamed over ``target``; the
    temporary file is gone whatever happens, an interrupt included."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    flags |= getattr(os, "O_CLOEXEC", 0)
    for attempt in range(100):
        tmp = folder / f".{target.name}.{os.getpid()}.{attempt}.tmp"
        try:
            fd = os.open(tmp, flags, 0o644)
        except FileExistsError:
            continue
        break
    else:
        raise FileExistsError(errno.EEXIST, "cannot create a temporary file", str(folder))
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        if safe_files.is_link(target) or (
            safe_files.exists(target) and not safe_files.is_file(target)
        ):
            raise IsADirectoryError(
                errno.EEXIST, "exists and is not a regular file: not replaced", str(target)
            )
        os.replace(tmp, target)  # replaces a link itself, never what it points to
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _load(manifest: Path) -> tuple[dict[str, Mapping[str, Any]] | None, dict[str, str] | None]:
    """(entries, None) or (None, ``{kind, detail}``: why the manifest cannot be used)."""
    try:
        doc = json.loads(safe_files.read_text(manifest, "manifest"))
    except OSError as exc:
        return None, {"kind": "unreadable", "detail": str(exc.strerror or exc)}
    except (ValueError, RecursionError) as exc:
        return None, {"kind": "not-json", "detail": str(exc)[:200]}
    if not isinstance(doc, dict) or doc.get("preflight_manifest") != MANIFEST_VERSION:
        return None, {"kind": "not-a-manifest", "detail": ""}
    files = doc.get("files")
    if not isinstance(files, dict) or not all(isinstance(v, dict) for v in files.values()):
        return None, {"kind": "bad-files", "detail": ""}
    return files, None


def _safe_name(name: str) -> bool:
    """A plain file name: nothing that could lead out of the engine directory."""
    return bool(name) and name not in (".", "..") and not any(c in name for c in ("/", "\\", "\0"))


def _entries(engine_dir: Path, listed: Mapping[str, Mapping[str, Any]]) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    to_hash: dict[Path, dict[str, Any]] = {}
    for name, entry in sorted(listed.items()):
        safe = _safe_name(name)
        size, sha256 = entry.get("size"), entry.get("sha256")
        item: dict[str, Any] = {
            "name": name,
            "path": str(engine_dir / name) if safe else str(engine_dir),
            "safe_name": safe,
            "listed_size": size,
            "listed_sha256": sha256,
        }
        items.append(item)
        if not safe:
            continue  # never look at a path the manifest may have pointed elsewhere
        try:
            item["size"] = (engine_dir / name).stat().st_size
        except OSError:
            item["size"] = None
            continue
        if isinstance(size, int) and isinstance(sha256, str) and item["size"] == size:
            to_hash[engine_dir / name] = item
    digests = _digests(list(to_hash)) if _digests is not None else hash_files(to_hash)
    for path, digest in digests.items():
        if digest is None:
            to_hash[path]["sha256_unchecked"] = True
        elif isinstance(digest, OSError):
            to_hash[path]["read_error"] = str(digest.strerror or digest)
        else:
            to_hash[path]["sha256"] = digest
    return items


def extract(engine_dir: Path) -> Facts:
    """``manifest.*`` facts of ``engine_dir``'s manifest and the files it lists; never raises."""
    manifest = engine_dir / MANIFEST_NAME
    loc = Location(path=str(manifest))
    facts: Facts = {"manifest.path": Fact(str(manifest), loc)}
    if not safe_files.is_file(manifest):
        facts["manifest.present"] = Fact(False, loc)
        return facts
    facts["manifest.present"] = Fact(True, loc)
    listed, error = _load(manifest)
    entries = _entries(engine_dir, listed) if listed is not None else []
    if error is not None:
        facts["manifest.error"] = Fact(error, loc)
    facts["manifest.checked"] = Fact(sum(1 for e in entries if e["safe_name"]), loc)
    facts["manifest.entries"] = Fact(entries, loc)
    unlisted = [
        {"name": p.name, "path": str(p)}
        for p in plan_files(engine_dir)
        if listed is not None and p.name not in listed
    ]
    facts["manifest.unlisted"] = Fact(unlisted, loc)
    return facts
