from __future__ import annotations

import io
import re
from dataclasses import replace

from reporter_sample import AWKWARD, check_golden

from preflight.model import Location, Result, RunResult, Severity, Status, Target
from preflight.reporters import human


def _render(run: RunResult, **options: bool) -> str:
    buf = io.StringIO()
    human.render(run, buf, **options)
    return buf.getvalue()


def test_golden(run: RunResult) -> None:
    check_golden("report.txt", _render(run))


def test_golden_verbose(run: RunResult) -> None:
    check_golden("report-verbose.txt", _render(run, verbose=True))


def test_golden_color(run: RunResult) -> None:
    check_golden("report-color.txt", _render(run, color=True))


def test_colour_only_when_asked(run: RunResult) -> None:
    plain = _render(run)
    assert "\x1b" not in plain
    assert "\x1b[" in _render(run, color=True)
    # The message carried an escape sequence and a bell: neither reaches the terminal.
    assert "\x07" not in plain
    assert "built for 8.0, the target is 8.9" in plain


def test_layout(run: RunResult) -> None:
    lines = _render(run).splitlines()
    assert lines[0] == "preflight 0.1.0: examples/model_repo"
    assert lines[1] == (
        "target: RTX 4060 Ti (8.9), 34 SMs, Triton 25.06, TensorRT 10.10.0.31, TensorRT-LLM 0.20.0"
    )
    assert lines[-1] == "4 errors, 1 warning, 1 info, 4 passed, 2 skipped"
    assert (
        "  tensorrt_llm/1/build.log:17:5: error TLLM003 remove-input-padding: "
        "tensorrt_llm: remove_input_padding is False"
    ) in lines
    fix = (
        lines.index(
            "  tensorrt_llm/1/build.log:17:5: error TLLM003 remove-input-padding: "
            "tensorrt_llm: remove_input_padding is False"
        )
        + 1
    )
    assert lines[fix] == "    fix: Rebuild with `trtllm-build --remove_input_padding enable`."
    assert (
        f"  tensorrt_llm/config.pbtxt:4: warning TRITON010 batch-size-exceeds-engine: {AWKWARD}"
        in lines
    )
    # No line: just the path. No location: the subject.
    assert any(line.startswith("  tensorrt_llm/1/config.json: info TLLM020") for line in lines)
    assert any(line.startswith("  tensorrt_llm/1/rank0.engine: error TRT001") for line in lines)


def test_grouping_and_order(run: RunResult) -> None:
    lines = _render(run).splitlines()
    # A group header follows each blank line; the last blank line precedes the summary.
    headers = [lines[i + 1] for i, line in enumerate(lines[:-2]) if line == ""]
    assert headers == ["(repository)", "preprocessing", "tensorrt_llm"]
    body = lines[lines.index("tensorrt_llm") + 1 : -2]
    kinds = [m.group(1) for m in map(re.compile(r"^  \S+: (\w+) ").match, body) if m]
    assert kinds == ["error", "error", "error", "error", "warning", "info", "skipped"]
    assert body[-1] == "  2 passed"
    assert body[-2].startswith("  tensorrt_llm/1/rank0.engine: skipped TRT004")


def test_passes_listed_only_when_verbose(run: RunResult) -> None:
    assert "TLLM001" not in _render(run)
    verbose = _render(run, verbose=True)
    assert "  tensorrt_llm/1/build.log:120: passed TLLM001 build-succeeded:" in verbose
    assert "  2 passed" not in verbose


def test_multiline_message_is_indented() -> None:
    res = Result(
        "TLLM010",
        "no-fatal-errors",
        Severity.ERROR,
        Status.FAIL,
        "first line\nsecond line",
        "m",
        Location("m/1/build.log", 3),
        "Fix it.",
    )
    text = _render(RunResult("0.1.0", "r", Target(), (res,)))
    assert (
        "  m/1/build.log:3: error TLLM010 no-fatal-errors: first line\n      second line\n" in text
    )


def test_summary_words() -> None:
    base = Result("TRT001", "x", Severity.ERROR, Status.FAIL, "m", "a")
    one = RunResult("0.1.0", "r", Target(), (base,))
    assert _render(one).splitlines()[-1] == "1 error, 0 warnings, 0 passed, 0 skipped"
    passes = tuple(replace(base, status=Status.PASS) for _ in range(3))
    assert _render(replace(one, results=passes)).splitlines()[-1] == (
        "0 errors, 0 warnings, 3 passed, 0 skipped"
    )
    assert "target: not set" in _render(one)
