"""Read a ``trtllm-build`` log (TensorRT-LLM 0.8 to 1.2) into ``build_log.*`` facts.

The log mixes four kinds of line: the Python logger (``[ts] [TRT-LLM] [I] msg``), TensorRT's
logger (``[ts] [TRT] [W] msg``), the C++ runtime (``[TensorRT-LLM][ERROR] msg``) and the version
banner (``[TensorRT-LLM] TensorRT-LLM version: X``, glued to the next line in 0.8.0). Anything
else (tracebacks, backtraces, MPI dumps, shell noise) is unstructured text that is only searched
for failure signatures. Each fact's location is the log file and the 1-based line it was read on.

Facts (all under ``build_log.``; a key the log does not contain is absent):

- ``trtllm_version``: the first version banner.
- ``plugins.<name>``: the last value of each ``Set [PluginConfig.]<name> to <value>.`` line,
  typed (``True``/``False`` -> bool, ``None`` -> null, integers -> int, else the string).
- ``dtype``: the last ``Set dtype to <dtype>.`` (kept out of ``plugins``).
- ``gpu.compute_capability`` (``"M.m"``), ``gpu.sm_count``, ``gpu.sm_clock_mhz``,
  ``gpu.float16_tflops``, ``gpu.total_memory_gib``: the optional hardware lines.
- ``peak_gpu_memory_mib``: the largest ``[MemUsageStats] Peak memory usage … GPU N MiB``.
- ``engine_generation_seconds``: the sum of every ``Engine generation completed in X seconds``.
- ``total_build_time``: the ``HH:MM:SS`` of ``Total time of building all engines``.
- ``started_engines``: ``[{path, rank, line, serialized}]`` per ``Serializing engine to …``
  (``path`` is the engine path as printed, ``rank`` from ``rank<r>.engine`` or null); each
  ``Engine serialized`` completes the oldest pending one.
- ``serialized_engines``: paths of the fully serialized engines, in log order.
- ``serialized_ranks``: sorted ranks of the fully serialized engines.
- ``missing_ranks``: ranks below the highest started rank that never started (with ranks only).
- ``build_succeeded``: false on a fatal signature; true when engines started, every one was
  serialized, no rank below the highest one is missing and no engine TensorRT finished
  (``Engine generation completed``) was left unwritten; otherwise null.
- ``fatal_errors``: ``[{line, text}]``, one per line with a fatal signature (a traceback counts
  when no ``Serializing``/``Engine serialized``/``Total time of building all engines`` line
  follows it, or when it went through ``parallel_build``/``build_and_save``, which print a
  rank's failure and go on with the other ranks; a traceback after ``Exception ignored in``
  never counts; its entry is the exception line, and the source lines quoted in its frames are
  not searched). Fatal signatures also include an argument error (``trtllm-build: error:``),
  ``MPI_ABORT`` / an aborted mpirun job and an unhandled C++ exception on Windows.
- ``oom_warnings``: ``[{line, text}]`` for OOM during tactic search (not fatal), at most
  ``MAX_OOM_ITEMS``; ``oom_warning_count`` is the full count.
- ``line_count``: physical lines in the file.

Lines captured through ``docker logs -t``/``kubectl logs --timestamps`` (an RFC 3339 timestamp)
or ``mpirun --tag-output`` (``[1,0]<stderr>:``) are read without that prefix.
- ``read_error``: the reason the file could not be read (then no other fact).
- ``absurd_values``: ``[{key, line, text}]``, numbers the log writes that cannot be meant
  (dozens of digits, a lone ``.``): the fact they would give is left out.

TensorRT's verbose lines (``[ts] [TRT] [V] ...``, the bulk of ``--log_level verbose``) trace the
builder and quote layer and tensor names; TensorRT reports errors and warnings at ``[E]`` and
``[W]``. They are skipped whole (``_VERBOSE``).

Reading is one streaming pass (:func:`extract`): the file is mapped and cut into chunks at line
ends; a vectorised prefilter (numpy, on a second thread) finds the lines that are not verbose
TensorRT lines, and only those are decoded and read, by the same line scanner :func:`parse`
uses, so the facts are the same. Time grows linearly and memory stays flat: every list is
bounded (``MAX_*``), a line is read up to ``MAX_LINE_CHARS``.
"""

