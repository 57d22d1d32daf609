"""A remote repository laid out in a temporary folder, so that the unchanged scan reads it.

What is read of each object (the listing gives every size, so nothing is fetched to learn it):

- the files sources read as text or JSON (``config.pbtxt``, ``config.json``,
  ``tokenizer_config.json``, logs, scripts, manifests, settings; :func:`whole`) and any object of
  at most :data:`SMALL` bytes: whole;
- every other object (engines, plans, weights): a sparse file of its real size holding only the
  bytes the engine header source reads. The header source itself is run on the object through
  ranged reads (:class:`_Fetching`), and every byte it reads is written at its offset into the
  sparse file: run again on that file, the source reads the same offsets, gets the same bytes and
  gives the same facts (a few KB per engine: the head, the start and last bytes of the engine
  section, the trailer). A plan that is not a ``.engine`` file (a ``tensorrt_plan`` model's
  ``model.plan``) also gets the bytes the plugin scan reads (the first
  :data:`~preflight.sources.plan_plugins.CAP` bytes at most): the same facts again, at the
  cost of reading them.

Objects are read in parallel, :attr:`StoreSettings.workers` at once. A failure on one object is
kept (``remote.unreadable``: a finding), never raised. The staged folder is removed afterwards.

Facts (namespace ``remote``, on the repository subject): ``remote.url``,
``remote.unreadable`` (``[{path, reason}]``, each at the object), ``remote.hashes``
(``streamed``: manifest SHA-256 computed from the store with ``--verify-hashes``; or
``not-checked``: sizes from the listing and headers only).
"""

from __future__ import annotations

import hashlib
import io
import os
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import IO, Any, cast

from ..model import Fact, Facts, Location
from ..sources import MANIFEST_NAME
from .store import Store, describe

NAMESPACES = ("remote",)
SMALL = 64 * 1024  # read whole, whatever it is
WHOLE_CAP = 64 * 1024 * 1024  # a text file larger than this is staged sparse (and said so)
WHOLE_NAMES = frozenset({"config.pbtxt", "config.json", "tokenizer_config.json", MANIFEST_NAME})
WHOLE_SUFFIXES = (".pbtxt", ".log", ".py", ".sh", ".md", ".txt", ".yaml", ".yml", ".json")
# files whose name the scan looks at but whose content no source reads
NAME_ONLY = frozenset({"tokenizer.json", "vocab.json", "vocab.txt", "merges.txt"})
HEAD_PREFETCH = 8192  # one request covers the plan head and the start of its engine section


def whole(rel: str, size: int) -> bool:
    """Whether an object is read whole (see the module)."""
    name = PurePosixPath(rel).name
    if size <= SMALL:
        return True
    if size > WHOLE_CAP or name in NAME_ONLY:
        return False
    return name in WHOLE_NAMES or name.endswith(WHOLE_SUFFIXES) or name == ".preflight.yaml"


class _Fetching(io.RawIOBase):
    """A file object over one remote object for the engine header source: ``fileno`` is the
    sparse staged file's (so its size is the object's), each read is a ranged request whose
    bytes are also written into the staged file at their offset."""

    def __init__(self, store: Store, rel: str, fd: int, size: int) -> None:
        super().__init__()
        self._store, self._rel, self._fd, self._size = store, rel, fd, size
        self._pos = 0
        self._cache: tuple[int, bytes] | None = None

    def fileno(self) -> int:
        return self._fd

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: self._size}[whence]
        self._pos = max(0, base + offset)
        return self._pos

    def tell(self) -> int:
        return self._pos

    def read(self, n: int | None = -1) -> bytes:
        end = self._size if n is None or n < 0 else min(self._size, self._pos + n)
        if self._pos >= end:
            return b""
        start = self._pos
        cached = self._cache
        if cached is not None and cached[0] <= start and end <= cached[0] + len(cached[1]):
            data = cached[1][start - cached[0] : end - cached[0]]
        else:
            fetch_end = max(end, min(self._size, HEAD_PREFETCH)) if start == 0 else end
            fetched = self._store.read(self._rel, start, fetch_end)
            os.pwrite(self._fd, fetched, start)
            if start == 0:
                self._cache = (0, fetched)
            data = fetched[: end - start]
        self._pos = start + len(data)
        return data

    def readinto(self, buffer: Any) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        super().close()  # the staged file's descriptor is closed by its owner


