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
- ``read_error``: the reason the file could not be read (then no other fact), also given for
  a file with more than ``MAX_SCANNED_LINES`` lines that are neither empty nor verbose: a
  build log has thousands, and each costs 1 to 3 us to read.
- ``absurd_values``: ``[{key, line, text}]``, numbers the log writes that cannot be meant
  (dozens of digits, a lone ``.``): the fact they would give is left out.

Lines captured through ``docker logs -t``/``kubectl logs --timestamps`` (an RFC 3339 timestamp)
or ``mpirun --tag-output`` (``[1,0]<stderr>:``) are read without that prefix.

Verbose lines (``[ts] [TRT] [V] ...`` from TensorRT, ``[ts] [TRT-LLM] [V] ...`` from
TensorRT-LLM; the bulk of ``--log_level verbose``) trace the builder and quote layer and tensor
names; errors and warnings come at ``[E]``, ``[F]`` and ``[W]``. They are skipped whole
(``_VERBOSE``), behind a capture prefix too.

Reading a large log is one streaming pass (:func:`_stream`): chunks at fixed offsets, each read
and prefiltered by a worker thread (numpy: the newlines, then the verbose lines by the bytes at
their offsets 24 to 35); this thread joins the lines that cross chunks and reads the lines left
in order, by the same line scanner :func:`parse` uses, so the facts are the same. A run of
lines without a word that matters (:func:`_may_matter`) is passed over in bulk. Time grows
linearly and memory stays flat: every list is bounded (``MAX_*``), a line is read up to
``MAX_LINE_CHARS``, at most ``workers + 1`` chunks are in flight.
"""

from __future__ import annotations

import math
import os
import re
from collections import deque
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
# Lines read one by one, at 1-3 us each, that are not TensorRT's or TensorRT-LLM's verbose
# lines (skipped in bulk): a real build log has thousands; past this the log is not read on.
MAX_SCANNED_LINES = 1_000_000  # 1.7 to 3.4 s of reading here, at the slowest lines
BLOCK_LINES = 1024  # lines tested at once for words that matter (:func:`_may_matter`)
CHUNK_BYTES = 2 << 20  # read and filtered at once (smaller: more time per byte, measured)
FAST_PATH_BYTES = 4 << 20  # a smaller log is read line by line (no numpy import)

_TS = r"\[\d\d/\d\d/\d{4}-\d\d:\d\d:\d\d\]"
# A logger line glued to the text before it (0.8.0 banner, interleaved workers) starts anew here.
_GLUED = re.compile(rf"{_TS}\s*\[TRT(?:-LLM)?\]")
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
# A verbose line of TensorRT's or TensorRT-LLM's logger, skipped whole: its first 24 bytes
# ASCII, then `RT] [V] ` (`[08/27/2025-09:13:48] [TRT] [V] `) or `RT-LLM] [V] `
# (`[08/27/2025-09:13:48] [TRT-LLM] [V] `). The prefilter compares the same bytes, so that both
# readers skip the same lines.
_VERBOSE = re.compile(r"[\x00-\x09\x0b-\x7f]{24}RT(?:-LLM)?\] \[V\] ")
_TRT_TAIL = b"RT] [V] "  # bytes 24 to 31 of TensorRT's verbose line
_LLM_TAIL = b"RT-LLM] [V] "  # bytes 24 to 35 of TensorRT-LLM's
_TRT_WORD = int.from_bytes(_TRT_TAIL, "little")
_LLM_WORD = int.from_bytes(_LLM_TAIL[:8], "little")
_LLM_HALF = int.from_bytes(_LLM_TAIL[8:], "little")
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

# Cheap tests run before a regex that would otherwise be tried at every position of a line:
# each holds for every text its regex matches (tests/sources/test_trtllm_log_guards.py).
_TRTLLM_MESSAGES = (  # what the `_scan_trtllm` patterns start with
    "Set ",
    "Compute capability: ",
    "SM count: ",
    "SM clock: ",
    "float16 TFLOPS: ",
    "Total Memory: ",
    "Serializing engine to ",
    "Engine serialized",
    "Total time of building all engines: ",
)
_TRT_MESSAGES = ("Engine generation",)  # `_GENERATION` (and `_PEAK` holds "[MemUsageStats]")
_FATAL_RAW_WORDS = (
    "terminate called",
    "Killed",
    "Aborted",
    "exited ",
    "Segmentation fault",
    "MPI_ABORT",
    "aborted",
    "xception",
    ": error: ",
)


def _may_fatal(text: str) -> bool:
    """Needed for `_FATAL_ANY`: "failed", "Failed" or "Assertion"."""
    return "ssertion" in text or "ailed" in text


def _may_oom(text: str) -> bool:
    """Needed for `_OOM`: each of its forms says "memory", in any case."""
    return "memory" in text.lower()


def _may_fatal_raw(text: str) -> bool:
    """Needed for `_FATAL_RAW`: one of its words."""
    return any(word in text for word in _FATAL_RAW_WORDS)


def _may_capture(text: str) -> bool:
    """Needed for a `_CAPTURE_PREFIX` to remove: a leading digit, or `[` and a later `]<`."""
    return text[:1].isdigit() or (text[:1] == "[" and "]<" in text)


class _TooLong(Exception):
    """More lines to read than a build log has (:data:`MAX_SCANNED_LINES`)."""

    def __init__(self, line: int) -> None:
        super().__init__(
            f"more than {MAX_SCANNED_LINES} lines that are not verbose (at line {line}): "
            "not read further, a trtllm-build log holds far fewer"
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
    scanned: int = 0  # lines read that are not verbose (MAX_SCANNED_LINES)

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
    A small log is read whole, a large one in one streaming pass (see the module text)."""
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
        except _TooLong as exc:
            return {PREFIX + "read_error": fact(str(exc), path)}
        except OSError as exc:  # e.g. an I/O error while read
            reason = getattr(exc, "strerror", None) or str(exc)
            return {PREFIX + "read_error": fact(reason, path)}


