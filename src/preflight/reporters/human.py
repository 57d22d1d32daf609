"""``check --format text``: a compact report for people, in the manner of a linter.

Layout::

    preflight 0.1.0: examples/model_repo
    target: RTX 4060 Ti (8.9), Triton 25.06, TensorRT 10.10.0.31

    tensorrt_llm
      tensorrt_llm/1/build.log:17:3: error TLLM003 remove-input-padding: <message>
        fix: <remediation>
      tensorrt_llm/config.pbtxt: skipped TRT004 engine-deserializes: <reason>
      12 passed

    1 error, 0 warnings, 12 passed, 1 skipped

Results are grouped by model (the first path component of the subject; repository-wide
results come first), failures first and most severe first, then skips, then a count of passes
(listed one by one with ``verbose=True``). Text taken from artifacts is stripped of control
characters so a log line cannot drive the terminal. ANSI colour only with ``color=True``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import TextIO

from preflight.model import Result, RunResult, Severity, Status, Target
from preflight.reporters.shared import for_display, group_of, sort_key, summary

_RESET = "\x1b[0m"
_BOLD = "\x1b[1m"
_DIM = "\x1b[2m"
_RED = "\x1b[31m"
_GREEN = "\x1b[32m"
_YELLOW = "\x1b[33m"
_BLUE = "\x1b[34m"
_MAGENTA = "\x1b[35m"
_CYAN = "\x1b[36m"

_SEVERITY_STYLE = {
    Severity.ERROR: _BOLD + _RED,
    Severity.WARNING: _BOLD + _YELLOW,
    Severity.INFO: _BOLD + _BLUE,
}

# ANSI escape sequences (CSI ... final byte, or ESC + one byte), then C0 and C1 control
# characters except tab and newline (newlines are re-indented below).
_ANSI = re.compile("\x1b(?:\\[[0-?]*[ -/]*[@-~]|[@-Z\\\\-_])")
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")

_INDENT = "  "


class _Painter:
    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled

    def __call__(self, text: str, style: str) -> str:
        if not self.enabled or not text or not style:
            return text
        return f"{style}{text}{_RESET}"


def render(
    result: RunResult,
    out: TextIO,
    *,
    color: bool = False,
    verbose: bool = False,
    rules: Mapping[str, Mapping[str, str]] | None = None,
) -> None:
    """Write the text report; ``verbose`` lists passing checks one by one. ``rules`` is
    accepted for a uniform signature and ignored."""
    del rules
    result = for_display(result)
    paint = _Painter(color)
    lines: list[str] = [
        paint(f"preflight {result.preflight_version}", _BOLD) + f": {_clean(result.repo)}",
        f"target: {_target_text(result.target)}",
    ]
    lines.extend(f"note: {_clean(note)}" for note in result.notes)

    for group, members in _groups(result.results):
        lines.append("")
        lines.extend(_group_lines(group, members, paint, verbose))

    lines.append("")
    lines.append(_summary_text(result, paint))
    out.write("\n".join(lines) + "\n")


def _groups(results: Iterable[Result]) -> list[tuple[str, list[Result]]]:
    grouped: dict[str, list[Result]] = {}
    for res in results:
        grouped.setdefault(group_of(res.subject), []).append(res)
    # Repository-wide results ("" group) first, then models by name.
    return [(name, sorted(grouped[name], key=sort_key)) for name in sorted(grouped)]


def _group_lines(group: str, members: list[Result], paint: _Painter, verbose: bool) -> list[str]:
    title = _clean(group) if group else "(repository)"
    lines = [paint(title, _BOLD)]
    passed = 0
    blocked: list[Result] = []  # skipped because a prerequisite failed (shown as one line)
    repeats: dict[str, int] = {}  # further skips of a rule already shown
    for res in members:
        if res.status == Status.PASS:
            passed += 1
            if not verbose:
                continue
        if res.status == Status.SKIP and not verbose:
            if ": not checked: " in res.message:
                blocked.append(res)
                continue
            if res.rule in repeats:
                repeats[res.rule] += 1
                continue
            repeats[res.rule] = 0
        lines.extend(_result_lines(res, paint))
    if not verbose:
        lines.extend(_condensed(blocked, repeats, paint))
    if passed and not verbose:
        lines.append(_INDENT + paint(f"{passed} passed", _GREEN))
    return lines


def _condensed(blocked: list[Result], repeats: dict[str, int], paint: _Painter) -> list[str]:
    """Without --verbose: one line for checks a failure above made moot, counts for repeats."""
    lines = []
    more = [f"{rule} {count}x" for rule, count in repeats.items() if count]
    if more:
        text = f"(the same skip again on other files: {', '.join(more)}; -v lists them)"
        lines.append(_INDENT + paint(text, _DIM))
    if blocked:
        reasons = sorted({r.message.split(": not checked: ", 1)[1] for r in blocked})
        rules = ", ".join(sorted({r.rule for r in blocked}))
        label = paint("skipped", _MAGENTA)
        lines.append(_INDENT + f"{label} {rules}: not checked ({'; '.join(reasons)})")
    return lines


def _result_lines(res: Result, paint: _Painter) -> list[str]:
    status = Status(res.status)
    if status == Status.FAIL:
        severity = Severity(res.severity)
        label = paint(severity.value, _SEVERITY_STYLE[severity])
    elif status == Status.SKIP:
        label = paint("skipped", _MAGENTA)
    else:
        label = paint("passed", _GREEN)

    head = (
        f"{paint(_where(res), _BOLD)}: {label} "
        f"{paint(_clean(res.rule), _BOLD)} {paint(_clean(res.name), _DIM)}: "
    )
    message = _clean(res.message).split("\n")
    lines = [_INDENT + head + message[0]]
    lines.extend(_INDENT * 3 + more for more in message[1:])
    if status == Status.FAIL and res.remediation:
        fix = _clean(res.remediation).split("\n")
        lines.append(_INDENT * 2 + paint("fix:", _CYAN) + " " + fix[0])
        lines.extend(_INDENT * 3 + more for more in fix[1:])
    return lines


def _where(res: Result) -> str:
    loc = res.location
    if loc is None:
        return _clean(res.subject) or "."
    where = _clean(loc.path) or "."
    if loc.line is not None:
        where += f":{loc.line}"
        if loc.column is not None:
            where += f":{loc.column}"
    return where


def _target_text(target: Target) -> str:
    parts: list[str] = []
    if target.gpu and target.compute_capability:
        parts.append(f"{target.gpu} ({target.compute_capability})")
    elif target.gpu:
        parts.append(target.gpu)
    elif target.compute_capability:
        parts.append(f"sm {target.compute_capability}")
    if target.sm_count is not None:
        parts.append(f"{target.sm_count} SMs")
    if target.triton_version:
        parts.append(f"Triton {target.triton_version}")
    if target.trt_version:
        plain = target.trt_version_plain
        other = f" (tensorrt_plan models: {plain})" if plain and plain != target.trt_version else ""
        parts.append(f"TensorRT {target.trt_version}{other}")
    if target.trtllm_version:
        parts.append(f"TensorRT-LLM {target.trtllm_version}")
    return _clean(", ".join(parts)) if parts else "not set"


def _summary_text(result: RunResult, paint: _Painter) -> str:
    counts = summary(result)
    fail = counts["fail"]
    parts = [
        paint(_plural(fail["error"], "error"), _BOLD + _RED if fail["error"] else ""),
        paint(_plural(fail["warning"], "warning"), _BOLD + _YELLOW if fail["warning"] else ""),
    ]
    if fail["info"]:
        parts.append(paint(f"{fail['info']} info", _BOLD + _BLUE))
    parts.append(paint(f"{counts['pass']} passed", _GREEN if counts["pass"] else ""))
    parts.append(paint(f"{counts['skip']} skipped", _MAGENTA if counts["skip"] else ""))
    return ", ".join(parts)


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def _clean(text: str) -> str:
    """Drop control characters (ANSI escapes included); keep newlines and tabs."""
    return _CONTROL.sub("", _ANSI.sub("", text.replace("\r\n", "\n")))
