"""The repository is a boundary: every file preflight reads from a checked repository is
opened here.

A path is read only when it resolves (symbolic links followed) inside one of the allowed
roots: the repository, a ``--path-map`` target, a root, file or folder given on the command
line. A link that leaves them raises :class:`Refused` with :data:`OUTSIDE`, a kind of
``OSError`` whose ``strerror`` is the reason: each source already records an ``OSError`` as
the fact that says why a file was not read, and a rule judges that fact. With no roots set
(a source called as a library) every path is allowed, and the other guards still hold.

Files are opened without blocking and without following a last link component
(``O_NONBLOCK | O_NOFOLLOW`` on the resolved path); only regular files are read (``fstat``
first: a FIFO, a device or ``/proc/self/environ`` through a link is refused), each kind of file
up to its size cap (:data:`CAPS`, ``limits:`` in ``.preflight.yaml``). After opening, the
file's own path (``/proc/self/fd``) is checked again, so a link swapped in between is refused
too. Folder walks are iterative, never enter a link, and stop at a bound.
"""

from __future__ import annotations

import errno
import io
import os
import stat
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

OUTSIDE = "points outside the repository: not read"
NOT_REGULAR = "not a regular file (FIFO, socket, device or folder): not read"

MiB = 1024 * 1024
# Size caps per kind of file; ``limits:`` in .preflight.yaml changes them.
# Each is far above what the file holds in practice and low enough that a hostile one is read
# in about a second: the parsers are Python (protobuf's text format, YAML's constructor) and a
# JSON file of empty objects takes 24 bytes of memory per byte (measured).
DEFAULT_CAPS: dict[str, int] = {
    "config.pbtxt": 1 * MiB,  # the largest official template: 18 KB; 1 MiB parses in about 1 s
    "config.json": 8 * MiB,  # trtllm-build's: a few KB
    "build-log": 64 * 1024 * MiB,  # read streaming, in flat memory
    "manifest": 4 * MiB,  # a line per engine file
    "engine": 1024 * 1024 * MiB,  # only the header is parsed; hashing streams
    "rule": 256 * 1024,  # a rule file: a few KB; 1 MiB of YAML took 2.5 s
    "settings": 256 * 1024,  # .preflight.yaml: a few lines
    "tokenizer": 256 * MiB,
    "script": 16 * MiB,  # model.py and launch scripts, searched for a few words
    "other": 64 * MiB,
}
CAPS: dict[str, int] = dict(DEFAULT_CAPS)
# A folder walk stops after this many entries or this depth.
MAX_WALK_ENTRIES = 100_000
MAX_WALK_DEPTH = 64

_roots: list[str] = []


class Refused(OSError):
    """A path preflight will not read; ``strerror`` says why."""

    def __init__(self, path: str | os.PathLike[str], reason: str) -> None:
        super().__init__(errno.EACCES, reason, str(path))


# --- the boundary ------------------------------------------------------------------------


def _real(path: str | os.PathLike[str]) -> str:
    return os.path.realpath(os.fspath(path))


def set_roots(*roots: str | os.PathLike[str]) -> None:
    """Allow reading only under ``roots`` (folders or single files)."""
    _roots[:] = [_real(r) for r in roots]


def allow(*roots: str | os.PathLike[str]) -> None:
    """Also allow ``roots`` (a ``--path-map`` target, a file named on the command line)."""
    for root in roots:
        real = _real(root)
        if real not in _roots:
            _roots.append(real)


def roots() -> list[str]:
    return list(_roots)


@contextmanager
def confined(*roots: str | os.PathLike[str]) -> Iterator[None]:
    """Within the block, read only under ``roots``; the previous boundary comes back after."""
    saved = list(_roots)
    set_roots(*roots)
    try:
        yield
    finally:
        _roots[:] = saved


def reset() -> None:
    """No boundary and the default caps, as at import."""
    _roots.clear()
    set_caps({})


def set_caps(caps: Mapping[str, int]) -> None:
    """Size caps per kind of file (bytes); kinds not given keep their default."""
    CAPS.clear()
    CAPS.update(DEFAULT_CAPS)
    CAPS.update(caps)


def _within(real: str, bounds: list[str]) -> bool:
    return any(real == root or real.startswith(root.rstrip(os.sep) + os.sep) for root in bounds)


