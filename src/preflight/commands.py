"""The work behind each CLI command."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

from . import __version__
from .errors import UsageError
from .model import Fact, Facts, Location, Result, Rule, RunResult, Severity, Status, Target


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


def _target(args: argparse.Namespace, settings: dict[str, Any]) -> tuple[Target, Facts, list[str]]:
    from . import target as tgt

    gpu_spec = args.target_gpu or settings.get("gpu")
    triton = args.triton_version or settings.get("triton")
    trt = args.trt_version or settings.get("trt")
    trtllm = args.trtllm_version or settings.get("trtllm")
    gpu_count = args.gpu_count or settings.get("gpu_count")
    installed_trt = None
    if trt is None and triton is None:
        installed_trt = _installed_tensorrt()
        trt = installed_trt
    origins = {
        key: (f"--{flag}" if getattr(args, attr) else f".preflight.yaml target.{key}")
        for key, flag, attr in (
            ("gpu", "target-gpu", "target_gpu"),
            ("triton", "triton-version", "triton_version"),
            ("trt", "trt-version", "trt_version"),
            ("trtllm", "trtllm-version", "trtllm_version"),
            ("gpu_count", "gpu-count", "gpu_count"),
        )
    }
    if installed_trt is not None:
        origins["trt"] = f"the installed tensorrt package {installed_trt}"
    try:
        gpu = None
        if gpu_spec:
            gpu = (
                tgt.detect_gpu()
                if str(gpu_spec).lower() == "auto"
                else tgt.resolve_gpu(str(gpu_spec))
            )
        facts = tgt.target_facts(
            gpu=gpu, triton=triton, trt=trt, trtllm=trtllm, gpu_count=gpu_count, origins=origins
        )
    except tgt.TargetError as exc:
        raise UsageError(str(exc)) from None
    values = {k: f.value for k, f in facts.items()}
    target = tgt.target_from_facts(facts)
    sources = values.get("target.sources") or {}
    notes = [
        f"target {key.replace('_', ' ')} {values[f'target.{key}']}: "
        + (sources[key].split(" (")[0] if key == "gpu" else sources[key])
        for key in ("gpu", "trt_version", "trt_version_plain", "trtllm_version")
        if key in sources and f"target.{key}" in values
    ]
    return target, facts, notes


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


def _installed_tensorrt() -> str | None:
    """Inside a serving container, the TensorRT that will load the engines: its package version.

    Read from the package metadata, without importing TensorRT (the lean runtime does not count:
    it loads only version-compatible plans).
    """
    from importlib import metadata

    for dist in ("tensorrt", "tensorrt-cu12", "tensorrt-cu13"):
        try:
            return metadata.version(dist)
        except metadata.PackageNotFoundError:
            continue
    return None


def _relocate(result: Result, repo: Path) -> Result:
    loc = result.location
    if loc is None:
        return result
    from dataclasses import replace

    from .discovery import relative_to_repo

    rel = relative_to_repo(loc.path, repo)

    return replace(result, location=Location(rel, loc.line, loc.column))


def cmd_check(args: argparse.Namespace) -> int:
    from . import config as cfgmod
    from .evaluator import evaluate, suppress
    from .repo import ScanOptions, scan
    from .reporters import REPORTERS

    repo: Path = args.repo
    if not repo.is_dir():
        what = "no such directory" if not repo.exists() else "not a directory"
        raise UsageError(f"{repo}: {what} (preflight check takes a Triton model repository)")
    try:
        next(iter(os.scandir(repo)), None)
    except OSError as exc:
        raise UsageError(f"{repo}: cannot read the repository: {exc.strerror or exc}") from None
    if args.server:
        from .server import parse_url

        parse_url(args.server)
    if args.gpu_count is not None and args.gpu_count < 1:
        raise UsageError(f"--gpu-count {args.gpu_count}: expected a positive whole number")
    cfg_path = args.config or (repo / cfgmod.CONFIG_NAME)
    if args.config is not None and not args.config.is_file():
        what = "is not a file" if args.config.exists() else "not found"
        raise UsageError(f"{args.config}: config file {what}")
    if args.config is None and cfg_path.exists() and not cfg_path.is_file():
        raise UsageError(f"{cfg_path}: not a file")
    cfg = cfgmod.load(cfg_path) if cfg_path.is_file() else cfgmod.Config()

    rules = _load_rules([*cfg.rule_dirs, *args.rules])
    known = {r.id: set(r.options) for r in rules} | {r.name: set(r.options) for r in rules}
    cfgmod.check_rule_settings(cfg, known)

    target, target_facts, notes = _target(args, cfg.target)
    try:
        path_map = cfg.path_map + [cfgmod.parse_path_map(e) for e in args.path_map]
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
    result_scan = scan(repo, target_facts, options)
    subjects = result_scan.subjects
    if args.server:
        from .server import server_subject

        models = [s for s in subjects if s.kind == "triton-model"]
        subjects.append(server_subject(args.server, repo, models))
    results = [_relocate(r, repo) for r in evaluate(rules, subjects, cfg.rules)]
    suppressions = list(cfg.ignore)
    directive_notes: list[str] = []
    for subject in subjects:
        if subject.kind == "triton-model":
            found, bad = suppress.from_pbtxt(repo, subject.name)
            suppressions += found
            directive_notes += bad
    results = suppress.apply(results, suppressions)
    run = RunResult(
        preflight_version=__version__,
        repo=str(repo),
        target=target,
        results=tuple(results),
        notes=tuple((notes if args.verbose else []) + result_scan.notes + directive_notes),
    )
    fail_on = Severity(args.fail_on or cfg.fail_on or "error")
    failing = [r for r in results if r.status is Status.FAIL and r.severity.rank >= fail_on.rank]
    status = 1 if failing else 0
    out = open_output(args.output)
    try:
        render = REPORTERS[args.format]
        if args.format == "text":
            color = args.color == "always" or (args.color == "auto" and out.isatty())
            render(run, out, color=color, verbose=args.verbose)
        elif args.format == "sarif":
            meta = {r.id: {"title": r.title, "why": r.why, "docs": r.docs} for r in rules}
            render(run, out, rules=meta)
        else:
            render(run, out)
        out.flush()
    except BrokenPipeError:  # a reader that stops early does not change the verdict
        _silence_stdout()
    finally:
        if out is not sys.stdout:
            out.close()
    return status


def _silence_stdout() -> None:
    """After a broken pipe, point stdout at /dev/null so the exit flush does not fail again."""
    import os

    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())


def open_output(path: Path | None) -> Any:
    if path is None:
        return sys.stdout
    try:
        return path.open("w", encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"{path}: cannot write: {exc.strerror}") from None


def cmd_facts(args: argparse.Namespace) -> int:
    from .facts import to_tree

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

        facts.update(trtllm_log.extract(args.build_log))
    if args.engine is not None:
        from .sources import trt_engine

        facts.update(trt_engine.extract(args.engine))
        if args.deserialize:
            from .deserialize import deserialize

            facts.update(deserialize(args.engine))
    if args.engine_config is not None:
        from .sources import engine_config

        facts.update(engine_config.extract(args.engine_config))
    if args.pbtxt is not None:
        from .sources import triton_config

        facts.update(triton_config.config_facts(triton_config.parse(args.pbtxt)))
    tree = to_tree(facts)
    if args.repo is not None:
        from .repo import ScanOptions, scan

        result = scan(args.repo, {}, ScanOptions())
        tree["repo"] = {f"{s.kind}:{s.name}": to_tree(_own(s.facts)) for s in result.subjects}
    if args.format == "json":
        json.dump(_finite(tree), sys.stdout, indent=2, default=str)
        sys.stdout.write("\n")
    else:
        for key, fact in sorted(facts.items()):
            where = ""
            if fact.location is not None and fact.location.line:
                where = f"  ({fact.location.path}:{fact.location.line})"
            print(f"{key} = {json.dumps(fact.value, default=str)}{where}")
        if args.repo is not None:
            json.dump(_finite(tree["repo"]), sys.stdout, indent=2, default=str)
            sys.stdout.write("\n")
    return 0


def _finite(value: Any) -> Any:
    """JSON has no NaN or infinity: a config.json may still hold them; print them as text."""
    if isinstance(value, float) and (value != value or abs(value) == float("inf")):
        return str(value)
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite(v) for v in value]
    return value


def _own(facts: Facts) -> Facts:
    return {k: v for k, v in facts.items() if not k.startswith("target.")}


def _rules_md(rules: list[Rule]) -> str:
    lines = [
        "# preflight rules",
        "",
        "Generated by `preflight rules --format md`; do not edit.",
        "",
    ]
    lines += ["| id | name | severity | applies to | title |", "|---|---|---|---|---|"]
    for r in rules:
        lines.append(f"| {r.id} | {r.name} | {r.severity.value} | {r.applies_to} | {r.title} |")
    for r in rules:
        lines += [
            "",
            f"## {r.id} {r.name}",
            "",
            f"**{r.title}** ({r.severity.value}, {r.applies_to})",
            "",
        ]
        if r.why:
            lines += [f"Why: {r.why.strip()}", ""]
        if r.example:
            lines += ["Example:", "", "```", r.example.strip(), "```", ""]
        lines += [f"Fix: {r.remediation.strip()}", ""]
        for name, default in r.options.items():
            lines.append(f"- option `{name}` (default `{default}`): {r.option_help.get(name, '')}")
        lines.append(f"Docs: {r.docs}")
    return "\n".join(lines).rstrip() + "\n"


def cmd_rules(args: argparse.Namespace) -> int:
    rules = _load_rules(args.rules)
    if args.format == "json":
        data = [
            {
                "id": r.id,
                "name": r.name,
                "severity": r.severity.value,
                "title": r.title,
                "applies_to": r.applies_to,
                "options": r.options,
            }
            for r in rules
        ]
        json.dump(data, sys.stdout, indent=2)
        sys.stdout.write("\n")
    elif args.format == "md":
        sys.stdout.write(_rules_md(rules))
    else:
        width = max((len(r.name) for r in rules), default=10)
        for r in rules:
            print(f"{r.id}  {r.name:<{width}}  {r.severity.value:<7}  {r.title}")
    return 0


def cmd_explain(args: argparse.Namespace) -> int:
    rule = _find_rule(_load_rules(args.rules), args.rule)
    out = [
        f"{rule.id} {rule.name} ({rule.severity.value}, applies to {rule.applies_to})",
        "",
        rule.title,
    ]
    if rule.why:
        out += ["", "Why:", f"  {rule.why.strip()}"]
    if rule.example:
        out += ["", "Example:"] + [f"  {line}" for line in rule.example.strip().splitlines()]
    out += ["", "How to fix:", f"  {rule.remediation.strip()}"]
    if rule.options:
        out += [
            "",
            "Options (set in .preflight.yaml under rules: {" + rule.id + ": {options: ...}}):",
        ]
        out += [f"  {k} = {v!r}: {rule.option_help.get(k, '')}" for k, v in rule.options.items()]
    out += ["", f"Docs: {rule.docs}"]
    print("\n".join(out))
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
    from . import manifest

    engine_dir: Path = args.engine_dir
    if not engine_dir.is_dir():
        raise UsageError(f"{engine_dir}: not a directory")
    if args.action == "write":
        path = manifest.write_manifest(engine_dir)
        print(f"wrote {path}")
        return 0
    facts = manifest.verify_manifest(engine_dir)
    present = facts.get("manifest.present")
    if present is None or not present.value:
        raise UsageError(
            f"{engine_dir}: no manifest to verify (run 'preflight manifest write' first)"
        )
    mismatches = facts.get("manifest.mismatches", Fact([])).value
    for m in mismatches:
        print(f"{m.get('path')}: {m.get('text')}")
    checked = facts.get("manifest.checked", Fact(0)).value
    print(f"{checked} files checked, {len(mismatches)} mismatches")
    return 1 if mismatches else 0
