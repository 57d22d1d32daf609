"""The work behind each CLI command: check the arguments, wire the parts, hand over to a reporter.

``COMMANDS`` maps each subcommand to its function. Only this module and ``cli`` raise
:class:`~preflight.errors.UsageError`; the other parts raise their own
:class:`~preflight.errors.PreflightError` kinds, which the CLI prints the same way (exit 2).
Each command imports what it needs when it runs, so start-up stays light.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from . import __version__
from .errors import UsageError
from .model import Fact, Facts, Result, Rule, RunResult, Severity, Status, Target

if TYPE_CHECKING:  # settings imports the evaluator: only when a command needs it
    from .evaluator.suppress import Suppression
    from .settings import Settings


def _load_rules(extra: list[Path]) -> list[Rule]:
    from .rules.loader import builtin_rules_dir, load_rules

    dirs = [(builtin_rules_dir(), False)] + [(Path(d), True) for d in extra]
    return load_rules(dirs)


def _find_rule(rules: list[Rule], key: str) -> Rule:
    for rule in rules:
        if key.upper() == rule.id or key.lower() == rule.name:
            return rule
    import difflib

    close = difflib.get_close_matches(key, [r.id for r in rules] + [r.name for r in rules], n=3)
    hint = f"; did you mean {', '.join(close)}?" if close else ""
    raise UsageError(f"no rule {key!r}{hint} (see 'preflight rules')")


# The target inputs: key in .preflight.yaml `target:`, option, attribute of the parsed args.
_TARGET_INPUTS = (
    ("gpu", "target-gpu", "target_gpu"),
    ("triton", "triton-version", "triton_version"),
    ("trt", "trt-version", "trt_version"),
    ("trtllm", "trtllm-version", "trtllm_version"),
    ("gpu_count", "gpu-count", "gpu_count"),
)


def _target(args: argparse.Namespace, wanted: dict[str, Any]) -> tuple[Target, Facts, list[str]]:
    """The deployment target from the options, then ``.preflight.yaml``'s ``target:``: the
    report's :class:`Target`, the ``target.*`` facts and the notes ``--verbose`` prints."""
    from .data import gpus
    from .sources import nvml
    from .sources import target as target_source

    given = {key: getattr(args, attr) or wanted.get(key) for key, _flag, attr in _TARGET_INPUTS}
    origins = {
        key: (f"--{flag}" if getattr(args, attr) else f".preflight.yaml target.{key}")
        for key, flag, attr in _TARGET_INPUTS
    }
    if given["trt"] is None and given["triton"] is None:
        installed = target_source.installed_tensorrt()
        if installed is not None:
            given["trt"] = installed
            origins["trt"] = f"the installed tensorrt package {installed}"
    gpu = None
    if given["gpu"]:
        spec = str(given["gpu"])
        gpu = nvml.detect_gpu() if spec.lower() == "auto" else gpus.resolve_gpu(spec)
    facts = target_source.target_facts(
        gpu=gpu,
        triton=given["triton"],
        trt=given["trt"],
        trtllm=given["trtllm"],
        gpu_count=given["gpu_count"],
        origins=origins,
    )
    values = {k: f.value for k, f in facts.items()}
    sources = values.get("target.sources") or {}
    notes = [
        f"target {key.replace('_', ' ')} {values[f'target.{key}']}: "
        + (sources[key].split(" (")[0] if key == "gpu" else sources[key])
        for key in ("gpu", "trt_version", "trt_version_plain", "trtllm_version")
        if key in sources and f"target.{key}" in values
    ]
    return target_source.target_from_facts(facts), facts, notes


def readable_input(path: Path, what: str) -> None:
    """A file named on the command line must be a readable regular file (usage error, exit 2);
    the same problem inside the repository is a finding instead."""
    if not path.exists():
        raise UsageError(f"{path}: {what} not found")
    if not path.is_file():
        raise UsageError(f"{path}: {what} is not a regular file")
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        raise UsageError(f"{path}: cannot read the {what}: {exc.strerror or exc}") from None
    os.close(fd)


def _repository(repo: Path) -> Path:
    if not repo.is_dir():
        what = "no such directory" if not repo.exists() else "not a directory"
        raise UsageError(f"{repo}: {what} (preflight check takes a Triton model repository)")
    try:
        next(iter(os.scandir(repo)), None)
    except OSError as exc:
        raise UsageError(f"{repo}: cannot read the repository: {exc.strerror or exc}") from None
    return repo