def inside(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` resolves inside the boundary (always, when none is set)."""
    if not _roots:
        return True
    try:
        return _within(_real(path), _roots)
    except (OSError, ValueError):
        return False


def resolve(path: str | os.PathLike[str]) -> str:
    """The real path of ``path``; :class:`Refused` when it leaves the boundary."""
    try:
        real = _real(path)
    except ValueError:  # a NUL byte in the name
        raise Refused(path, "the name holds a NUL byte: not read") from None
    if _roots and not _within(real, _roots):
        raise Refused(path, OUTSIDE)
    return real


# --- what is there ------------------------------------------------------------------------
# Path.is_file(), is_dir(), exists() and is_symlink() raise on an entry of a folder that cannot
# be searched (EACCES) and on a name the system cannot look up (ENAMETOOLONG, a NUL byte): a
# repository can hold either. These answer False instead; the entry is then not there for the
# scan, which reports what it expected and did not find.


def _mode(path: str | os.PathLike[str], follow: bool = True) -> int | None:
    try:
        return os.stat(path, follow_symlinks=follow).st_mode
    except (OSError, ValueError):
        return None


def is_file(path: str | os.PathLike[str]) -> bool:
    """A regular file, links followed; False when it cannot be looked at."""
    mode = _mode(path)
    return mode is not None and stat.S_ISREG(mode)


def is_dir(path: str | os.PathLike[str]) -> bool:
    """A folder, links followed; False when it cannot be looked at."""
    mode = _mode(path)
    return mode is not None and stat.S_ISDIR(mode)


def exists(path: str | os.PathLike[str]) -> bool:
    """Something there, links followed; False when it cannot be looked at."""
    return _mode(path) is not None


def denied(path: str | os.PathLike[str]) -> str | None:
    """Why ``path`` cannot be looked at when a permission is missing (``strerror``); None when
    it can, or is simply not there."""
    try:
        os.stat(path)
    except PermissionError as exc:
        return exc.strerror or str(exc)
    except (OSError, ValueError):
        return None
    return None


def is_link(path: str | os.PathLike[str]) -> bool:
    """A symbolic link; False when it cannot be looked at."""
    mode = _mode(path, follow=False)
    return mode is not None and stat.S_ISLNK(mode)


# --- files -------------------------------------------------------------------------------

_FLAGS = (
    os.O_RDONLY
    | getattr(os, "O_NONBLOCK", 0)
    | getattr(os, "O_NOFOLLOW", 0)
    | getattr(os, "O_CLOEXEC", 0)
    | getattr(os, "O_NOCTTY", 0)
)


def cap(kind: str) -> int:
    return CAPS.get(kind, CAPS.get("other", DEFAULT_CAPS["other"]))


def _too_large(size: int, kind: str) -> str:
    return f"{size} bytes, over the {cap(kind)}-byte limit for a {kind} file: not read"


def open_fd(path: str | os.PathLike[str], kind: str = "other") -> int:
    """A read-only descriptor of the regular file ``path`` inside the boundary, at most
    ``cap(kind)`` bytes long. Raises ``OSError`` (:class:`Refused` for a refusal)."""
    real = resolve(path)
    try:
        fd = os.open(real, _FLAGS)
    except OSError as exc:
        if exc.errno == errno.ELOOP:  # a link put in place after resolving, or a loop
            reason = "a symbolic link that loops or changed while read: not read"
            raise Refused(path, reason) from None
        raise OSError(exc.errno, exc.strerror, str(path)) from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise Refused(path, NOT_REGULAR)
        if st.st_size > cap(kind):
            raise Refused(path, _too_large(st.st_size, kind))
        if _roots:  # the file actually opened, whatever happened to the path meanwhile
            try:
                opened = os.readlink(f"/proc/self/fd/{fd}")
            except OSError:
                opened = None
            if opened is not None and opened.startswith("/") and not _within(opened, _roots):
                raise Refused(path, OUTSIDE)
    except BaseException:
        os.close(fd)
        raise
    return fd


def open_file(path: str | os.PathLike[str], kind: str = "other") -> io.FileIO:
    """:func:`open_fd` as an unbuffered binary file object."""
    fd = open_fd(path, kind)
    try:
        return io.FileIO(fd, "rb", closefd=True)
    except BaseException:
        os.close(fd)
        raise


def read_bytes(path: str | os.PathLike[str], kind: str = "other") -> bytes:
    """The whole file, at most ``cap(kind)`` bytes (a file that grows past it is refused)."""
    limit = cap(kind)
    with open_file(path, kind) as fh:
        chunks = []
        total = 0
        while True:
            chunk = fh.read(min(8 * MiB, limit + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
            if total > limit:
                raise Refused(path, _too_large(total, kind))
    return b"".join(chunks)


def read_text(path: str | os.PathLike[str], kind: str = "other", encoding: str = "utf-8") -> str:
    """:func:`read_bytes` decoded (``UnicodeDecodeError`` on bad bytes, like ``read_text``)."""
    return read_bytes(path, kind).decode(encoding)


# --- folders -----------------------------------------------------------------------------


def list_dir(path: str | os.PathLike[str]) -> list[str]:
    """The names in the folder ``path`` (sorted); :class:`Refused` when it leaves the boundary."""
    real = resolve(path)
    names = []
    with os.scandir(real) as it:
        for entry in it:
            names.append(entry.name)
            if len(names) >= MAX_WALK_ENTRIES:
                break
    return sorted(names)


def walk_files(root: str | os.PathLike[str], suffixes: tuple[str, ...]) -> list[Path]:
    """Files under ``root`` whose names end in ``suffixes``, sorted; iterative, never
    entering a linked folder, bounded in depth and count. ``root`` itself must be inside."""
    base = Path(root)
    resolve(base)
    found: list[Path] = []
    stack: list[tuple[Path, int]] = [(base, 0)]
    seen = 0
    while stack:
        folder, depth = stack.pop()
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for entry in entries:
            seen += 1
            if seen > MAX_WALK_ENTRIES:
                return sorted(found)
            try:
                if entry.is_dir(follow_symlinks=False):
                    if depth + 1 < MAX_WALK_DEPTH:
                        stack.append((folder / entry.name, depth + 1))
                    continue
            except OSError:
                continue
            if entry.name.endswith(suffixes):
                found.append(folder / entry.name)
    return sorted(found)
