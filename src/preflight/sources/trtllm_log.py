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
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Any

from preflight.facts import fact
from preflight.model import Fact, Facts

NAMESPACES = ("build_log",)
MAX_LISTED_RANKS = 1024  # absent ranks listed at most (a log may name any rank number)

PREFIX = "build_log."
MAX_OOM_ITEMS = 50

_TS = r"\[\d\d/\d\d/\d{4}-\d\d:\d\d:\d\d\]"
# A logger line glued to the text before it (0.8.0 banner, interleaved workers) starts anew here.
_GLUED = re.compile(rf"{_TS}\s*\[TRT(?:-LLM)?\]")
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
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
    serialized: bool = False


@dataclass
class _Traceback:
    line: int  # the exception line once seen, else the "Traceback" line
    text: str
    ignored: bool = False  # printed by Python for an exception it ignored
    in_build: bool = False  # raised inside the per-rank build loop


@dataclass
class _State:
    """What the scan has seen so far; turned into facts at the end."""

    values: dict[str, tuple[Any, int]] = field(default_factory=dict)  # key -> (value, line)
    started: list[_Started] = field(default_factory=list)
    last_serialized_line: int | None = None
    generation: list[tuple[float, int]] = field(default_factory=list)
    peak: tuple[int, int] | None = None
    fatal: dict[int, str] = field(default_factory=dict)
    oom: list[tuple[int, str]] = field(default_factory=list)
    tracebacks: list[_Traceback] = field(default_factory=list)
    open_traceback: _Traceback | None = None
    ignore_next_traceback: bool = False  # after "Exception ignored in": Python went on
    last_progress: int = 0  # last line showing the build went on (serializing, all built)
    pending: int = 0  # index of the oldest started engine that may still be unserialized


