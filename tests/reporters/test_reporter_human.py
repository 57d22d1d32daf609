from __future__ import annotations

import io
from dataclasses import replace
from pathlib import Path

import pytest
from reporter_sample import AWKWARD, check_golden

from preflight.model import Location, Result, RunResult, Severity, Status, Target
from preflight.reporters import human

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _in_the_checkout(monkeypatch: pytest.MonkeyPatch) -> None:
    """Paths are shown relative to the current directory: run from the checkout."""
    monkeypatch.chdir(ROOT)


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
    # One line per finding: path:line:col: ID severity: message, its fix indented below.
    first = (
        "examples/model_repo/tensorrt_llm/1/build.log:17:5: TLLM003 error: "
        "tensorrt_llm: remove_input_padding is False"
    )
    assert first in lines
    fix = lines.index(first) + 1
    assert lines[fix] == "    fix: Rebuild with `trtllm-build --remove_input_padding enable`."
    assert f"examples/model_repo/tensorrt_llm/config.pbtxt:4: TRITON010 warning: {AWKWARD}" in lines
    # No line: just the path. No location: the subject.
    assert any(
        line.startswith("examples/model_repo/tensorrt_llm/1/config.json: TLLM020 info:")
        for line in lines
    )
    assert any(
        line.startswith("examples/model_repo/tensorrt_llm/1/rank0.engine: TRT001 error:")
        for line in lines
    )


def test_findings_in_place_order_then_skips_then_counts_per_rule(run: RunResult) -> None:
    lines = _render(run).splitlines()
    heads = [line for line in lines if line.startswith("examples/model_repo/")]
    places = [line.split(": ", 1)[0] for line in heads]
    assert places[:6] == [
        "examples/model_repo/tensorrt_llm/1/build.log:17:5",
        "examples/model_repo/tensorrt_llm/1/build.log:130:1",
        "examples/model_repo/tensorrt_llm/1/build.log:131:1",
        "examples/model_repo/tensorrt_llm/1/config.json",
        "examples/model_repo/tensorrt_llm/1/rank0.engine",
        "examples/model_repo/tensorrt_llm/config.pbtxt:4",
    ]
    # the skips follow the findings, after a blank line
    skips = [line for line in heads if " skipped: " in line]
    assert [s.split(": ", 2)[1] for s in skips] == ["TRITON020 skipped", "TRT004 skipped"]
    assert lines.index(skips[0]) > lines.index(heads[5]) + 1
    # a count per rule, most frequent first, before the totals
    table = lines[lines.index("Found 4 errors, 1 warning, 1 info:") + 1 : -1]
    assert table[0].split() == ["2", "TLLM010", "error", "no-fatal-errors"]
    assert sorted(row.split()[1] for row in table) == [
        "TLLM003",
        "TLLM010",
        "TLLM020",
        "TRITON010",
        "TRT001",
    ]


def test_passes_and_per_model_counts_only_when_verbose(run: RunResult) -> None:
    quiet = _render(run)
    assert "TLLM001" not in quiet and "passed per model" not in quiet
    verbose = _render(run, verbose=True)
    assert "examples/model_repo/tensorrt_llm/1/build.log:120: TLLM001 passed:" in verbose
    assert "passed per model: (repository) 1, preprocessing 1, tensorrt_llm 2" in verbose


def test_quiet_prints_the_findings_alone(run: RunResult) -> None:
    lines = _render(run, quiet=True).splitlines()
    assert lines[0].startswith("examples/model_repo/tensorrt_llm/1/build.log:17:5: TLLM003 error:")
    assert len([line for line in lines if not line.startswith("    ")]) == 6
    assert not any("passed" in line or "skipped" in line for line in lines)
    clean = replace(run, results=tuple(r for r in run.results if r.status != Status.FAIL))
    assert _render(clean, quiet=True) == ""


def test_statistics_prints_the_count_per_rule_alone(run: RunResult) -> None:
    rows = [line.split() for line in _render(run, statistics=True).splitlines()]
    assert rows[0] == ["2", "TLLM010", "error", "no-fatal-errors"]
    assert len(rows) == 5


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
        "r/m/1/build.log:3: TLLM010 error: first line\n    second line\n    fix: Fix it.\n" in text
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
