"""Command line: `check`, `facts`, `rules`, `explain`, `validate-rules`, `manifest`.

The parser is here; :data:`preflight.commands.COMMANDS` runs each subcommand. Kept thin and
light: each command imports what it needs when it runs. Any
:class:`~preflight.errors.PreflightError` becomes its lines on stderr and exit status 2.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

from . import __version__
from .errors import PreflightError, UsageError
from .reporters import FACTS_FORMATS, FORMATS, RULE_FORMATS

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2
EXIT_INTERRUPTED, EXIT_TERMINATED = 130, 143  # 128 + SIGINT, 128 + SIGTERM


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
    c.add_argument(
        "repo",
        nargs="*",
        metavar="REPO",
        help="the model repository (default: every one found below the current directory); "
        "several as Triton takes several --model-repository; a folder or s3://bucket/path, "
        "s3://host:port/bucket/path, gs://bucket/path, as://account/container/path",
    )
    c.add_argument(
        "--target",
        choices=("none",),
        help="none: no deployment target, layout and config checks only (otherwise a run "
        "whose GPU or serving software stays unknown reports an error)",
    )
    c.add_argument("--target-gpu", metavar="GPU")
    c.add_argument("--triton-version", metavar="YY.MM")
    c.add_argument("--driver", metavar="X.Y[.Z]", help="the host's NVIDIA driver (or auto: NVML)")
    c.add_argument("--trt-version", metavar="X.Y.Z[.W]")
    c.add_argument("--trtllm-version", metavar="X.Y.Z")
    c.add_argument("--gpu-count", type=int, metavar="N")
    c.add_argument(
        "--gpu-memory", type=float, metavar="GIB", help="usable memory per GPU (MIG, shared GPU)"
    )
    c.add_argument(
        "--world-size", type=int, metavar="N", help="the MPI world size the server runs with"
    )
    c.add_argument(
        "--disable-auto-complete-config",
        action="store_true",
        help="the server runs without auto-complete (--disable-auto-complete-config)",
    )
    c.add_argument("--build-log", type=Path, metavar="FILE")
    c.add_argument(
        "--format",
        action="append",
        metavar="FORMAT[=FILE]",
        help=f"report format, one of {', '.join(FORMATS)} (default text); repeat for several "
        "reports in one run, each but one written to its own FILE (sarif=preflight.sarif)",
    )
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
    c.add_argument(
        "--allow-root",
        type=Path,
        action="append",
        default=[],
        metavar="DIR",
        help="links from the repository may lead into DIR (by default nothing outside the "
        "repository is read)",
    )
    c.add_argument("--deserialize", action="store_true", default=None)
    c.add_argument(
        "--require-deserialize",
        action="store_true",
        default=None,
        help="with --deserialize: a skipped deserialization fails",
    )
    c.add_argument(
        "--require-build-log",
        action="store_true",
        default=None,
        help="a TensorRT-LLM model without a trtllm-build log fails (by default the build "
        "facts come from config.json and the engine headers)",
    )
    c.add_argument("--server", metavar="URL")
    c.add_argument(
        "--model-repository",
        action="append",
        default=[],
        metavar="REPO",
        help="one more model repository, as tritonserver takes it (repeatable; the same as "
        "naming it after the first REPO)",
    )
    c.add_argument(
        "--verify-hashes",
        action="store_true",
        help="a repository in object storage: stream every file its manifests list and check "
        "its SHA-256 (otherwise sizes from the listing and headers only)",
    )
    c.add_argument(
        "--store-timeout",
        type=float,
        default=30.0,
        metavar="SECONDS",
        help="object storage: connect and read timeout of each request (default 30)",
    )
    c.add_argument(
        "--store-retries",
        type=int,
        default=3,
        metavar="N",
        help="object storage: tries after a failed request, with backoff (default 3)",
    )
    c.add_argument(
        "--store-workers",
        type=int,
        default=8,
        metavar="N",
        help="object storage: objects read at once (default 8)",
    )
    c.add_argument("--verbose", "-v", action="store_true", help="list passing results too")
    c.add_argument("--color", choices=("auto", "always", "never"), default="auto")
    # Linter switches (the public interface names them)
    c.add_argument(
        "--select",
        action="append",
        default=[],
        metavar="RULES",
        help="only these rules: ids, names or id prefixes such as TRITON (comma-separated)",
    )
    c.add_argument(
        "--ignore",
        action="append",
        default=[],
        metavar="RULES",
        help="leave these rules out: ids, names or id prefixes (comma-separated)",
    )
    c.add_argument("--exit-zero", action="store_true", help="exit 0 even with findings")
    c.add_argument("--quiet", "-q", action="store_true", help="print the findings only")
    c.add_argument("--statistics", action="store_true", help="print a count per rule only")
    c.add_argument(
        "--baseline",
        type=Path,
        metavar="FILE",
        help="findings recorded in FILE are reported as known and do not fail",
    )
    c.add_argument(
        "--write-baseline", type=Path, metavar="FILE", help="record today's findings in FILE"
    )
    c.add_argument(
        "--sarif-root",
        type=Path,
        metavar="DIR",
        help="the checkout root SARIF, GitHub and GitLab paths are relative to "
        "(default: found from git, else the current directory)",
    )

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
    e.add_argument(
        "rule", metavar="RULE", help="a rule id or name, or a pasted Triton/TensorRT error line"
    )
    e.add_argument("--rules", type=Path, action="append", default=[], metavar="DIR")

    v = sub.add_parser("validate-rules", help="validate rule files against the schema")
    v.add_argument("dirs", type=Path, nargs="*", metavar="DIR")

    m = sub.add_parser("manifest", help="write or verify an engine integrity manifest")
    m.add_argument("action", choices=("write", "verify"))
    m.add_argument("engine_dir", type=Path, metavar="ENGINE_DIR")
    return p


class _Terminated(BaseException):
    """SIGTERM, raised where the program is so that cleanups run (children, temporary files)."""


def _on_sigterm(signum: int, frame: object) -> None:
    raise _Terminated


def main(argv: Sequence[str] | None = None) -> int:
    from .templates import neutral

    if sys.stdout is None:  # started with standard output closed
        print("preflight: standard output is closed", file=sys.stderr)
        return EXIT_USAGE
    try:
        previous: object = signal.signal(signal.SIGTERM, _on_sigterm)
    except ValueError:  # not the main thread (an embedding program): leave signals alone
        previous = None
    try:
        args = _parser().parse_args(argv)
        from .commands import COMMANDS

        status = COMMANDS[args.command](args)
        sys.stdout.flush()  # a full disk shows here, not as a failure at interpreter exit
        return status
    except PreflightError as exc:
        for line in exc.lines:
            line = neutral(line, 2000)  # text from the repository: escaped, one line
            print(
                f"preflight: {line}" if not line.startswith("preflight") else line, file=sys.stderr
            )
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("preflight: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except _Terminated:
        print("preflight: terminated", file=sys.stderr)
        return EXIT_TERMINATED
    except BrokenPipeError:
        _stdout_to_devnull()
        return EXIT_OK
    except OSError as exc:  # standard output full or gone (reading errors are findings)
        _stdout_to_devnull()
        print(f"preflight: cannot write the output: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_USAGE
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
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)  # type: ignore[arg-type]
        from . import safe_files

        safe_files.reset()  # the boundary and caps were this run's (main may run again)


def _stdout_to_devnull() -> None:
    """So that the flush at exit does not fail a second time."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass


def run() -> None:
    raise SystemExit(main())


if __name__ == "__main__":
    run()
