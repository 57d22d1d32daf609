"""``check --format text``: a compact report for people, in the manner of ruff.

Layout::

    preflight 0.1.0: examples/model_repo
    target: RTX 4060 Ti (8.9), Triton 25.06, TensorRT 10.10.0.31
    note: <run notes>

    tensorrt_llm/1/build.log:17:3: TLLM003 error: <message>
        fix: <remediation>
    tensorrt_llm/config.pbtxt:4: TRITON010 warning: <message>
        fix: <remediation>

    tensorrt_llm/1/rank0.engine: TRT004 skipped: <reason>

    Found 1 error, 1 warning:
        1  TLLM003    error    remove-input-padding
        1  TRITON010  warning  batch-size-exceeds-engine
    1 error, 1 warning, 12 passed, 1 skipped

One line per finding, ``path:line:col: ID severity: message``, ordered by place as a linter
orders them; its fix indented below. Then the skips (a failure above made a whole model's
checks moot: one line; the same skip on many files: a count), then a count per rule and the
totals. ``verbose`` also lists each pass and the passes per model. ``quiet`` prints the
findings alone; ``statistics`` the count per rule alone. Paths are shown as
:func:`preflight.reporters.shared.for_text` shows them. Text taken from artifacts is
stripped of control characters so a log line cannot drive the terminal. ANSI colour only with
``color=True``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import replace
from typing import Any, TextIO

from preflight.model import Location, Result, RunResult, Severity, Status, Target
from preflight.paths import display_in
from preflight.reporters.shared import for_text, group_of, summary

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
    quiet: bool = False,
    statistics: bool = False,
    **_options: Any,
) -> None:
    """Write the text report (see the module); other report options are ignored."""
    result = for_text(result)
    paint = _Painter(color)
    if statistics:
        out.write("".join(line + "\n" for line in _per_rule(result.results, paint)))
        return
    result = replace(result, results=tuple(_subject_placed(r, result.repo) for r in result.results))
    ordered = sorted(result.results, key=_by_place)
    failures = [r for r in ordered if r.status == Status.FAIL]
    findings = [line for res in failures for line in _result_lines(res, paint)]
    if quiet:
        out.write("".join(line + "\n" for line in findings))
        return
    lines: list[str] = [
        paint(f"preflight {result.preflight_version}", _BOLD) + f": {_one_line(result.repo)}",
        f"target: {_target_text(result.target)}",
    ]
    lines.extend(f"note: {_one_line(note)}" for note in result.notes)
    for block in (findings, _skip_lines(ordered, paint, verbose, result.repo)):
        if block:
            lines += ["", *block]
    if verbose:
        passes = [r for r in ordered if r.status == Status.PASS]
        lines += ["", *[line for res in passes for line in _result_lines(res, paint)]]
        lines.append(_per_model(result.results, paint))
    lines.append("")
    if failures:
        lines.append(f"Found {_fail_words(result)}:")
        lines.extend(_per_rule(result.results, paint))
    lines.append(_summary_text(result, paint))
    out.write("\n".join(lines) + "\n")


def _subject_placed(res: Result, repo: str) -> Result:
    """A result without a location is shown at its subject, a path in the repository: shown
    like every other path (relative to the current directory)."""
    if res.location is not None or not res.subject:
        return res
    return replace(res, location=Location(display_in(res.subject, repo)))


def _by_place(res: Result) -> tuple[str, int, int, str, str]:
    loc = res.location
    return (
        loc.path if loc else res.subject,
        (loc.line or 0) if loc else 0,
        (loc.column or 0) if loc else 0,
        res.rule,
        res.message,
    )


_MAX_IDS = 8  # rule ids listed on one condensed skip line


def _skip_lines(ordered: list[Result], paint: _Painter, verbose: bool, repo: str) -> list[str]:
    skips = [r for r in ordered if r.status == Status.SKIP]
    if verbose:
        return [line for res in skips for line in _result_lines(res, paint)]
    lines: list[str] = []
    blocked: dict[str, list[Result]] = {}  # model -> skips a failure above made moot
    repeats: dict[str, int] = {}  # further skips of a rule already shown
    for res in skips:
        if ": not checked: " in res.message:
            blocked.setdefault(group_of(res), []).append(res)
            continue
        if res.rule in repeats:
            repeats[res.rule] += 1
            continue
        repeats[res.rule] = 0
        lines.extend(_result_lines(res, paint))
    more = [f"{rule} {count}x" for rule, count in repeats.items() if count]
    if more:
        text = f"(the same skip again on other files: {', '.join(more)}; -v lists them)"
        lines.append(paint(text, _DIM))
    label = paint("skipped", _MAGENTA)
    for model, members in sorted(blocked.items()):
        reasons = sorted({r.message.split(": not checked: ", 1)[1] for r in members})
        ids = sorted({r.rule for r in members})
        # a model whose config does not parse blocks dozens of rules: their count, not a wall
        rules = ", ".join(ids) if len(ids) <= _MAX_IDS else f"{len(ids)} rules (-v lists them)"
        where = _one_line(display_in(model, repo))
        lines.append(f"{paint(where, _BOLD)}: {label} {rules}: not checked ({'; '.join(reasons)})")
    return lines


def _per_rule(results: Iterable[Result], paint: _Painter) -> list[str]:
    """``count  ID  severity  name`` per failing rule, most frequent first."""
    counts: dict[tuple[str, str, str], int] = {}
    for res in results:
        if res.status == Status.FAIL:
            key = (res.rule, Severity(res.severity).value, res.name)
            counts[key] = counts.get(key, 0) + 1
    if not counts:
        return []
    width = max(len(rule) for rule, _sev, _name in counts)
    rows = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return [
        f"{count:5d}  {paint(_clean(rule).ljust(width), _BOLD)}  "
        f"{paint(sev.ljust(7), _SEVERITY_STYLE[Severity(sev)])}  {_clean(name)}"
        for (rule, sev, name), count in rows
    ]


def _per_model(results: Iterable[Result], paint: _Painter) -> str:
    counts: dict[str, int] = {}
    for res in results:
        if res.status == Status.PASS:
            group = group_of(res)
            counts[group] = counts.get(group, 0) + 1
    shown = ", ".join(f"{_clean(g) or '(repository)'} {n}" for g, n in sorted(counts.items()))
    return paint(f"passed per model: {shown or 'none'}", _GREEN)


def _result_lines(res: Result, paint: _Painter) -> list[str]:
    status = Status(res.status)
    if status == Status.FAIL:
        severity = Severity(res.severity)
        label = paint(severity.value, _SEVERITY_STYLE[severity])
    elif status == Status.SKIP:
        label = paint("skipped", _MAGENTA)
    else:
        label = paint("passed", _GREEN)

    head = f"{paint(_where(res), _BOLD)}: {paint(_clean(res.rule), _BOLD)} {label}: "
    message = _clean(res.message).split("\n")
    lines = [head + message[0]]
    lines.extend(_INDENT * 2 + more for more in message[1:])
    if status == Status.FAIL and res.remediation:
        fix = _clean(res.remediation).split("\n")
        lines.append(_INDENT * 2 + paint("fix:", _CYAN) + " " + fix[0])
        lines.extend(_INDENT * 3 + more for more in fix[1:])
    return lines


def _where(res: Result) -> str:
    loc = res.location
    if loc is None:
        return _one_line(res.subject) or "."
    where = _one_line(loc.path) or "."
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


def _fail_words(result: RunResult) -> str:
    fail = summary(result)["fail"]
    words = [_plural(fail["error"], "error"), _plural(fail["warning"], "warning")]
    if fail["info"]:
        words.append(f"{fail['info']} info")
    return ", ".join(words)


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def _clean(text: str) -> str:
    """Drop control characters (ANSI escapes included); keep newlines and tabs."""
    return _CONTROL.sub("", _ANSI.sub("", text.replace("\r\n", "\n")))


def _one_line(path: str) -> str:
    """A path (a folder may be named ``a<newline>b``) or a note on its one line."""
    return _clean(path).replace("\n", "\\n")