from __future__ import annotations

import math
import os
import re
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from io import FileIO
from itertools import islice
from pathlib import Path
from typing import Any

from preflight import safe_files
from preflight.facts import fact
from preflight.model import Fact, Facts

NAMESPACES = ("build_log",)
MAX_LISTED_RANKS = 1024  # absent ranks listed at most (a log may name any rank number)

PREFIX = "build_log."
MAX_OOM_ITEMS = 50
MAX_FATAL_ITEMS = 1000  # fatal lines listed at most (the first ones)
MAX_STARTED = 4096  # engines listed at most
MAX_RANKS = 65536  # distinct rank numbers kept
MAX_KEYS = 512  # distinct `Set <name> to` names kept
MAX_ABSURD = 20
MAX_TEXT = 500  # characters of a quoted line
MAX_LINE_CHARS = 1 << 18  # a longer line is read up to here
MAX_DIGITS = 30  # a number with more digits is absurd (int() refuses 4300)
CHUNK_BYTES = 1 << 20  # at least 4 * MAX_LINE_CHARS: a line is cut the same way by both
LOOK_AHEAD = 6  # chunks read ahead of the scanner
FAST_PATH_BYTES = 4 << 20  # a smaller log is read line by line (no numpy import)

_TS = r"\[\d\d/\d\d/\d{4}-\d\d:\d\d:\d\d\]"
# A logger line glued to the text before it (0.8.0 banner, interleaved workers) starts anew here.
_GLUED = re.compile(rf"{_TS}\s*\[TRT(?:-LLM)?\]")
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
# A verbose TensorRT line, skipped whole; the prefilter tests the same bytes (ASCII digits).
# (its first 32 bytes ASCII, ending in `RT] [V] `: `[08/27/2025-09:13:48] [TRT] [V] `. The
# prefilter compares the same bytes, so that both readers skip the same lines.)
_VERBOSE = re.compile(r"[\x00-\x09\x0b-\x7f]{24}RT\] \[V\] ")
_VERBOSE_TAIL = b"RT] [V] "  # bytes 24 to 31 of such a line
_TAIL = int.from_bytes(_VERBOSE_TAIL, "little")
# Added by the tool that captured the output, not by the build: a container runtime's RFC 3339
# timestamp, mpirun's --tag-output marker, or both.
_CAPTURE_PREFIX = re.compile(
    r"^(?:\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:[.,]\d+)?(?:Z|[+-]\d\d:?\d\d)? )?"
    r"(?:\[\d+,\d+\]<(?:stdout|stderr|stddiag)>: ?)?"
)
_LOGGER = re.compile(
    rf"^\s*(?:{_TS}\s*)?\[(?P<src>TRT-LLM|TRT)\]\s*(?:\[MPI_Rank \d+\]\s*)?"
    r"\[(?P<lvl>[FEWIV])\]\s?(?P<msg>.*)$"
)
_RUNTIME = re.compile(r"^\s*\[TensorRT-LLM\]\[(?P<lvl>[A-Z]+)\]\s?(?P<msg>.*)$")
_BANNER = re.compile(r"\[TensorRT-LLM\] TensorRT[- ]LLM version:\s*(?P<v>[0-9][0-9A-Za-z.+-]*)")

_SET = re.compile(r"^Set (?:PluginConfig\.)?(?P<name>\w+) to (?P<value>\S+?)\.?\s*$")
_INT = re.compile(r"^-?\d+$")
_CC = re.compile(r"^Compute capability: \((\d+),\s*(\d+)\)")
_GPU_INTS = {
    "sm_count": re.compile(r"^SM count: (\d+)"),
    "sm_clock_mhz": re.compile(r"^SM clock: (\d+) MHz"),
    "float16_tflops": re.compile(r"^float16 TFLOPS: (\d+)"),
    "total_memory_gib": re.compile(r"^Total Memory: (\d+) GiB"),
}
_SERIALIZING = re.compile(r"^Serializing engine to (?P<path>.+?)\.\.\.\s*$")
_RANK = re.compile(r"rank(\d+)\.engine$")
_SERIALIZED = re.compile(r"^Engine serialized\b")
_ALL_BUILT = re.compile(r"^Total time of building all engines: (\S+)")
_GENERATION = re.compile(r"^Engine generation completed in ([0-9.]+) seconds")
_PEAK = re.compile(
    r"\[MemUsageStats\] Peak memory usage of TRT CPU/GPU memory allocators:.*GPU (\d+) MiB"
)

