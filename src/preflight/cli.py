"""Command line: `check`, `facts`, `rules`, `explain`, `validate-rules`, `manifest`.

The parser is here; :data:`preflight.commands.COMMANDS` runs each subcommand. Kept thin and
light: each command imports what it needs when it runs. Any
:class:`~preflight.errors.PreflightError` becomes its lines on stderr and exit status 2.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

from . import __version__
from .errors import PreflightError, UsageError
from .reporters import FACTS_FORMATS, FORMATS, RULE_FORMATS

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2


class _Parser(argparse.ArgumentParser):
    """argparse that reports usage errors as one line and exit status 2."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{self.prog}: {message} (see '{self.prog} --help')")


def _parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="preflight", description="Validate Triton model repositories before deployment."
    )
    p.add_argument("--version", action="version", version=f"preflight {__version__}")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)

    c = sub.add_parser("check", help="validate a Triton model repository")
    c.add_argument("repo", type=Path)
    c.add_argument("--target-gpu", metavar="GPU")
    c.add_argument("--triton-version", metavar="YY.MM")
    c.add_argument("--trt-version", metavar="X.Y.Z[.W]")
    c.add_argument("--trtllm-version", metavar="X.Y.Z")
    c.add_argument("--gpu-count", type=int, metavar="N")
    c.add_argument("--build-log", type=Path, metavar="FILE")
    c.add_argument("--format", choices=FORMATS, default="text")
    c.add_argument("--output", type=Path, metavar="FILE")
    c.add_argument("--fail-on", choices=("error", "warning", "info"))
    c.add_argument("--config", type=Path, metavar="FILE")
    c.add_argument(
        "--rules",
        type=Path,
        action="append",
        default=[],
        metavar="DIR",
        help="also load the rule files in DIR (repeatable)",
    )
    c.add_argument(
        "--path-map",
        action="append",
        default=[],
        metavar="FROM=TO",
        help="map a path written in a config (e.g. in the container) to one on disk",
    )
    c.add_argument("--deserialize", action="store_true", default=None)
    c.add_argument(
        "--require-deserialize",
        action="store_true",
        default=None,
        help="with --deserialize: a skipped deserialization fails",
    )
    c.add_argument("--server", metavar="URL")
    c.add_argument("--verbose", "-v", action="store_true", help="list passing results too")
    c.add_argument("--color", choices=("auto", "always", "never"), default="auto")

    f = sub.add_parser("facts", help="print the facts extracted from artifacts, no rules")
    f.add_argument("--build-log", type=Path, metavar="FILE")
    f.add_argument("--engine", type=Path, metavar="FILE")
    f.add_argument("--engine-config", type=Path, metavar="FILE")
    f.add_argument("--repo", type=Path, metavar="DIR")
    f.add_argument("--pbtxt", type=Path, metavar="FILE")
    f.add_argument(
        "--deserialize",
        action="store_true",
        help="with --engine: also deserialize it with TensorRT in a child process",
    )
    f.add_argument("--format", choices=FACTS_FORMATS, default="json")

    r = sub.add_parser("rules", help="list every rule")
    r.add_argument("--format", choices=RULE_FORMATS, default="text")
    r.add_argument("--rules", type=Path, action="append", default=[], metavar="DIR")

    e = sub.add_parser("explain", help="what a rule checks, why, and how to fix it")
    e.add_argument("rule", metavar="RULE")
    e.add_argument("--rules", type=Path, action="append", default=[], metavar="DIR")

    v = sub.add_parser("validate-rules", help="validate rule files against the schema")
    v.add_argument("dirs", type=Path, nargs="*", metavar="DIR")

    m = sub.add_parser("manifest", help="write or verify an engine integrity manifest")
    m.add_argument("action", choices=("write", "verify"))
    m.add_argument("engine_dir", type=Path, metavar="ENGINE_DIR")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = _parser().parse_args(argv)
        from .commands import COMMANDS

        return COMMANDS[args.command](args)
    except PreflightError as exc:
        for line in exc.lines:
            print(
                f"preflight: {line}" if not line.startswith("preflight") else line, file=sys.stderr
            )
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("preflight: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return EXIT_OK
    except Exception as exc:  # a bug in preflight: one line and status 2, never a traceback
        if os.environ.get("PREFLIGHT_DEBUG"):
            raise
        text = str(exc).splitlines()[0][:300] if str(exc) else ""
        print(
            f"preflight: internal error: {type(exc).__name__}: {text} "
            "(set PREFLIGHT_DEBUG=1 for the traceback; please report it)",
            file=sys.stderr,
        )
        return EXIT_USAGE


def run() -> None:
    raise SystemExit(main())


if __name__ == "__main__":
    run()
