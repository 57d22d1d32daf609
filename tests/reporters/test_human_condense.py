"""Without --verbose, repeated and cascading skips take one line each; -v lists them all."""

from __future__ import annotations

import io

from preflight.model import Location, Result, RunResult, Severity, Status, Target
from preflight.reporters import human


def skip(rule: str, subject: str, message: str) -> Result:
    return Result(
        rule, rule.lower(), Severity.ERROR, Status.SKIP, message, subject, Location(subject)
    )


def run(*results: Result) -> RunResult:
    return RunResult("0.1.0", "repo", Target(), results)


def text(result: RunResult, verbose: bool = False) -> str:
    out = io.StringIO()
    human.render(result, out, verbose=verbose)
    return out.getvalue()


def test_repeated_skips_of_one_rule_are_counted() -> None:
    result = run(
        *(skip("TRT005", f"m/1/rank{r}.engine", f"m/1/rank{r}.engine: unknown") for r in range(4))
    )
    short = text(result)
    assert short.count("TRT005 skipped") == 1
    assert "TRT005 3x" in short
    assert text(result, verbose=True).count("TRT005 skipped") == 4


def test_cascading_skips_collapse_into_one_line() -> None:
    result = run(
        skip("TRITON006", "m", "m: not checked: config.pbtxt does not parse (see TRITON001)"),
        skip("TRITON013", "m", "m: not checked: config.pbtxt does not parse (see TRITON001)"),
    )
    short = text(result)
    assert (
        "skipped TRITON006, TRITON013: not checked (config.pbtxt does not parse (see TRITON001))"
        in short
    )
    assert "2 skipped" in short


def test_a_model_blocking_many_rules_gives_their_count() -> None:
    reason = "m: not checked: TRITON001 failed on this model first"
    result = run(*(skip(f"TRITON0{n}", "m", reason) for n in range(30, 42)))
    short = text(result)
    assert "skipped 12 rules (-v lists them): not checked (TRITON001 failed" in short
    assert "TRITON030" not in short
    assert text(result, verbose=True).count("skipped") >= 12
