"""Shared pieces of the property-based tests in tests/fuzz: hostile values, mutations of real
artifacts, a time bound per example, and the CLI contract (exit 0/1/2, one line per problem, no
traceback).

Two sizes of run: the default one (``make test``) is a fixed-seed small sample
(``derandomize=True``); ``-m slow`` runs the large one (``PREFLIGHT_FUZZ_EXAMPLES`` sets its size).
"""

from __future__ import annotations

import io
import os
import re
import shutil
import signal
from collections.abc import Callable, Iterator
from contextlib import contextmanager, redirect_stderr, redirect_stdout
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "model_repo"
DATA = ROOT / "tests" / "data"
TARGET = ["--target-gpu", "L4", "--triton-version", "25.06"]

# --- sizes of run -------------------------------------------------------------------------

SLOW_EXAMPLES = int(os.environ.get("PREFLIGHT_FUZZ_EXAMPLES", "2000"))

# A parser call is bounded by PARSER_SECONDS, a whole CLI run by CLI_SECONDS: the held-out
# fuzzer's bound is 5 s; a CLI run gets more because 8 jobs may share 2 cores.
PARSER_SECONDS = 5.0
CLI_SECONDS = 20.0


class Examples(int):
    """How many examples a property runs; ``large``: a random run (``-m slow``), else the
    fixed-seed sample."""

    large = False


class LargeExamples(Examples):
    large = True