def parse(text: str, path: str) -> Facts:
    """Facts from the text of a build log; ``path`` is recorded in every location."""
    state = _State()
    lines = text.removeprefix("\ufeff").split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    try:
        for number, raw in enumerate(lines, start=1):
            _line(state, number, raw)
    except _TooLong as exc:
        return {PREFIX + "read_error": fact(str(exc), path)}
    state.lines = len(lines)
    return _facts(state, path)


def _line(state: _State, number: int, raw: str) -> None:
    """One physical line, as both readers hand it over."""
    if len(raw) > MAX_LINE_CHARS:
        raw = raw[:MAX_LINE_CHARS]
    if not raw or _VERBOSE.match(raw):  # as written: the prefilter sees the same bytes
        return
    text = _ANSI.sub("", raw) if "\x1b" in raw else raw
    if _may_capture(text):
        text = _CAPTURE_PREFIX.sub("", text, count=1)
        if _VERBOSE.match(text):  # a verbose line as docker logs -t or mpirun tagged it
            return
    state.scanned += 1
    if state.scanned > MAX_SCANNED_LINES:
        raise _TooLong(number)
    for segment in _segments(text):
        _scan(state, number, segment)


def _segments(text: str) -> list[str]:
    """One physical line split at carriage returns and at glued logger timestamps."""
    if "\r" not in text and _GLUED.search(text, 1) is None:  # the common line: whole
        return [text] if text.strip() else []
    out: list[str] = []
    for part in text.split("\r"):
        cuts = [m.start() for m in _GLUED.finditer(part) if m.start() > 0]
        starts = [0, *cuts]
        ends = [*cuts, len(part)]
        out.extend(part[a:b] for a, b in zip(starts, ends, strict=True) if part[a:b].strip())
    return out


# --- the streaming reader ----------------------------------------------------------------