def _settings(args: argparse.Namespace, repo: Path) -> Settings:
    """``--config FILE``, else ``REPO/.preflight.yaml`` when present, else the defaults."""
    from . import settings

    path = args.config or (repo / settings.SETTINGS_NAME)
    if args.config is not None and not args.config.is_file():
        what = "is not a file" if args.config.exists() else "not found"
        raise UsageError(f"{args.config}: config file {what}")
    if args.config is None and path.exists() and not path.is_file():
        raise UsageError(f"{path}: not a file")
    return settings.load(path) if path.is_file() else settings.Settings()


def _suppress(results: list[Result], suppressions: list[Suppression], repo: Path) -> list[Result]:
    """Suppressions name paths as the report shows them (relative to the repository): match
    them there, and keep each result's own location."""
    from .evaluator import suppress
    from .reporters.shared import shown

    out = []
    for result in results:
        view = shown(result, str(repo))
        [decided] = suppress.apply([view], suppressions)
        if decided is not view:
            result = replace(result, status=decided.status, message=decided.message)
        out.append(result)
    return out


def cmd_check(args: argparse.Namespace) -> int:
    from . import settings as settings_mod
    from .evaluator import evaluate, suppress
    from .reporters import REPORTERS
    from .reporters.shared import rule_meta
    from .scan import ScanOptions, scan
    from .sources import server

    repo = _repository(args.repo)
    if args.server:
        server.parse_url(args.server)
    if args.gpu_count is not None and args.gpu_count < 1:
        raise UsageError(f"--gpu-count {args.gpu_count}: expected a positive whole number")
    cfg = _settings(args, repo)

    rules = _load_rules([*cfg.rule_dirs, *args.rules])
    known = {r.id: set(r.options) for r in rules} | {r.name: set(r.options) for r in rules}
    settings_mod.check_rule_settings(cfg, known)

    target, target_facts, notes = _target(args, cfg.target)
    try:
        path_map = cfg.path_map + [settings_mod.parse_path_map(e) for e in args.path_map]
    except ValueError as exc:
        raise UsageError(f"--path-map: {exc}") from None
    build_log = args.build_log or cfg.build_log
    if build_log is not None:
        readable_input(build_log, "build log")
    options = ScanOptions(
        build_log=build_log,
        path_map=path_map,
        deserialize=bool(args.deserialize if args.deserialize is not None else cfg.deserialize),
        require_deserialize=bool(
            args.require_deserialize
            if args.require_deserialize is not None
            else cfg.require_deserialize
        ),
    )
    if options.require_deserialize:
        options.deserialize = True
    scanned = scan(repo, target_facts, options)
    subjects = scanned.subjects
    if args.server:
        models = [s for s in subjects if s.kind == "triton-model"]
        subjects.append(server.server_subject(args.server, repo, models))
    suppressions = list(cfg.ignore)
    directive_notes: list[str] = []
    for subject in subjects:
        if subject.kind == "triton-model":
            found, bad = suppress.from_facts(subject.name, subject.facts)
            suppressions += found
            directive_notes += bad
    results = _suppress(evaluate(rules, subjects, cfg.rules), suppressions, repo)
    run = RunResult(
        preflight_version=__version__,
        repo=str(repo),
        target=target,
        results=tuple(results),
        notes=tuple((notes if args.verbose else []) + scanned.notes + directive_notes),
    )
    fail_on = Severity(args.fail_on or cfg.fail_on or "error")
    failing = [r for r in results if r.status is Status.FAIL and r.severity.rank >= fail_on.rank]
    with _output(args.output) as out:
        color = args.color == "always" or (args.color == "auto" and out.isatty())
        REPORTERS[args.format](run, out, color=color, verbose=args.verbose, rules=rule_meta(rules))
    return 1 if failing else 0


@contextmanager
def _output(path: Path | None) -> Iterator[TextIO]:
    """Standard output, or ``--output FILE``. A reader that stops early (a broken pipe) does
    not change the verdict."""
    out = open_output(path)
    try:
        yield out
        out.flush()
    except BrokenPipeError:
        _silence_stdout()
    finally:
        if out is not sys.stdout:
            out.close()


