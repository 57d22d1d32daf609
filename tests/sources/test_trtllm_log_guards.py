"""The build-log scanner tests a cheap condition before each costly regex (a plain substring test
instead of a regex tried at every position of a line). Each guard must hold for every text its
regex matches, or the scanner would miss a fact: checked on generated lines built from the
regexes' own words (case changed, cut, glued, with other characters between) and on every line
of the real logs."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from preflight.sources import trtllm_log as L

TESTS = Path(__file__).resolve().parents[1]
WORDS = [
    "Engine building failed",
    "Failed to build engine for rank",
    "AssertionError",
    "Assertion failed",
    "terminate called",
    "Killed",
    "Aborted",
    "exited on signal 9",
    "Segmentation fault",
    "MPI_ABORT was invoked",
    "the job has been aborted",
    "processes exited with non-zero status",
    "Unhandled exception caught",
    "Windows fatal exception",
    "trtllm-build: error: ",
    "build.py: error: ",
    "Error Code 2: OutOfMemory",
    "skipping tactic 3 due to insufficient memory",
    "Requested amount of GPU memory (1024 bytes) could not be allocated",
    "Device memory is insufficient to use tactic",
    "[MemUsageStats] Peak memory usage of TRT CPU/GPU memory allocators: CPU 1 MiB, GPU 2 MiB",
    "Engine generation completed in 1.5 seconds",
    "Set gemm_plugin to float16.",
    "Compute capability: (8, 9)",
    "SM count: 58",
    "Serializing engine to /e/rank0.engine...",
    "Engine serialized. Total time: 00:00:01",
    "Total time of building all engines: 00:01:02",
    "[08/27/2025-09:13:48] [TRT] ",
    "[08/27/2025-09:13:48] [TRT-LLM] [I] ",
    "2025-08-27T09:13:48.123Z ",
    "[1,0]<stdout>: ",
    "\x1b[31m",
    "\r",
]


def _mangle(word: str, flips: list[bool]) -> str:
    return "".join(
        c.swapcase() if f else c for c, f in zip(word, flips + [False] * len(word), strict=False)
    )


piece = st.one_of(
    st.sampled_from(WORDS),
    st.builds(_mangle, st.sampled_from(WORDS), st.lists(st.booleans(), max_size=40)),
    st.builds(
        lambda w, a, b: w[a:b], st.sampled_from(WORDS), st.integers(0, 10), st.integers(5, 60)
    ),
    st.text(st.characters(codec="utf-8", exclude_characters="\n"), max_size=6),
    st.sampled_from(["ſ", "K", "İ", "ı", "ﬀ", "٣", "  ", ":", " "]),
)
lines = st.lists(piece, max_size=8).map("".join)

GUARDS: list[tuple[re.Pattern[str], Callable[[str], bool]]] = [
    (L._FATAL_ANY, L._may_fatal),
    (L._OOM, L._may_oom),
    (L._FATAL_RAW, L._may_fatal_raw),
    (L._PEAK, lambda s: "[MemUsageStats]" in s),
    (L._CAPTURE_PREFIX, L._may_capture),
]
STARTS = [
    (L._SET, L._TRTLLM_MESSAGES),
    (L._CC, L._TRTLLM_MESSAGES),
    (L._SERIALIZING, L._TRTLLM_MESSAGES),
    (L._SERIALIZED, L._TRTLLM_MESSAGES),
    (L._ALL_BUILT, L._TRTLLM_MESSAGES),
    *((pattern, L._TRTLLM_MESSAGES) for pattern in L._GPU_INTS.values()),
    (L._GENERATION, L._TRT_MESSAGES),
]


def _segments_reference(text: str) -> list[str]:
    """The segments without the whole-line shortcut."""
    out: list[str] = []
    for part in text.split("\r"):
        cuts = [m.start() for m in L._GLUED.finditer(part) if m.start() > 0]
        bounds = list(zip([0, *cuts], [*cuts, len(part)], strict=True))
        out.extend(part[a:b] for a, b in bounds if part[a:b].strip())
    return out


def _check(text: str) -> None:
    for pattern, guard in GUARDS:
        if pattern is L._CAPTURE_PREFIX:
            if pattern.match(text).end():  # type: ignore[union-attr]
                assert guard(text), (pattern.pattern, text)
        elif pattern.search(text):
            assert guard(text), (pattern.pattern, text)
    for pattern, starts in STARTS:
        if pattern.match(text):
            assert text.startswith(starts), (pattern.pattern, text)
    assert L._segments(text) == _segments_reference(text), text


@settings(
    max_examples=3000,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(lines)
def test_every_guard_holds_where_its_regex_matches(text: str) -> None:
    _check(text)


@pytest.mark.parametrize("word", WORDS)
def test_every_word_as_written_and_swapped_case(word: str) -> None:
    for text in (word, word.upper(), word.lower(), word.swapcase(), "  " + word, "x: " + word):
        _check(text)


def test_every_line_of_the_real_logs() -> None:
    logs = [*(TESTS / "data").rglob("*.log"), *(TESTS / "rules").rglob("*.log")]
    assert len(logs) >= 25
    for path in logs:
        for line in path.read_text(encoding="utf-8", errors="replace").split("\n"):
            _check(line)
            match = L._LOGGER.match(line)
            if match:
                _check(match.group("msg").rstrip())