def _stream(fh: FileIO, path: str) -> Facts:
    """The facts of a large log, read in chunks at fixed offsets. Each chunk is read and
    prefiltered by a worker thread (``os.preadv`` and numpy release the GIL, and a chunk is
    still in the cache when it is filtered); this thread reads the lines left, in order, and
    joins the lines that cross a chunk's edge. At most ``workers + 1`` chunks are in flight:
    memory stays flat. Without numpy, or with one core, one thread does it all."""
    np = _numpy()
    lines = _Joiner(_State())
    workers = _workers()
    if np is None or workers < 2 or not hasattr(os, "preadv"):  # workers read at offsets
        offset = 0
        buf = bytearray(CHUNK_BYTES)
        while True:  # one thread: read, filter, scan
            n, cut = _read_and_cut(np, fh, buf, offset)
            lines.feed(buf, n, offset, cut)
            if n < CHUNK_BYTES:
                break
            offset += n
        return lines.finish(path)

    ahead = workers + 1  # one chunk waiting per worker at most: more did not help (measured)
    free = [bytearray(CHUNK_BYTES) for _ in range(ahead)]
    jobs: deque[_Job] = deque()
    offset = 0
    done = False
    with _Pool(workers) as pool:
        while True:
            while not done and free:  # keep `ahead` chunks in flight
                jobs.append(pool.submit(np, fh, free.pop(), offset))
                offset += CHUNK_BYTES
            if not jobs:
                break
            job = jobs.popleft()
            n, cut = job.result()
            if not done:  # chunks read past the end (or past a shrink) are dropped
                lines.feed(job.buf, n, job.offset, cut)
                done = n < CHUNK_BYTES
            free.append(job.buf)
    return lines.finish(path)


class _Job:
    """One chunk to read and cut on a worker; :meth:`result` waits for it."""

    def __init__(self, np: Any, fh: FileIO, buf: bytearray, offset: int, lock: Any) -> None:
        self.np, self.fh, self.buf, self.offset = np, fh, buf, offset
        self._done = lock  # held until the job has run
        self._done.acquire()
        self._value: tuple[int, _Cut] | None = None
        self._error: BaseException | None = None

    def run(self) -> None:
        try:
            self._value = _read_and_cut(self.np, self.fh, self.buf, self.offset)
        except BaseException as exc:  # handed to the reading thread
            self._error = exc
        finally:
            self._done.release()

    def result(self) -> tuple[int, _Cut]:
        with self._done:
            if self._error is not None:
                raise self._error
            assert self._value is not None
            return self._value


class _Pool:
    """Worker threads running :class:`_Job` s in the order given (a thread pool without the
    start-up of ``concurrent.futures``, which imports ``logging``)."""

    def __init__(self, workers: int) -> None:
        import queue
        import threading

        self._lock = threading.Lock
        self._queue: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._threads = [
            threading.Thread(target=self._work, daemon=True, name=f"build-log-{i}")
            for i in range(workers)
        ]

    def __enter__(self) -> _Pool:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        for _ in self._threads:
            self._queue.put(None)
        for thread in self._threads:
            thread.join()

    def submit(self, np: Any, fh: FileIO, buf: bytearray, offset: int) -> _Job:
        """Read and cut the chunk at ``offset`` into ``buf`` on a worker."""
        job = _Job(np, fh, buf, offset, self._lock())
        self._queue.put(job)
        return job

    def _work(self) -> None:
        while (job := self._queue.get()) is not None:
            job.run()


def _workers() -> int:
    """Threads that read and filter: one per usable core, at most 2. Each holds a chunk's
    offsets while it works, up to 50 MB on a chunk of empty lines: with 4, such a log took
    over 200 MB (measured); with 2, 100 MB."""
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cores = os.cpu_count() or 1
    return max(1, min(2, cores))


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