# Fatal wherever they appear (logger lines included).
_FATAL_ANY = re.compile(
    r"Engine building failed|Failed to build engine for rank|AssertionError|Assertion failed"
)
# Fatal only in unstructured text (shell, libstdc++, MPI): never inside a logger message.
_FATAL_RAW = re.compile(
    r"terminate called|(?:^|[\s:])Killed(?:\s|$)|\bAborted\b|exited on signal \d+"
    r"|Segmentation fault|MPI_ABORT was invoked|the job has been aborted"
    r"|processes exited with non-zero status|Unhandled exception caught"
    r"|Windows fatal exception"
    r"|^(?:trtllm-build|[\w.-]+\.py): error: "
)
_TRACEBACK = re.compile(r"^Traceback \(most recent call last\):")
_IGNORED = re.compile(r"^Exception ignored in\b")
# A frame of the build loop: it prints one rank's exception and goes on with the next ranks,
# so the engines serialized after it do not make it harmless.
_BUILD_FRAME = re.compile(r'^\s*File ".*", line \d+, in (?:parallel_build|build_and_save)\s*$')
_OOM = re.compile(
    r"Error Code 2: OutOfMemory|skipping tactic.*insufficient memory"
    r"|Requested amount of GPU memory .*could not be allocated"
    r"|Device memory is insufficient to use tactic",
    re.IGNORECASE,
)


@dataclass
class _Started:
    path: str
    rank: int | None
    line: int


@dataclass
class _Traceback:
    line: int  # the exception line once seen, else the "Traceback" line
    text: str
    ignored: bool = False  # printed by Python for an exception it ignored
    in_build: bool = False  # raised inside the per-rank build loop


@dataclass
class _State:
    """What the scan has seen so far; turned into facts at the end. Every list is bounded."""

    values: dict[str, tuple[Any, int]] = field(default_factory=dict)  # key -> (value, line)
    started: list[_Started] = field(default_factory=list)  # the first MAX_STARTED
    started_count: int = 0
    serialized_count: int = 0  # an engine serialized is always the oldest one waiting
    last_serialized_line: int | None = None
    ranks: set[int] = field(default_factory=set)
    generation_seconds: float = 0.0
    generation_count: int = 0
    generation_line: int | None = None
    peak: tuple[int, int] | None = None
    fatal: dict[int, str] = field(default_factory=dict)  # at most MAX_FATAL_ITEMS
    first_fatal: int | None = None
    oom: list[tuple[int, str]] = field(default_factory=list)  # the first MAX_OOM_ITEMS
    oom_count: int = 0
    # closed tracebacks since the last progress line; fatal unless the build goes on
    tracebacks: list[_Traceback] = field(default_factory=list)
    open_traceback: _Traceback | None = None
    ignore_next_traceback: bool = False  # after "Exception ignored in": Python went on
    last_progress: int = 0  # last line showing the build went on (serializing, all built)
    absurd: list[dict[str, Any]] = field(default_factory=list)
    lines: int = 0

    def add_fatal(self, number: int, text: str) -> None:
        if self.first_fatal is None or number < self.first_fatal:
            self.first_fatal = number
        if number in self.fatal or len(self.fatal) < MAX_FATAL_ITEMS:
            self.fatal.setdefault(number, text[:MAX_TEXT])

    def progress(self, number: int) -> None:
        """The build went on at ``number``: the tracebacks closed before it were harmless."""
        self.last_progress = number
        self.tracebacks.clear()

    def close(self, traceback: _Traceback) -> None:
        """A traceback's exception line was read: one through the build loop is fatal at
        once; any other is, unless a progress line follows (kept, bounded: later ones could
        only be listed after the first MAX_FATAL_ITEMS)."""
        if traceback.ignored:
            return
        if traceback.in_build:
            self.add_fatal(traceback.line, traceback.text)
        elif len(self.tracebacks) < MAX_FATAL_ITEMS:
            self.tracebacks.append(traceback)

    def absurd_value(self, key: str, number: int, text: str) -> None:
        if len(self.absurd) < MAX_ABSURD:
            self.absurd.append({"key": key, "line": number, "text": text[:60]})

    def whole(self, key: str, number: int, text: str) -> int | None:
        """``text`` (digits) as an int; None, noted as absurd, past MAX_DIGITS."""
        if len(text) > MAX_DIGITS:
            self.absurd_value(key, number, text)
            return None
        return int(text)


