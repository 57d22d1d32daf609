"""The streaming build-log reader gives the facts the line-by-line reader gives, on every real
log, in chunks of any size; lists stay bounded and absurd numbers are facts."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from preflight.sources import trtllm_log

TESTS = Path(__file__).resolve().parents[1]
LOGS = sorted(
    p
    for p in [*(TESTS / "data").rglob("*.log"), *(TESTS / "rules").rglob("*.log")]
    if p.stat().st_size > 0
)
VERBOSE = "[08/27/2025-09:13:48] [TRT] [V] Tactic: 0x0000000000000001 Time: 0.0123\n"
LLM_VERBOSE = "[08/27/2025-09:13:48] [TRT-LLM] [V] Add layer transformer.layers.0.mlp.fc\n"


@pytest.fixture(params=["threads", "one thread", "no numpy", "no preadv"])
def streaming(
    monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> pytest.MonkeyPatch:
    """Every log through the streaming reader, in small chunks, lines cut at 50 characters;
    read by worker threads, by one thread, by one thread without numpy, and by one thread
    that seeks (a system without preadv, where workers cannot share the file)."""
    monkeypatch.setattr(trtllm_log, "FAST_PATH_BYTES", 0)
    monkeypatch.setattr(trtllm_log, "MAX_LINE_CHARS", 50)
    if request.param == "threads":
        monkeypatch.setattr(trtllm_log, "_workers", lambda: 3)
    else:
        monkeypatch.setattr(trtllm_log, "_workers", lambda: 1)
    if request.param == "no numpy":
        monkeypatch.setattr(trtllm_log, "_numpy", lambda: None)
    if request.param == "no preadv":
        monkeypatch.setattr(trtllm_log, "_workers", lambda: 3)
        monkeypatch.delattr(trtllm_log.os, "preadv")
    return monkeypatch


def reference(path: Path) -> dict[str, object]:
    return dict(trtllm_log.parse(path.read_bytes().decode("utf-8", "replace"), str(path)))


def test_there_are_real_logs() -> None:
    assert len(LOGS) >= 25


@pytest.mark.parametrize("chunk", [7, 200, 257, 4096])
def test_streaming_equals_line_by_line_on_every_real_log(
    streaming: pytest.MonkeyPatch, chunk: int
) -> None:
    streaming.setattr(trtllm_log, "CHUNK_BYTES", chunk)
    for path in LOGS:
        assert trtllm_log.extract(path) == reference(path), path


def test_verbose_lines_are_skipped_by_both_readers(
    streaming: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    streaming.setattr(trtllm_log, "CHUNK_BYTES", 1000)
    streaming.setattr(trtllm_log, "MAX_LINE_CHARS", 1 << 20)
    rng = random.Random(3)
    for path in LOGS:
        lines = path.read_bytes().split(b"\n")
        mixed = b"".join(
            line + b"\n" + VERBOSE.encode() * rng.randrange(0, 40) for line in lines[:-1]
        )
        mixed += lines[-1]
        log = tmp_path / path.name
        log.write_bytes(mixed)
        streamed = trtllm_log.extract(log)
        assert streamed == reference(log), path
        original = reference(path)
        for key in ("build_succeeded", "fatal_errors", "plugins", "trtllm_version"):
            mine = streamed.get(f"build_log.{key}")
            theirs = original.get(f"build_log.{key}")
            assert (mine is None) == (theirs is None), (path, key)
            if key != "fatal_errors" and mine is not None and theirs is not None:
                assert mine.value == theirs.value, (path, key)  # type: ignore[attr-defined]


def test_a_verbose_line_with_a_marker_is_skipped_a_warning_is_not() -> None:
    text = (
        "[08/27/2025-09:13:48] [TRT] [V] layer AssertionError_fused: tactic 0x1\n"
        "[08/27/2025-09:13:48] [TRT-LLM] [V] AssertionError in a traced message\n"
        "[08/27/2025-09:13:48] [TRT] [W] Requested amount of GPU memory (1 bytes) could not "
        "be allocated.\n"
        "  [08/27/2025-09:13:48] [TRT] [V] indented, so read: AssertionError\n"
    )
    facts = trtllm_log.parse(text, "b.log")
    assert facts["build_log.oom_warning_count"].value == 1
    assert [f["line"] for f in facts["build_log.fatal_errors"].value] == [4]


def test_a_long_verbose_log_is_read_in_flat_memory(tmp_path: Path) -> None:
    log = tmp_path / "big.log"
    real = (TESTS / "data/shared/fixtures/logs/v0.20.0_a100_gpt2-like_success_1gpu.log").read_text()
    head, tail = real.split("Serializing", 1)
    block = VERBOSE * 100_000
    with log.open("w") as out:
        out.write(head.rsplit("\n", 1)[0] + "\n")
        for _ in range(3):  # ~20 MB, past FAST_PATH_BYTES: the streaming reader
            out.write(block)
        out.write(head.rsplit("\n", 1)[1] + "Serializing" + tail)
    facts = trtllm_log.extract(log)
    assert facts == reference(log)
    assert facts["build_log.build_succeeded"].value is True
    assert facts["build_log.line_count"].value == real.count("\n") + 300_000


def test_lists_are_bounded() -> None:
    fatal = "Segmentation fault\n" * (trtllm_log.MAX_FATAL_ITEMS + 50)
    starts = "".join(
        f"[01/01/2025-00:00:00] [TRT-LLM] [I] Serializing engine to /e/rank{i}.engine...\n"
        for i in range(trtllm_log.MAX_STARTED + 10)
    )
    facts = trtllm_log.parse(fatal + starts, "b.log")
    assert len(facts["build_log.fatal_errors"].value) == trtllm_log.MAX_FATAL_ITEMS
    assert facts["build_log.build_succeeded"].location.line == 1  # type: ignore[union-attr]
    assert len(facts["build_log.started_engines"].value) == trtllm_log.MAX_STARTED


def test_an_overlong_line_is_cut_the_same_way(
    streaming: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    streaming.setattr(trtllm_log, "CHUNK_BYTES", 256)
    log = tmp_path / "long.log"
    log.write_text("x" * 10_000 + " Killed\nSegmentation fault\n" + "y" * 3000)
    assert trtllm_log.extract(log) == reference(log)
    assert trtllm_log.extract(log)["build_log.line_count"].value == 3


def test_escape_sequences_and_odd_bytes_read_alike(
    streaming: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    streaming.setattr(trtllm_log, "CHUNK_BYTES", 512)
    rng = random.Random(7)
    pieces = [
        VERBOSE.encode(),
        b"\x1b[0m" + VERBOSE.encode(),  # colour first: not the verbose form as written
        VERBOSE.encode().replace(b"Tactic", b"\x1b[31mAssertionError\x1b[0m"),
        VERBOSE.encode().replace(b"08/27", b"\xc3\xa9/2"),  # not ASCII
        LLM_VERBOSE.encode(),
        LLM_VERBOSE.encode().replace(b"Add layer", b"AssertionError"),  # skipped: verbose
        LLM_VERBOSE.encode().replace(b"[V]", b"[I]").replace(b"Add", b"Assertion failed"),
        LLM_VERBOSE.encode().replace(b"[V] ", b"[V]"),  # not the verbose form: read
        LLM_VERBOSE.encode()[:35] + b"\n",  # cut before its last byte
        LLM_VERBOSE.encode().replace(b"08/27", b"\xc3\xa9/2"),  # not ASCII
        b"[08/27/2025-09:13:48] [TRT-LLX] [V] Aborted\n",
        b"[08/27/2025-09:13:48] [TRT] [W] Requested amount of GPU memory (1) could not be\r\n",
        b"\n",
        b"Traceback (most recent call last):\n",
        b'  File "x.py", line 1, in build_and_save\n',
        b"RuntimeError: boom\n",
        b"[08/27/2025-09:13:48] [TRT-LLM] [I] Serializing engine to /e/rank0.engine...\n",
        b"[08/27/2025-09:13:48] [TRT-LLM] [I] Engine serialized. Total time: 00:00:01\n",
    ]
    for seed in range(20):
        rng.seed(seed)
        log = tmp_path / f"mixed{seed}.log"
        log.write_bytes(b"".join(rng.choice(pieces) for _ in range(rng.randrange(1, 400))))
        assert trtllm_log.extract(log) == reference(log), seed


FLOOD_PIECES = [
    b"a\n",
    b"  frame text\n",
    b"\n",
    b"plain words without a marker\n",
    b"Segm\x1b[0mentation fault\n",  # a marker only once the escape is gone
    b"Traceback (most recent call last):\n",
    b'  File "x.py", line 1, in build_and_save\n',
    b"RuntimeError: boom\n",
    b"Exception ignored in: <function f>\n",
    b"Killed\n",
    b"2025-08-27T09:13:48.123456Z " + VERBOSE.encode(),  # verbose behind a capture prefix
    b"[1,0]<stdout>:" + LLM_VERBOSE.encode(),
    b"2025-08-27T09:13:48Z aaaaaaaaaaaaaaaaaaaaaaaaRT] [V] Aborted\n",
    b"[1,0]<stdout>:aaaaaaaaaaaaaaaaaaaaaaaaRT] [V] x\n" * 9,  # verbose: not counted
    b"[08/27/2025-09:13:48] [TRT] [W] Requested amount of GPU MEMORY (1) could not be allocated\n",
    VERBOSE.encode(),
]


@pytest.mark.parametrize("budget", [40, 300, 10**9])
def test_runs_of_lines_that_say_nothing_are_passed_over_alike(
    streaming: pytest.MonkeyPatch, tmp_path: Path, budget: int
) -> None:
    """Floods of lines without a marker, with markers, tracebacks and captured verbose lines
    between them: passed over in blocks (of 8 lines here), the facts are those of the line by
    line reader, and both stop at the same line when there are too many lines to read."""
    streaming.setattr(trtllm_log, "CHUNK_BYTES", 300)
    streaming.setattr(trtllm_log, "BLOCK_LINES", 8)
    streaming.setattr(trtllm_log, "MAX_SCANNED_LINES", budget)
    rng = random.Random(11)
    for seed in range(30):
        rng.seed(seed)
        parts = []
        for _ in range(rng.randrange(1, 30)):
            parts.append(rng.choice([b"a\n", b"plain words\n", b"\n"]) * rng.randrange(0, 60))
            parts.append(rng.choice(FLOOD_PIECES))
        log = tmp_path / f"flood{seed}.log"
        log.write_bytes(b"".join(parts))
        assert trtllm_log.extract(log) == reference(log), seed


def test_too_many_lines_to_read_is_a_read_error_of_both_readers(
    streaming: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    streaming.setattr(trtllm_log, "MAX_SCANNED_LINES", 1000)
    streaming.setattr(trtllm_log, "MAX_LINE_CHARS", 1000)  # the captured lines whole
    log = tmp_path / "flood.log"
    log.write_bytes(b"Killed\n" * 1500)
    facts = trtllm_log.extract(log)
    assert facts == reference(log)
    assert list(facts) == ["build_log.read_error"]
    assert "more than 1000 lines that are not verbose (at line 1001)" in str(
        facts["build_log.read_error"].value
    )
    # empty and verbose lines do not count, behind a capture prefix neither
    log.write_bytes(
        (b"\n" + VERBOSE.encode() + b"2025-08-27T09:13:48Z " + LLM_VERBOSE.encode()) * 1500
        + b"Killed\n"
    )
    facts = trtllm_log.extract(log)
    assert facts == reference(log)
    assert facts["build_log.line_count"].value == 4501
    assert [f["line"] for f in facts["build_log.fatal_errors"].value] == [4501]


def test_a_captured_verbose_line_is_skipped_as_the_bare_one() -> None:
    text = (
        "2025-08-27T09:13:48.123456789Z [08/27/2025-09:13:48] [TRT] [V] AssertionError_fused\n"
        "[1,0]<stderr>:[08/27/2025-09:13:48] [TRT-LLM] [V] Segmentation fault in a name\n"
        "[1,0]<stderr>:[08/27/2025-09:13:48] [TRT-LLM] [E] Assertion failed: real\n"
    )
    facts = trtllm_log.parse(text, "b.log")
    assert [f["line"] for f in facts["build_log.fatal_errors"].value] == [3]