def _read_and_cut(np: Any, fh: FileIO, buf: bytearray, offset: int) -> tuple[int, _Cut]:
    """The chunk at ``offset`` read into ``buf`` (fewer bytes only at the end), and its lines
    found. Workers read at their own offsets (``os.preadv``; one thread alone may seek)."""
    view = memoryview(buf)
    got = 0
    while got < CHUNK_BYTES:
        if hasattr(os, "preadv"):
            n = os.preadv(fh.fileno(), [view[got:CHUNK_BYTES]], offset + got)
        else:
            fh.seek(offset + got)
            n = fh.readinto(view[got:CHUNK_BYTES]) or 0
        if not n:
            break
        got += n
    return got, _cut(np, buf, got)


# A chunk's lines: (newlines in it, the first and the last newline's offsets, then the starts,
# ends and indexes of the whole lines between them to read: the line after the chunk's i-th
# newline, empty and verbose lines left out). The bits before the first newline and after the
# last one belong to lines that cross the chunk's edges; the joiner reads those.
_Cut = tuple[int, int, int, Any, Any, Any]


def _cut(np: Any, buf: bytearray, n: int) -> _Cut:
    """The lines of ``buf[:n]`` (see :data:`_Cut`); vectorised with numpy, else a loop. Offsets
    are 32-bit (a chunk is far below 2 GiB) and only lines long enough to be verbose are
    looked at closely: a chunk of a million one-byte lines stays within a few dozen MB."""
    if np is None:
        return _cut_loop(buf, n)
    data = np.frombuffer(buf, np.uint8, n)
    newlines = np.flatnonzero(data == 10).astype(np.int32)  # a chunk is far below 2 GiB
    count = len(newlines)
    if count < 2:
        first = int(newlines[0]) if count else -1
        return count, first, first, (), (), ()
    starts = newlines[:-1] + 1
    ends = newlines[1:]
    length = ends - starts
    keep = length > 0  # an empty line says nothing (and a flood of them stays cheap)
    long = np.flatnonzero(length >= 32)  # such a line starts at most at n - 33
    del length
    if len(long):
        at = starts[long]
        windows = np.ndarray((n - 7,), "<u8", buf, 0, (1,))  # every 8-byte window
        tail = windows[at + 24]
        verbose = tail == np.uint64(_TRT_WORD)
        llm = np.flatnonzero(tail == np.uint64(_LLM_WORD))  # TensorRT-LLM's, if bytes 32-35 say
        if len(llm):
            halves = np.ndarray((n - 3,), "<u4", buf, 0, (1,))
            llm = llm[ends[long[llm]] - at[llm] >= 36]
            verbose[llm] = halves[at[llm] + 32] == np.uint32(_LLM_HALF)
        if data.max() >= 0x80:
            high = np.uint64(0x8080808080808080)
            for off in (0, 8, 16):  # bytes 0 to 23 must be ASCII
                verbose &= (windows[at + off] & high) == 0
        keep[long[verbose]] = False
    first, last = int(newlines[0]), int(newlines[-1])
    if keep.all():  # no copies (a chunk of short lines)
        return count, first, last, starts, ends, np.arange(count - 1, dtype=np.int32)
    index = np.flatnonzero(keep).astype(np.int32)
    return count, first, last, starts[index], ends[index], index


def _cut_loop(buf: bytearray, n: int) -> _Cut:
    """:func:`_cut` without numpy: the same lines, found one at a time."""
    first = buf.find(b"\n", 0, n)
    if first < 0:
        return 0, -1, -1, (), (), ()
    starts: list[int] = []
    ends: list[int] = []
    index: list[int] = []
    count, start = 1, first + 1
    while (end := buf.find(b"\n", start, n)) >= 0:
        if end > start and not _verbose_bytes(buf[start : min(end, start + 36)]):
            starts.append(start)
            ends.append(end)
            index.append(count - 1)
        count += 1
        start = end + 1
    return count, first, start - 1, starts, ends, index


def _verbose_bytes(head: bytearray) -> bool:
    """Whether a line starting with ``head`` (its first 36 bytes or fewer) is verbose."""
    return head[:24].isascii() and (head[24:32] == _TRT_TAIL or head[24:36] == _LLM_TAIL)