def extract(path: Path) -> Facts:
    """Facts from the build log at ``path``; an unreadable file gives ``build_log.read_error``.
    One streaming pass over the mapped file (see the module text)."""
    try:
        fh = safe_files.open_file(path, "build-log")  # inside the repository, regular, capped
    except OSError as exc:
        return {PREFIX + "read_error": fact(exc.strerror or str(exc), path)}
    with fh:
        try:
            if os.fstat(fh.fileno()).st_size < FAST_PATH_BYTES:
                data = fh.read(FAST_PATH_BYTES)
                return parse(data.decode("utf-8", errors="replace"), str(path))
            return _stream(fh, str(path))
        except OSError as exc:  # e.g. an I/O error while read
            reason = getattr(exc, "strerror", None) or str(exc)
            return {PREFIX + "read_error": fact(reason, path)}


def parse(text: str, path: str) -> Facts:
    """Facts from the text of a build log; ``path`` is recorded in every location."""
    state = _State()
    lines = text.removeprefix("\ufeff").split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    for number, raw in enumerate(lines, start=1):
        _line(state, number, raw)
    state.lines = len(lines)
    return _facts(state, path)


def _line(state: _State, number: int, raw: str) -> None:
    """One physical line, as both readers hand it over."""
    if len(raw) > MAX_LINE_CHARS:
        raw = raw[:MAX_LINE_CHARS]
    if _VERBOSE.match(raw):  # as written: the prefilter sees the same bytes
        return
    text = _CAPTURE_PREFIX.sub("", _ANSI.sub("", raw), count=1)
    for segment in _segments(text):
        _scan(state, number, segment)


def _segments(text: str) -> list[str]:
    """One physical line split at carriage returns and at glued logger timestamps."""
    out: list[str] = []
    for part in text.split("\r"):
        cuts = [m.start() for m in _GLUED.finditer(part) if m.start() > 0]
        starts = [0, *cuts]
        ends = [*cuts, len(part)]
        out.extend(part[a:b] for a, b in zip(starts, ends, strict=True) if part[a:b].strip())
    return out


# --- the streaming reader ----------------------------------------------------------------


def _stream(fh: FileIO, path: str) -> Facts:
    """The facts of a large log: chunks of whole lines read into a ring of buffers,
    prefiltered on two threads (numpy releases the GIL), the lines left read in order by
    :func:`_line`. At most LOOK_AHEAD + 1 buffers: memory stays flat."""
    np = _numpy()
    state = _State()
    number = 0  # lines before the current chunk
    chunks = _chunks(fh, LOOK_AHEAD + 1)
    if np is None:
        for buf, n in chunks:
            number = _read_lines(state, buf, n, number, None)
    else:
        from concurrent.futures import Future, ThreadPoolExecutor  # large logs only

        with ThreadPoolExecutor(max_workers=2) as pool:
            ahead: deque[tuple[bytearray, int, Future[Any]]] = deque()
            for buf, n in chunks:
                ahead.append((buf, n, pool.submit(_prefilter, np, buf, n)))
                if len(ahead) >= LOOK_AHEAD:  # the ring holds one buffer more
                    buf0, n0, job = ahead.popleft()
                    number = _read_lines(state, buf0, n0, number, job.result())
            while ahead:
                buf0, n0, job = ahead.popleft()
                number = _read_lines(state, buf0, n0, number, job.result())
    state.lines = number
    return _facts(state, path)


def _numpy() -> Any:
    """numpy, or None without it (tritonclient brings numpy; without it every line is read).
    Its BLAS loads with one thread: OpenBLAS starts a thread per core at load, and they take
    about a tenth of a second of CPU from the prefilter (measured); the environment is put back
    once loaded (OpenBLAS reads it only then)."""
    blas = "OPENBLAS_NUM_THREADS"
    before = os.environ.get(blas)
    os.environ.setdefault(blas, "1")
    try:
        import numpy
    except ImportError:
        return None
    finally:
        if before is None:
            del os.environ[blas]
    return numpy


