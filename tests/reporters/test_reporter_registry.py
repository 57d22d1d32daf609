from __future__ import annotations

import io
import json
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import preflight
from preflight.model import Result, RunResult, Severity, Status, Target
from preflight.reporters import FORMATS, REPORTERS
from preflight.reporters.shared import (
    for_display,
    group_of,
    shown_path,
    sort_key,
    subject_path,
    summary,
)


def test_formats_of_the_contract() -> None:
    assert set(REPORTERS) == {"text", "json", "sarif", "junit", "github", "gitlab"}
    assert tuple(REPORTERS) == FORMATS


def test_summary_counts(run: RunResult) -> None:
    assert summary(run) == {
        "fail": {"error": 4, "warning": 1, "info": 1},
        "pass": 4,
        "skip": 2,
    }
    # Key order is part of the contract's look.
    assert list(summary(run)) == ["fail", "pass", "skip"]
    assert list(summary(run)["fail"]) == ["error", "warning", "info"]


def test_summary_of_nothing() -> None:
    empty = RunResult("0.1.0", "r", Target(), ())
    assert summary(empty) == {"fail": {"error": 0, "warning": 0, "info": 0}, "pass": 0, "skip": 0}


def test_group_of() -> None:
    assert group_of("tensorrt_llm/1/rank0.engine") == "tensorrt_llm"
    assert group_of("tensorrt_llm") == "tensorrt_llm"
    assert group_of("ensemble\\1") == "ensemble"
    assert group_of("") == ""
    assert group_of(".") == ""
    assert group_of("./ensemble/1") == "ensemble"
    assert subject_path("./tensorrt_llm/") == "tensorrt_llm"


def test_sort_key_puts_failures_first_most_severe_first(run: RunResult) -> None:
    ordered = sorted(run.results, key=sort_key)
    statuses = [r.status for r in ordered]
    assert statuses == sorted(statuses, key=[Status.FAIL, Status.SKIP, Status.PASS].index)
    fails = [r.severity for r in ordered if r.status == Status.FAIL]
    assert fails == sorted(fails, key=lambda s: -Severity(s).rank)


def test_every_reporter_runs_through_the_registry(run: RunResult) -> None:
    for name, render in REPORTERS.items():
        buf = io.StringIO()
        render(run, buf, color=False)
        assert buf.getvalue().endswith("\n"), name
        assert "TLLM003" in buf.getvalue(), name


def test_registry_passes_options_through(run: RunResult) -> None:
    buf = io.StringIO()
    REPORTERS["text"](run, buf, verbose=True)
    assert "TLLM001" in buf.getvalue()  # a pass, listed only when verbose


def test_import_is_light() -> None:
    """Importing the registry imports no reporter module (the CLI start-up stays light); a
    format loads its own module and the shared helpers, nothing else."""
    src = str(Path(preflight.__file__).resolve().parents[1])
    code = (
        "import io, json, sys\n"
        f"sys.path.insert(0, {src!r})\n"
        "import preflight.reporters as r\n"
        "from preflight.model import RunResult, Target\n"
        "def loaded():\n"
        "    return sorted(m for m in sys.modules if m.startswith('preflight.reporters.'))\n"
        "print(json.dumps(loaded()))\n"
        "r.REPORTERS['json'](RunResult('0', 'r', Target(), ()), io.StringIO())\n"
        "print(json.dumps(loaded()))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    before, after = (json.loads(line) for line in proc.stdout.splitlines())
    assert before == []
    assert after == ["preflight.reporters.json_report", "preflight.reporters.shared"]


def test_reporters_accept_an_empty_run() -> None:
    empty = RunResult("0.1.0", "repo", Target(), ())
    for name, render in REPORTERS.items():
        buf = io.StringIO()
        render(empty, buf)
        # a workflow command per finding: nothing at all for a clean run
        assert buf.getvalue() or name == "github", name


def test_reporters_accept_plain_string_enums() -> None:
    """A Result built with plain strings (as a JSON round trip gives) still renders."""
    res = Result("TRT001", "x", "error", "fail", "m", "a")  # type: ignore[arg-type]
    one = RunResult("0.1.0", "repo", Target(), (res,))
    for render in REPORTERS.values():
        render(one, io.StringIO())
    assert summary(one)["fail"]["error"] == 1


def test_shown_path(tmp_path: Path) -> None:
    repo = tmp_path / "model_repo"
    assert shown_path(str(repo / "tensorrt_llm" / "config.pbtxt"), str(repo)) == (
        "tensorrt_llm/config.pbtxt"
    )
    assert shown_path(str(repo), str(repo)) == "."
    assert shown_path(str(repo) + "/", str(repo)) == "."
    outside = str(tmp_path / "model_repo_2" / "config.pbtxt")  # a prefix of the text only
    assert shown_path(outside, str(repo)) == outside
    assert shown_path("/elsewhere/build.log", str(repo)) == "/elsewhere/build.log"


def test_reporters_show_paths_relative_to_the_repository(run: RunResult, tmp_path: Path) -> None:
    """Sources write the paths they read; every report shows them relative to the repository."""
    repo = tmp_path / "examples" / "model_repo"
    relative = replace(run, repo=str(repo))
    absolute = replace(
        relative,
        results=tuple(
            res
            if res.location is None
            else replace(res, location=replace(res.location, path=str(repo / res.location.path)))
            for res in run.results
        ),
    )
    assert for_display(absolute) == relative
    # The text report shows paths relative to the current directory (test_reporter_human.py);
    # the CI formats relative to the checkout root, here tmp_path.
    for name, render in REPORTERS.items():
        if name == "text":
            continue
        want, got = io.StringIO(), io.StringIO()
        render(relative, want, verbose=True, root=str(tmp_path))
        render(absolute, got, verbose=True, root=str(tmp_path))
        assert got.getvalue() == want.getvalue(), name
        assert str(tmp_path / "examples" / "model_repo" / "tensorrt_llm") not in got.getvalue()


def test_every_reporter_takes_the_same_options(run: RunResult) -> None:
    """The CLI passes every option to whichever format was asked for."""
    for name, render in REPORTERS.items():
        buf = io.StringIO()
        render(run, buf, color=False, verbose=True, rules={"TLLM003": {"title": "t"}})
        assert "TLLM003" in buf.getvalue(), name