class _Joiner:
    """Reads the chunks' lines in order, joining a line that crosses chunks (up to the bytes
    :func:`_line` reads of it), and numbers them."""

    def __init__(self, state: _State) -> None:
        self.state = state
        self.before = 0  # lines ended before the current chunk
        self.pending = bytearray()  # the start of the line not ended yet (capped)
        self.open = False  # a line has started and not ended

    def _add(self, buf: bytearray, start: int, end: int) -> None:
        room = 4 * MAX_LINE_CHARS - len(self.pending)  # bytes: at most 4 per character
        if end > start:
            self.open = True
            if room > 0:
                self.pending += buf[start : min(end, start + room)]

    def _emit(self, number: int) -> None:
        _line(self.state, number, self.pending.decode("utf-8", "replace"))
        self.pending.clear()
        self.open = False

    def feed(self, buf: bytearray, n: int, offset: int, cut: _Cut) -> None:
        count, first, last, starts, ends, index = cut
        start = 3 if offset == 0 and buf[:3] == b"\xef\xbb\xbf" else 0  # the BOM
        if not count:
            self._add(buf, start, n)
            return
        self._add(buf, start, first)
        self._emit(self.before + 1)
        cap = 4 * MAX_LINE_CHARS
        before = self.before + 2
        state = self.state
        for at in range(0, len(index), BLOCK_LINES):
            block = slice(at, at + BLOCK_LINES)
            s_block, e_block, i_block = (
                _ints(starts[block]),
                _ints(ends[block]),
                _ints(index[block]),
            )
            if (
                len(i_block) == BLOCK_LINES  # else reading them costs less than the test
                and state.open_traceback is None
                and state.scanned + BLOCK_LINES <= MAX_SCANNED_LINES  # else stop where parse does
                and not _may_matter(buf[s_block[0] : e_block[-1]])
            ):
                state.scanned += BLOCK_LINES  # a flood of lines that say nothing counts too
                continue
            for s, e, i in zip(s_block, e_block, i_block, strict=True):
                _line(state, before + i, buf[s : min(e, s + cap)].decode("utf-8", "replace"))
        self.before += count
        self._add(buf, last + 1, n)

    def finish(self, path: str) -> Facts:
        if self.open:  # the last line has no newline
            self._emit(self.before + 1)
            self.before += 1
        self.state.lines = self.before
        return _facts(self.state, path)


def _ints(values: Any) -> list[int]:
    return values if isinstance(values, list) else list(values.tolist())


# Lower-case words one of which every line that can change a fact holds, while no traceback is
# open (see :func:`_scan`): the loggers' tags and banner, a traceback, an exception Python
# ignored, the fatal and out-of-memory words, and an escape sequence, which may hide one.
_MATTER = (
    b"trt",
    b"tensorrt",
    b"traceback",
    b"exception",
    b"ssertion",
    b"ailed",
    b"memory",
    b"terminate called",
    b"killed",
    b"abort",
    b"exited ",
    b"segmentation fault",
    b": error: ",
    b"\x1b",
    b"] [v] ",  # a verbose line behind a capture prefix is not counted (MAX_SCANNED_LINES)
)


def _may_matter(text: bytearray) -> bool:
    """Whether some line in ``text`` may change a fact when no traceback is open."""
    low = text.lower()
    return any(word in low for word in _MATTER)


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
    if _may_fatal(segment) and _FATAL_ANY.search(segment):
        state.add_fatal(number, segment.strip())
    if _may_oom(segment) and _OOM.search(segment):
        state.oom_count += 1
        if len(state.oom) < MAX_OOM_ITEMS:
            state.oom.append((number, segment.strip()[:MAX_TEXT]))


def _scan_trtllm(state: _State, number: int, msg: str) -> None:
    if not msg.startswith(_TRTLLM_MESSAGES):
        return
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
    if not msg.startswith(_TRT_MESSAGES) and "[MemUsageStats]" not in msg:
        return
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
    if _may_fatal_raw(segment) and _FATAL_RAW.search(segment):
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