def _fill(fh: FileIO, buf: bytearray, at: int) -> int:
    """Read into ``buf[at:at + CHUNK_BYTES]`` until full or the end; the bytes read."""
    view = memoryview(buf)
    got = 0
    while got < CHUNK_BYTES:
        n = fh.readinto(view[at + got : at + CHUNK_BYTES])
        if not n:
            break
        got += n
    return got


def _chunks(fh: FileIO, ring: int) -> Iterator[tuple[bytearray, int]]:
    """(buffer, length): whole lines, about CHUNK_BYTES each, read into ``ring`` buffers in
    turn (a buffer is filled again only after the ones handed over since were read). A line
    longer than a chunk is cut: its first CHUNK_BYTES are handed over, the rest skipped."""
    buffers = [bytearray(2 * CHUNK_BYTES + 1) for _ in range(ring)]
    turn = 0
    tail = b""  # an unfinished line, carried to the start of the next buffer
    skipping = False  # inside the rest of an over-long line
    first = True
    while True:
        buf = buffers[turn]  # the next one only after a yield: the others may be in use
        carry = len(tail)
        buf[:carry] = tail
        got = _fill(fh, buf, carry)
        n = carry + got
        start = 0
        if first:
            first = False
            if buf[:3] == b"\xef\xbb\xbf":
                start = 3
        if skipping:
            cut = buf.find(b"\n", start, n)
            if cut < 0:
                if got == 0:
                    return
                tail = b""
                continue
            start, skipping = cut + 1, False
        if start:
            buf[: n - start] = buf[start:n]
            n -= start
        if n == 0:
            return
        if got == 0:  # the end: the last line may lack its newline
            yield buf, n
            return
        last = buf.rfind(b"\n", 0, n)
        if last < 0:  # one line longer than a chunk
            buf[n] = 10
            yield buf, n + 1
            turn = (turn + 1) % ring
            tail, skipping = b"", True
            continue
        tail = bytes(buf[last + 1 : n])
        yield buf, last + 1
        turn = (turn + 1) % ring


def _prefilter(np: Any, buf: bytearray, n: int) -> tuple[int, Any, Any, Any]:
    """The lines of ``buf[:n]`` that are not verbose TensorRT lines: (line count, their
    starts, ends and indexes). Vectorised: the newline positions, then per line bytes 24 to
    31 as one 64-bit word, and bytes 0 to 23 ASCII (:data:`_VERBOSE`)."""
    data = np.frombuffer(buf, np.uint8, n)
    ends = np.flatnonzero(data == 10).astype(np.int32)  # a chunk is far below 2 GiB
    count = len(ends)
    if data[-1] != 10:
        ends = np.append(ends, np.int32(n))  # the last line has no newline
        count += 1
    starts = np.empty(len(ends), np.int32)
    starts[0] = 0
    starts[1:] = ends[:-1] + 1
    length = ends - starts
    verbose = length >= 32
    if n >= 32:
        at = np.minimum(starts, n - 32)  # a line starting later is too short anyway
        windows = np.ndarray((n - 7,), "<u8", buf, 0, (1,))  # every 8-byte window
        verbose &= windows[at + 24] == np.uint64(_TAIL)
        if data.max() >= 0x80:
            high = np.uint64(0x8080808080808080)
            for off in (0, 8, 16):  # bytes 0 to 23 must be ASCII
                verbose &= (windows[at + off] & high) == 0
    else:
        verbose[:] = False
    verbose |= length == 0  # an empty line says nothing (and a flood of them stays cheap)
    keep = np.flatnonzero(~verbose).astype(np.int32)
    return count, starts[keep], ends[keep], keep


def _read_lines(state: _State, buf: bytearray, n: int, before: int, kept: Any) -> int:
    """Read the kept lines of ``buf[:n]`` (every line when ``kept`` is None); return the line
    count after the chunk."""
    cap = 4 * MAX_LINE_CHARS  # bytes: at most 4 per character
    if kept is None:
        pos = 0
        while pos < n:
            cut = buf.find(b"\n", pos, n)
            end = n if cut < 0 else cut
            before += 1
            _line(state, before, buf[pos : min(end, pos + cap)].decode("utf-8", "replace"))
            pos = end + 1
        return before
    count, starts, ends, index = kept
    for at in range(0, len(index), 1 << 16):  # in slices: Python ints for a few lines at once
        part = slice(at, at + (1 << 16))
        rows = zip(starts[part].tolist(), ends[part].tolist(), index[part].tolist(), strict=True)
        for s, e, i in rows:
            _line(state, before + i + 1, buf[s : min(e, s + cap)].decode("utf-8", "replace"))
    return int(before + count)