@dataclass
class Staged:
    root: Path  # the local folder the scan reads
    store: Store
    listing: dict[str, int]
    unreadable: list[tuple[str, str]] = field(default_factory=list)
    sparse: int = 0  # objects staged by their header only

    def rel_of(self, path: str | Path) -> str | None:
        text, root = str(path), str(self.root)
        if text == root:
            return ""
        if text.startswith(root + os.sep):
            return text[len(root) + 1 :].replace(os.sep, "/")
        return None

    def shown(self, text: str) -> str:
        """``text`` with the staged folder replaced by the repository URL."""
        return text.replace(str(self.root), self.store.url.text)

    def facts(self, hashes: str) -> Facts:
        here = Location(str(self.root))
        items = [
            {"path": str(self.root / rel), "reason": reason} for rel, reason in self.unreadable
        ]
        return {
            "remote.url": Fact(self.store.url.text, here),
            "remote.unreadable": Fact(items, here),
            "remote.hashes": Fact(hashes, here),
        }

    def digests(
        self, verify: bool, progress: Callable[[str], None] | None = None
    ) -> Callable[[list[Path]], Mapping[Path, str | OSError | None]]:
        """The manifest's digests of staged files: SHA-256 streamed from the store when
        ``verify``, else none (sizes and headers only)."""

        def run(paths: list[Path]) -> Mapping[Path, str | OSError | None]:
            if not verify:
                return dict.fromkeys(paths)

            def one(path: Path) -> str | OSError | None:
                rel = self.rel_of(path)
                if rel is None or rel not in self.listing:
                    return None
                digest = hashlib.sha256()
                try:
                    for block in self.store.stream(rel, self.listing[rel]):
                        digest.update(block)
                except Exception as exc:
                    return OSError(0, describe(exc, self.store), str(path))
                if progress is not None:
                    size = self.listing[rel] / (1 << 30)
                    progress(f"sha256 {self.store.url.url_of(rel)} ({size:.2f} GiB) done")
                return digest.hexdigest()

            with ThreadPoolExecutor(max_workers=self.store.settings.workers) as pool:
                return dict(zip(paths, pool.map(one, paths), strict=True))

        return run


def _stage_one(store: Store, root: Path, rel: str, size: int) -> None:
    from ..sources import plan_plugins, trt_engine

    local = root / rel
    local.parent.mkdir(parents=True, exist_ok=True)
    if whole(rel, size):
        data = store.read(rel, 0, size) if size else b""
        local.write_bytes(data)
        return
    fd = os.open(local, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        os.ftruncate(fd, size)  # sparse: the real size, no blocks written
        failures: list[BaseException] = []

        def opener(_path: Path) -> IO[bytes]:
            return cast(IO[bytes], _Recording(store, rel, fd, size, failures))

        header = trt_engine.read_header(local, opener=opener)
        if failures:
            raise failures[0]
        plan = header.get("format") in ("ftrt", "ptrt", "ultralytics")
        if plan and not rel.endswith(".engine"):  # a plan the plugin scan reads
            want = min(size, plan_plugins.CAP + 1)
            for start in range(0, want, 8 << 20):
                block = store.read(rel, start, min(want, start + (8 << 20)))
                os.pwrite(fd, block, start)
    finally:
        os.close(fd)


class _Recording(_Fetching):
    """:class:`_Fetching` that keeps the store's exception (the header source turns any
    ``OSError`` into a fact; the staging must see it as an unreadable object instead)."""

    def __init__(
        self, store: Store, rel: str, fd: int, size: int, failures: list[BaseException]
    ) -> None:
        super().__init__(store, rel, fd, size)
        self._failures = failures

    def read(self, n: int | None = -1) -> bytes:
        try:
            return super().read(n)
        except Exception as exc:
            self._failures.append(exc)
            raise OSError(0, "the store read failed") from None


def stage(store: Store, dest: Path, listing: dict[str, int]) -> Staged:
    """Lay ``listing`` out under ``dest`` (which exists and is empty), reading in parallel."""
    staged = Staged(dest, store, listing)

    def one(item: tuple[str, int]) -> tuple[str, str | None]:
        rel, size = item
        try:
            _stage_one(store, dest, rel, size)
        except Exception as exc:  # the store's own errors, of every kind
            return rel, describe(exc, store)
        return rel, None

    for folder in sorted(store.folders):  # as Triton's listing shows them (common prefixes)
        if _safe_rel(folder):
            (dest / folder).mkdir(parents=True, exist_ok=True)
    safe = [(rel, size) for rel, size in sorted(listing.items()) if _safe_rel(rel)]
    with ThreadPoolExecutor(max_workers=max(1, store.settings.workers)) as pool:
        for rel, reason in pool.map(one, safe):
            if reason is not None:
                staged.unreadable.append((rel, reason))
            elif not whole(rel, listing[rel]):
                staged.sparse += 1
    return staged


def _safe_rel(rel: str) -> bool:
    """A key that stays inside the staged folder (no ``..``, no empty or absolute part)."""
    parts = rel.split("/")
    return all(p not in ("", ".", "..") for p in parts) and "\0" not in rel


def iter_lines(staged: Staged) -> Iterator[str]:
    """What -v says about the reading."""
    s = staged.store.stats
    yield (
        f"{staged.store.url.text}: {s.objects_listed} objects listed, {staged.sparse} read by "
        f"their header only; {s.bytes_read} bytes read in {s.requests} requests"
    )