def sizes(small: int, slow_divisor: int = 1) -> list[Any]:
    """The two sizes as pytest params: ``small`` examples by default, many under ``-m slow``."""
    large = LargeExamples(max(small, SLOW_EXAMPLES // slow_divisor))
    return [
        pytest.param(Examples(small), id="sample"),
        pytest.param(large, id="large", marks=pytest.mark.slow),
    ]


def fuzz_settings(examples: int) -> settings:
    large = getattr(examples, "large", False)
    return settings(
        max_examples=examples,
        derandomize=not large,  # the default run is the same sample every time
        database=None,  # nothing written into the tree
        deadline=None,  # time is bounded by time_bound (a hang is a failure, not a flake)
        suppress_health_check=[
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
            HealthCheck.filter_too_much,
            HealthCheck.large_base_example,
        ],
        print_blob=True,
    )


def run_property(
    examples: int, strategy: st.SearchStrategy[Any], prop: Callable[[Any], None]
) -> int:
    """Run ``prop`` on ``examples`` values of ``strategy``; returns how many ran."""
    from hypothesis import given

    count = [0]

    @fuzz_settings(examples)
    @given(strategy)
    def check(value: Any) -> None:
        count[0] += 1
        prop(value)

    check()
    COUNTS[prop.__name__] = COUNTS.get(prop.__name__, 0) + count[0]
    return count[0]


COUNTS: dict[str, int] = {}  # examples run per property, printed by the conftest at the end


# --- the time bound -----------------------------------------------------------------------


class Hang(BaseException):  # not an Exception: a parser's `except Exception` must not eat it
    """An example ran past its time bound."""


@contextmanager
def time_bound(seconds: float) -> Iterator[None]:
    """Interrupt the block after ``seconds`` (SIGALRM also breaks a blocking open or read)."""

    def on_alarm(signum: int, frame: object) -> None:
        raise Hang(f"no result after {seconds} s")

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@contextmanager
def unconfined() -> Iterator[None]:
    """A parser called as a library: no repository boundary, default caps; the CLI's global
    state (roots, caps) restored after, so one example never leaks into the next."""
    from preflight import safe_files

    caps = dict(safe_files.CAPS)
    with safe_files.confined():
        try:
            yield
        finally:
            safe_files.CAPS.clear()
            safe_files.CAPS.update(caps)


# --- hostile values -----------------------------------------------------------------------

HUGE_DIGITS = "9" * 4500  # past Python's int-string limit (4300)
HOSTILE_TOKENS: list[str] = [
    HUGE_DIGITS,
    "-" + "1" * 5000,
    "1" + "0" * 10000,
    "1" * 31,
    ".",
    "-.",
    "..",
    "1.2.3",
    "1e99999",
    "-1e-99999",
    "NaN",
    "Infinity",
    "-0",
    "0x7fffffffffffffffffff",
    "١٢٣",  # Arabic-Indic digits: str.isdigit() is true, int() accepts them
    "²³",  # superscripts: isdigit() true, int() refuses
    "１２",  # fullwidth
    "৩",
    "\x00",
    "a\x00b",
    "\x1b[2J\x1b[31mZQX",
    "\x1b]0;title\x07",
    "\rZQX",
    "\nZQX injected",
    "\u2028ZQX",
    r"a\nZQX escaped",  # the escaped forms pbtxt, JSON and YAML strings decode
    r"\x1b[31mZQX",
    r"\u001b[2JZQX",
    r"\u2028ZQX",
    r"\r\nZQX",
    "\x85ZQX",
    "\ufeff",
    "${" * 3000,
    "${x}" * 2000,
    "${" + "a" * 5000 + "}",
    "[" * 3000,
    "{" * 3000,
    "a {" * 2000,
    "- " * 2000,
    "a" * 200_000,
    "'",
    '"',
    "\\",
    "\\u0000",
    "&a [*a, *a]",
    "!!python/object/apply:os.system ['true']",
    "{subject:>100000000}",
    "{option.__class__}",
    "%s%s%n",
    "../../../../etc/passwd",
    "x" * 300,  # a file name longer than the system allows
    "/models/" + "y" * 300 + "/1",
    "/proc/self/environ",
    "\ud800",  # a lone surrogate: written as invalid UTF-8
    "true",
    "null",
    "~",
    "2026-01-01",
    "2026-01-01T00:00:00Z",
    "-1",
    "0",
    "18446744073709551616",
]
HOSTILE_BYTES: list[bytes] = [
    b"\xff\xfe",
    b"\xc3(",
    b"\xed\xa0\x80",
    b"\xef\xbb\xbf",
    b"\x00" * 64,
    b"\x80\x81\x82",
]


def one_of_list(items: list[Any]) -> st.SearchStrategy[Any]:
    """``sampled_from`` without its repr (thousands of digits do not print: int-string limit)."""
    return st.integers(0, len(items) - 1).map(lambda i: items[i])


token = one_of_list(HOSTILE_TOKENS) | st.text(max_size=20)


def encode(text: str) -> bytes:
    return text.encode("utf-8", errors="surrogatepass")


_DIGITS = re.compile(rb"\d+(?:\.\d+)?")
_VALUE = re.compile(rb'(?<=[:=] )[^\n,}]+|"[^"\n]*"')


@st.composite
def mutated(draw: st.DrawFn, base: bytes, max_ops: int = 4) -> bytes:
    """``base`` (a real artifact) with a few hostile edits: a number or a value replaced by a
    hostile token, tokens or raw bytes inserted, a line repeated, the file cut short."""
    data = base
    for _ in range(draw(st.integers(1, max_ops))):
        op = draw(st.sampled_from(["number", "value", "insert", "bytes", "repeat", "cut", "line"]))
        if op in ("number", "value"):
            spans = [m.span() for m in (_DIGITS if op == "number" else _VALUE).finditer(data)]
            if spans:
                a, b = spans[draw(st.integers(0, len(spans) - 1))]
                data = data[:a] + encode(draw(token)) + data[b:]
                continue
            op = "insert"
        at = draw(st.integers(0, len(data)))
        if op == "insert":
            data = data[:at] + encode(draw(token)) + data[at:]
        elif op == "bytes":
            raw = draw(one_of_list(HOSTILE_BYTES) | st.binary(max_size=16))
            data = data[:at] + raw + data[at:]
        elif op == "repeat":
            lines = data.split(b"\n")
            i = draw(st.integers(0, len(lines) - 1))
            lines[i:i] = [lines[i]] * draw(st.integers(2, 2000))
            data = b"\n".join(lines)
        elif op == "cut":
            data = data[:at]
        else:  # a whole hostile line
            data = data[:at] + b"\n" + encode(draw(token)) + b"\n" + data[at:]
    return data


# --- the CLI contract ---------------------------------------------------------------------

# Characters that would break "one line per problem" or reach the terminal as escapes.
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]")
_STDOUT_SHAPES = [
    re.compile(p)
    for p in (
        r"^$",
        r"^preflight \S+: ",  # header
        r"^(target|note|warning): ",
        r"^    fix: ",
        r"^Found \d+ ",
        r"^ +\d+ +[A-Z]+\d+ ",  # count per rule
        r"^\d+ errors?, ",  # totals
        r"^passed per model: ",
        r"^\(the same skip again on other files: ",
        r"^\S.*: [A-Z]+\d+ (error|warning|info|skipped|passed|accepted)\b",  # a finding
        r"^\S.*: (skipped|accepted) ([A-Z]+\d+|\d+ rules \(-v lists them\))",  # condensed skips
    )
]


class CliResult:
    def __init__(self, status: int, out: str, err: str) -> None:
        self.status, self.out, self.err = status, out, err

    def __repr__(self) -> str:
        return f"status {self.status}\n--- stdout\n{self.out[:3000]}\n--- stderr\n{self.err[:3000]}"


def run_cli(*argv: str, seconds: float = CLI_SECONDS) -> CliResult:
    """``preflight ARGV`` in this process (a subprocess per example would cost 0.5 s):
    with PREFLIGHT_DEBUG set an internal error raises here, with its traceback, instead of
    becoming the one-line "internal error"."""
    from preflight import cli

    out, err = io.StringIO(), io.StringIO()
    saved = os.environ.get("PREFLIGHT_DEBUG")
    os.environ["PREFLIGHT_DEBUG"] = "1"
    try:
        with unconfined(), time_bound(seconds), redirect_stdout(out), redirect_stderr(err):
            status = cli.main(list(argv))
    finally:
        if saved is None:
            os.environ.pop("PREFLIGHT_DEBUG", None)
        else:
            os.environ["PREFLIGHT_DEBUG"] = saved
    return CliResult(status, out.getvalue(), err.getvalue())


def assert_contract(
    res: CliResult, statuses: tuple[int, ...] = (0, 1, 2), text: bool = True
) -> None:
    """Exit 0/1/2; no traceback or internal error; every line one line (no control or escape
    character, no line break inside a problem); in the text format, each stdout line of a
    known shape (an injected line break would start a line of another shape)."""
    assert res.status in statuses, res
    both = res.out + res.err
    assert "Traceback" not in res.err, res  # (a finding may quote a build log's traceback)
    assert "internal error" not in res.err, res
    bad = CONTROL.search(both)
    assert bad is None, f"control character {bad.group()!r} in the output\n{res!r}"
    for line in res.err.splitlines():
        assert line.startswith("preflight"), f"stderr line {line!r}\n{res!r}"
    if text:
        for line in res.out.splitlines():
            assert any(s.match(line) for s in _STDOUT_SHAPES), (
                f"stdout line {line[:300]!r}\n{res!r}"
            )
    assert "ZQX" not in "".join(line[:3] for line in both.splitlines()), res


REPORT_FILES = {
    "github": "report.github",
    "json": "report.json",
    "sarif": "report.sarif",
    "gitlab": "report.gitlab.json",
    "junit": "report.xml",
}


def report_options(folder: Path) -> list[str]:
    """``--format`` options that write every other report into ``folder`` in the same run."""
    out = ["--format", "text"]
    for name, file in REPORT_FILES.items():
        out += ["--format", f"{name}={folder / file}"]
    return out


def assert_reports(folder: Path) -> None:
    """The files of report_options: the GitHub workflow commands one line each, with no
    control character (a line break would start a command of the repository's choosing); the
    JSON reports JSON; the JUnit report well-formed XML."""
    import json
    import xml.etree.ElementTree as ET

    github = (folder / REPORT_FILES["github"]).read_text(encoding="utf-8")
    for line in github.splitlines():
        assert re.match(r"^::(error|warning|notice) ", line), f"github line {line[:300]!r}"
        assert CONTROL.search(line) is None, f"github line {line[:300]!r}"
    for name in ("json", "sarif", "gitlab"):
        json.loads((folder / REPORT_FILES[name]).read_text(encoding="utf-8"))
    ET.parse(folder / REPORT_FILES["junit"])


def copy_example(dest: Path) -> Path:
    repo = dest / "repo"
    shutil.copytree(EXAMPLE, repo, symlinks=True)
    return repo


def read(path: Path) -> bytes:
    return path.read_bytes()


def example_bytes(relative: str) -> bytes:
    return (EXAMPLE / relative).read_bytes()


def engine_seeds() -> list[bytes]:
    """Real plan headers: the example's engine, a real small plan and the first 4 KiB of a
    real engine (a truncated one is itself a hostile shape)."""
    engines = DATA / "shared" / "fixtures" / "engines"
    seeds = [example_bytes("tensorrt_llm/1/rank0.engine")]
    for name, limit in (
        ("smile2game_nvidia-game_model.plan", None),
        ("Mycoearthdome_camera_model.engine", 4096),
    ):
        path = engines / name
        if path.exists():
            seeds.append(path.read_bytes()[:limit])
    lfs = DATA / "engines" / "lfs_pointer_model.engine"
    if lfs.exists():
        seeds.append(lfs.read_bytes())
    return seeds


def as_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0