# --- the line scanner --------------------------------------------------------------------


def _scan(state: _State, number: int, segment: str) -> None:
    banner = _BANNER.search(segment)
    if banner:
        state.values.setdefault("trtllm_version", (banner.group("v"), number))
        return
    logger = _LOGGER.match(segment)
    if logger:
        msg = logger.group("msg").rstrip()
        if logger.group("src") == "TRT-LLM":
            _scan_trtllm(state, number, msg)
        else:
            _scan_trt(state, number, msg)
    elif not _RUNTIME.match(segment):
        if state.open_traceback is not None and segment[:1].isspace():
            if _BUILD_FRAME.match(segment):
                state.open_traceback.in_build = True
            return  # a traceback frame: its source lines quote messages, they do not fail
        if not _scan_raw(state, number, segment):
            return  # part of an exception Python ignored
    if _FATAL_ANY.search(segment):
        state.add_fatal(number, segment.strip())
    if _OOM.search(segment):
        state.oom_count += 1
        if len(state.oom) < MAX_OOM_ITEMS:
            state.oom.append((number, segment.strip()[:MAX_TEXT]))


def _scan_trtllm(state: _State, number: int, msg: str) -> None:
    setter = _SET.match(msg)
    if setter:
        name = setter.group("name")
        key = "dtype" if name == "dtype" else "plugins." + name
        if key in state.values or len(state.values) < MAX_KEYS:
            state.values[key] = (_typed(setter.group("value")), number)
        return
    cc = _CC.match(msg)
    if cc:
        major, minor = (state.whole("gpu.compute_capability", number, g) for g in cc.groups())
        if major is not None and minor is not None:
            state.values["gpu.compute_capability"] = (f"{major}.{minor}", number)
        return
    for key, pattern in _GPU_INTS.items():
        hw = pattern.match(msg)
        if hw:
            value = state.whole("gpu." + key, number, hw.group(1))
            if value is not None:
                state.values["gpu." + key] = (value, number)
            return
    serializing = _SERIALIZING.match(msg)
    if serializing:
        engine = serializing.group("path").strip()
        found = _RANK.search(engine)
        engine = engine[:MAX_TEXT]
        rank = state.whole("rank", number, found.group(1)) if found else None
        state.started_count += 1
        if len(state.started) < MAX_STARTED:
            state.started.append(_Started(engine, rank, number))
        if rank is not None and len(state.ranks) < MAX_RANKS:
            state.ranks.add(rank)
        state.progress(number)
        return
    if _SERIALIZED.match(msg):
        if state.serialized_count < state.started_count:
            state.serialized_count += 1
            state.last_serialized_line = number
        state.progress(number)
        return
    built = _ALL_BUILT.match(msg)
    if built:
        state.values["total_build_time"] = (built.group(1)[:MAX_TEXT], number)
        state.progress(number)


def _scan_trt(state: _State, number: int, msg: str) -> None:
    generation = _GENERATION.match(msg)
    if generation:
        try:
            seconds = float(generation.group(1))
        except ValueError:  # a lone "." or "1.2.3"
            seconds = math.nan
        if not math.isfinite(seconds) or len(generation.group(1)) > MAX_DIGITS:
            state.absurd_value("engine_generation_seconds", number, generation.group(1))
            return
        state.generation_seconds += seconds
        state.generation_count += 1
        if state.generation_line is None:
            state.generation_line = number
        return
    peak = _PEAK.search(msg)
    if peak:
        mib = state.whole("peak_gpu_memory_mib", number, peak.group(1))
        if mib is not None and (state.peak is None or mib > state.peak[0]):
            state.peak = (mib, number)


