"""``check --format github``: GitHub Actions workflow commands, one per finding.

Each failing result becomes ``::error file=PATH,line=N,col=N,title=ID name::message`` (a
warning ``::warning``, an info ``::notice``), which the runner turns into an annotation on
the pull request's diff. Paths are relative to the checkout root (``root``, as for SARIF),
since the runner resolves them against ``GITHUB_WORKSPACE``; a finding on a folder or a
missing file sits on the nearest ``config.pbtxt`` (line 1) and its message names the place.
The remediation follows the message on its own line. Values are escaped as the runner's
toolkit escapes them (``%``, CR, LF everywhere; ``:`` and ``,`` in properties).
Nothing is printed for passes and skips.
"""

from __future__ import annotations

import re
from typing import Any, TextIO

from preflight.model import Result, RunResult, Severity, Status
from preflight.reporters.shared import (
    absolute,
    checkout_root,
    ci_location,
    root_relative,
    sort_key,
    subject_path,
)

COMMANDS: dict[Severity, str] = {
    Severity.ERROR: "error",
    Severity.WARNING: "warning",
    Severity.INFO: "notice",
}


# Other control characters (an ESC from a folder name) are shown escaped, never written raw.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029]")


def _shown(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def escape_data(text: str) -> str:
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return _CONTROL.sub(_shown, text)


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def render(result: RunResult, out: TextIO, *, root: str | None = None, **_options: Any) -> None:
    """Write one workflow command per failing result; other options are ignored."""
    base = checkout_root(result.repo, root)
    failing = sorted((r for r in result.results if r.status == Status.FAIL), key=sort_key)
    for res in failing:
        out.write(command(res, result.repo, base) + "\n")


def command(res: Result, repo: str, root: str) -> str:
    path, line, column, moved = ci_location(res, repo, root)
    props = [f"file={escape_property(path)}", f"line={line}"]
    if column is not None:
        props.append(f"col={column}")
    props.append(f"title={escape_property(f'{res.rule} {res.name}')}")
    message = res.message or res.name
    if moved:
        raw = res.location.path if res.location is not None else subject_path(res.subject)
        message += f" (at {root_relative(absolute(raw or '.', repo), root)})"
    if res.remediation:
        message += f"\nfix: {res.remediation}"
    return f"::{COMMANDS[Severity(res.severity)]} {','.join(props)}::{escape_data(message)}"