def extract(path: Path) -> Facts:
    """Facts from the build log at ``path``; an unreadable file gives ``build_log.read_error``."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        return {PREFIX + "read_error": fact(exc.strerror or str(exc), path)}
    return parse(data.decode("utf-8", errors="replace"), str(path))


def parse(text: str, path: str) -> Facts:
    """Facts from the text of a build log; ``path`` is recorded in every location."""
    state = _State()
    lines = text.removeprefix("\ufeff").split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    for number, raw in enumerate(lines, start=1):
        for segment in _segments(raw):
            _scan(state, number, segment)
    return _facts(state, path, len(lines))


def _segments(raw: str) -> list[str]:
    """One physical line split at carriage returns and at glued logger timestamps."""
    out: list[str] = []
    for part in _CAPTURE_PREFIX.sub("", _ANSI.sub("", raw), count=1).split("\r"):
        cuts = [m.start() for m in _GLUED.finditer(part) if m.start() > 0]
        starts = [0, *cuts]
        ends = [*cuts, len(part)]
        out.extend(part[a:b] for a, b in zip(starts, ends, strict=True) if part[a:b].strip())
    return out


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
        state.fatal.setdefault(number, segment.strip())
    if _OOM.search(segment):
        state.oom.append((number, segment.strip()))


def _scan_trtllm(state: _State, number: int, msg: str) -> None:
    setter = _SET.match(msg)
    if setter:
        name = setter.group("name")
        key = "dtype" if name == "dtype" else "plugins." + name
        state.values[key] = (_typed(setter.group("value")), number)
        return
    cc = _CC.match(msg)
    if cc:
        state.values["gpu.compute_capability"] = (f"{cc.group(1)}.{cc.group(2)}", number)
        return
    for key, pattern in _GPU_INTS.items():
        hw = pattern.match(msg)
        if hw:
            state.values["gpu." + key] = (int(hw.group(1)), number)
            return
    serializing = _SERIALIZING.match(msg)
    if serializing:
        engine = serializing.group("path").strip()
        rank = _RANK.search(engine)
        state.started.append(_Started(engine, int(rank.group(1)) if rank else None, number))
        state.last_progress = number
        return
    if _SERIALIZED.match(msg):
        while state.pending < len(state.started) and state.started[state.pending].serialized:
            state.pending += 1  # the oldest engine still waiting, without rescanning the list
        if state.pending < len(state.started):
            state.started[state.pending].serialized = True
            state.last_serialized_line = number
        state.last_progress = number
        return
    built = _ALL_BUILT.match(msg)
    if built:
        state.values["total_build_time"] = (built.group(1), number)
        state.last_progress = number


def _scan_trt(state: _State, number: int, msg: str) -> None:
    generation = _GENERATION.match(msg)
    if generation:
        state.generation.append((float(generation.group(1)), number))
        return
    peak = _PEAK.search(msg)
    if peak:
        mib = int(peak.group(1))
        if state.peak is None or mib > state.peak[0]:
            state.peak = (mib, number)


def _scan_raw(state: _State, number: int, segment: str) -> bool:
    """Scan unstructured text; false when the segment belongs to an ignored exception."""
    text = segment.strip()
    if _IGNORED.match(text):
        state.ignore_next_traceback = True
        return False
    if _TRACEBACK.match(text):
        # Until its exception line shows up, the traceback stands for itself.
        opened = _Traceback(number, text, ignored=state.ignore_next_traceback)
        state.ignore_next_traceback = False
        state.tracebacks.append(opened)
        state.open_traceback = opened
        return False
    closed = state.open_traceback
    if closed is not None and not segment[:1].isspace():
        closed.line, closed.text = number, text
        state.open_traceback = None
        if closed.ignored:
            return False
    if _FATAL_RAW.search(segment):
        state.fatal.setdefault(number, text)
    return True


def _typed(raw: str) -> Any:
    if raw in ("True", "False"):
        return raw == "True"
    if raw == "None":
        return None
    if _INT.match(raw):
        return int(raw)
    return raw


def _facts(state: _State, path: str, line_count: int) -> Facts:
    facts: Facts = {
        PREFIX + key: fact(value, path, line) for key, (value, line) in state.values.items()
    }
    if state.peak is not None:
        facts[PREFIX + "peak_gpu_memory_mib"] = fact(state.peak[0], path, state.peak[1])
    if state.generation:
        total = round(sum(seconds for seconds, _ in state.generation), 6)
        facts[PREFIX + "engine_generation_seconds"] = fact(total, path, state.generation[0][1])

    for traceback in state.tracebacks:
        if traceback.ignored:
            continue
        if traceback.in_build or traceback.line > state.last_progress:
            state.fatal.setdefault(traceback.line, traceback.text)
    fatal: list[dict[str, Any]] = [
        {"line": line, "text": text} for line, text in sorted(state.fatal.items())
    ]
    facts[PREFIX + "fatal_errors"] = _listed(fatal, path)
    oom: list[dict[str, Any]] = [
        {"line": line, "text": text} for line, text in state.oom[:MAX_OOM_ITEMS]
    ]
    facts[PREFIX + "oom_warnings"] = _listed(oom, path)
    facts[PREFIX + "oom_warning_count"] = fact(len(state.oom), path)

    started: list[dict[str, Any]] = [
        {"path": s.path, "rank": s.rank, "line": s.line, "serialized": s.serialized}
        for s in state.started
    ]
    done = [s for s in state.started if s.serialized]
    facts[PREFIX + "started_engines"] = _listed(started, path)
    facts[PREFIX + "serialized_engines"] = fact(
        [s.path for s in done], path, done[0].line if done else None
    )
    facts[PREFIX + "serialized_ranks"] = fact(
        sorted({s.rank for s in done if s.rank is not None}), path
    )
    ranks = {s.rank for s in state.started if s.rank is not None}
    # Bounded: a log naming rank 300000000 lists at most MAX_LISTED_RANKS absent ranks.
    missing = (
        list(islice((r for r in range(max(ranks) + 1) if r not in ranks), MAX_LISTED_RANKS))
        if ranks
        else []
    )
    if ranks:
        facts[PREFIX + "missing_ranks"] = fact(missing, path)

    if fatal:
        facts[PREFIX + "build_succeeded"] = fact(False, path, min(state.fatal))
    elif (
        state.started
        and len(done) == len(state.started)
        and not missing
        # an engine TensorRT finished building but that was never written out: cut short
        and len(state.generation) <= len(done)
    ):
        facts[PREFIX + "build_succeeded"] = fact(True, path, state.last_serialized_line)
    else:
        facts[PREFIX + "build_succeeded"] = fact(None, path)
    if not any(key.startswith(PREFIX + "plugins.") for key in facts):
        facts[PREFIX + "plugins"] = fact({}, path)  # the key is always there for readers
    facts[PREFIX + "line_count"] = fact(line_count, path)
    return facts


def _listed(items: list[dict[str, Any]], path: str) -> Fact:
    """A list fact located at its first item's line."""
    return fact(items, path, items[0]["line"] if items else None)