def _scan_raw(state: _State, number: int, segment: str) -> bool:
    """Scan unstructured text; false when the segment belongs to an ignored exception."""
    text = segment.strip()
    if _IGNORED.match(text):
        state.ignore_next_traceback = True
        return False
    if _TRACEBACK.match(text):
        # Until its exception line shows up, the traceback stands for itself.
        if state.open_traceback is not None:  # a new one: the previous one never closed
            state.close(state.open_traceback)
        opened = _Traceback(number, text, ignored=state.ignore_next_traceback)
        state.ignore_next_traceback = False
        state.open_traceback = opened
        return False
    closed = state.open_traceback
    if closed is not None and not segment[:1].isspace():
        closed.line, closed.text = number, text[:MAX_TEXT]
        state.open_traceback = None
        state.close(closed)
        if closed.ignored:
            return False
    if _FATAL_RAW.search(segment):
        state.add_fatal(number, text)
    return True


def _typed(raw: str) -> Any:
    if raw in ("True", "False"):
        return raw == "True"
    if raw == "None":
        return None
    if _INT.match(raw) and len(raw) <= MAX_DIGITS:
        return int(raw)
    return raw[:MAX_TEXT]


def _facts(state: _State, path: str) -> Facts:
    facts: Facts = {
        PREFIX + key: fact(value, path, line) for key, (value, line) in state.values.items()
    }
    if state.peak is not None:
        facts[PREFIX + "peak_gpu_memory_mib"] = fact(state.peak[0], path, state.peak[1])
    if state.generation_count:
        total = round(state.generation_seconds, 6)
        facts[PREFIX + "engine_generation_seconds"] = fact(total, path, state.generation_line)

    pending = list(state.tracebacks)
    if state.open_traceback is not None and not state.open_traceback.ignored:
        pending.append(state.open_traceback)  # cut short: it stands for itself
    for traceback in pending:
        if traceback.in_build or traceback.line > state.last_progress:
            state.add_fatal(traceback.line, traceback.text)
    fatal: list[dict[str, Any]] = [
        {"line": line, "text": text} for line, text in sorted(state.fatal.items())
    ]
    facts[PREFIX + "fatal_errors"] = _listed(fatal, path)
    oom: list[dict[str, Any]] = [{"line": line, "text": text} for line, text in state.oom]
    facts[PREFIX + "oom_warnings"] = _listed(oom, path)
    facts[PREFIX + "oom_warning_count"] = fact(state.oom_count, path)

    done = state.started[: state.serialized_count]
    started: list[dict[str, Any]] = [
        {"path": s.path, "rank": s.rank, "line": s.line, "serialized": i < state.serialized_count}
        for i, s in enumerate(state.started)
    ]
    facts[PREFIX + "started_engines"] = _listed(started, path)
    facts[PREFIX + "serialized_engines"] = fact(
        [s.path for s in done], path, done[0].line if done else None
    )
    facts[PREFIX + "serialized_ranks"] = fact(
        sorted({s.rank for s in done if s.rank is not None}), path
    )
    ranks = state.ranks
    # Bounded: a log naming rank 300000000 lists at most MAX_LISTED_RANKS absent ranks.
    missing = (
        list(islice((r for r in range(max(ranks) + 1) if r not in ranks), MAX_LISTED_RANKS))
        if ranks
        else []
    )
    if ranks:
        facts[PREFIX + "missing_ranks"] = fact(missing, path)

    if fatal:
        facts[PREFIX + "build_succeeded"] = fact(False, path, state.first_fatal)
    elif (
        state.started_count
        and state.serialized_count == state.started_count
        and not missing
        # an engine TensorRT finished building but that was never written out: cut short
        and state.generation_count <= state.serialized_count
    ):
        facts[PREFIX + "build_succeeded"] = fact(True, path, state.last_serialized_line)
    else:
        facts[PREFIX + "build_succeeded"] = fact(None, path)
    if not any(key.startswith(PREFIX + "plugins.") for key in facts):
        facts[PREFIX + "plugins"] = fact({}, path)  # the key is always there for readers
    if state.absurd:
        facts[PREFIX + "absurd_values"] = _listed(state.absurd, path)
    facts[PREFIX + "line_count"] = fact(state.lines, path)
    return facts


def _listed(items: list[dict[str, Any]], path: str) -> Fact:
    """A list fact located at its first item's line."""
    return fact(items, path, items[0]["line"] if items else None)