def _silence_stdout() -> None:
    """After a broken pipe, point stdout at /dev/null so the exit flush does not fail again."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())


def open_output(path: Path | None) -> TextIO:
    if path is None:
        return sys.stdout
    try:
        return path.open("w", encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"{path}: cannot write: {exc.strerror}") from None


def cmd_facts(args: argparse.Namespace) -> int:
    from .facts import merge
    from .reporters import FACTS_REPORTERS

    facts: Facts = {}
    inputs = [args.build_log, args.engine, args.engine_config, args.repo, args.pbtxt]
    if not any(i is not None for i in inputs):
        raise UsageError(
            "facts: give at least one of --build-log, --engine, --engine-config, --repo, --pbtxt"
        )
    for path, what in (
        (args.build_log, "build log"),
        (args.engine_config, "engine config"),
        (args.pbtxt, "config.pbtxt"),
        (args.engine, "engine"),
    ):
        if path is not None:
            readable_input(path, what)
    if args.build_log is not None:
        from .sources import trtllm_log

        merge(facts, trtllm_log.extract(args.build_log), trtllm_log.NAMESPACES)
    if args.engine is not None:
        from .sources import trt_engine

        merge(facts, trt_engine.extract(args.engine), trt_engine.NAMESPACES)
        if args.deserialize:
            from .sources import deserialize

            merge(facts, deserialize.deserialize(args.engine), deserialize.NAMESPACES)
    if args.engine_config is not None:
        from .sources import engine_config

        merge(facts, engine_config.extract(args.engine_config), engine_config.NAMESPACES)
    if args.pbtxt is not None:
        from .sources import triton_config

        parsed = triton_config.parse(args.pbtxt)
        merge(facts, triton_config.config_facts(parsed), triton_config.NAMESPACES)
    subjects = None
    if args.repo is not None:
        from .scan import ScanOptions, scan

        result = scan(args.repo, {}, ScanOptions())
        subjects = {f"{s.kind}:{s.name}": _own(s.facts) for s in result.subjects}
    FACTS_REPORTERS[args.format](facts, sys.stdout, subjects=subjects)
    return 0


def _own(facts: Facts) -> Facts:
    """A subject's facts without the target's, which every subject shares."""
    return {k: v for k, v in facts.items() if not k.startswith("target.")}


def cmd_rules(args: argparse.Namespace) -> int:
    from .reporters import RULE_REPORTERS

    RULE_REPORTERS[args.format](_load_rules(args.rules), sys.stdout)
    return 0


def cmd_explain(args: argparse.Namespace) -> int:
    from .reporters import EXPLAIN

    EXPLAIN(_find_rule(_load_rules(args.rules), args.rule), sys.stdout)
    return 0


def cmd_validate_rules(args: argparse.Namespace) -> int:
    from .rules.loader import builtin_rules_dir, iter_all_errors

    dirs = args.dirs or [builtin_rules_dir()]
    errors = list(iter_all_errors(dirs))
    for line in errors:
        print(line, file=sys.stderr)
    if errors:
        return 2
    print(f"rules valid: {', '.join(str(d) for d in dirs)}")
    return 0


def cmd_manifest(args: argparse.Namespace) -> int:
    from .evaluator import evaluate_rule
    from .model import Subject
    from .sources import manifest

    engine_dir: Path = args.engine_dir
    if not engine_dir.is_dir():
        raise UsageError(f"{engine_dir}: not a directory")
    if args.action == "write":
        path = manifest.write_manifest(engine_dir)
        print(f"wrote {path}")
        return 0
    facts = manifest.extract(engine_dir)
    present = facts.get("manifest.present")
    if present is None or not present.value:
        raise UsageError(
            f"{engine_dir}: no manifest to verify (run 'preflight manifest write' first)"
        )
    # the words of a mismatch are those of `check` (TRT007)
    rule = _find_rule(_load_rules([]), "TRT007")
    subject = Subject("trtllm-model", str(engine_dir), str(engine_dir), facts)
    mismatches = [r for r in evaluate_rule(rule, subject) if r.status is Status.FAIL]
    for m in mismatches:
        print(m.message)
    checked = facts.get("manifest.checked", Fact(0)).value
    print(f"{checked} files checked, {len(mismatches)} mismatches")
    return 1 if mismatches else 0


# Subcommand -> the function that runs it (the CLI's parser defines the same names).
COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "check": cmd_check,
    "facts": cmd_facts,
    "rules": cmd_rules,
    "explain": cmd_explain,
    "validate-rules": cmd_validate_rules,
    "manifest": cmd_manifest,
}
