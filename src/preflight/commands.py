"""The work behind each CLI command: check the arguments, wire the parts, hand over to a reporter.

``COMMANDS`` maps each subcommand to its function. Only this module and ``cli`` raise
:class:`~preflight.errors.UsageError`; the other parts raise their own
:class:`~preflight.errors.PreflightError` kinds, which the CLI prints the same way (exit 2).
Each command imports what it needs when it runs, so start-up stays light.
"""

from __future__ import annotations

import argparse
import os
import stat
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
    if _safe_files().roots():  # the shipped rules are read wherever they are installed
        _safe_files().allow(builtin_rules_dir())
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
    ("gpu_memory", "gpu-memory", "gpu_memory"),
    ("world_size", "world-size", "world_size"),
    ("driver", "driver", "driver"),
)


def _auto_complete(
    args: argparse.Namespace, wanted: dict[str, Any], origins: dict[str, str]
) -> bool | None:
    """False with --disable-auto-complete-config or ``target: {auto_complete: false}``; None
    (Triton's default, on) when neither says."""
    if getattr(args, "disable_auto_complete_config", False):
        origins["auto_complete"] = "--disable-auto-complete-config"
        return False
    if "auto_complete" in wanted:
        origins["auto_complete"] = ".preflight.yaml target.auto_complete"
        return bool(wanted["auto_complete"])
    return None


def _target(
    args: argparse.Namespace, wanted: dict[str, Any], none_setting: bool = False
) -> tuple[Target, Facts, list[str]]:
    """The deployment target from the options, then ``.preflight.yaml``'s ``target:``, then the
    environment (``sources.target.resolve_inputs``): the report's :class:`Target`, the
    ``target.*`` facts and the notes ``--verbose`` prints."""
    from .sources import nvml
    from .sources import target as target_source

    flags = {key: getattr(args, attr, None) for key, _flag, attr in _TARGET_INPUTS}
    none_flag = getattr(args, "target", None) == "none"
    naming = target_source.NAMING_KEYS
    if none_flag and any(flags.get(key) is not None for key in naming):
        named = [f"--{flag}" for key, flag, _a in _TARGET_INPUTS if key in naming and flags[key]]
        raise UsageError(f"--target none: no target, but {', '.join(named)} names one")
    inputs = target_source.resolve_inputs(
        flags,
        {key: f"--{flag}" for key, flag, _attr in _TARGET_INPUTS},
        wanted,
        os.environ,
        none_flag=none_flag,
        none_setting=none_setting,
    )
    given = {key: inputs.values.get(key) for key, _flag, _attr in _TARGET_INPUTS}
    origins = inputs.origins
    gpu = inputs.gpu
    # The host driver: as given, or read through NVML when the target is this machine
    # (--target-gpu auto or --driver auto); never guessed from the machine preflight runs on.
    driver = given["driver"]
    if str(driver).lower() == "auto" or (
        driver is None and str(given["gpu"] or "").lower() == "auto"
    ):
        driver = nvml.detect_driver()
        origins["driver"] = "NVML on this machine"
    facts = target_source.target_facts(
        driver=driver,
        gpu=gpu,
        triton=given["triton"],
        trt=given["trt"],
        trtllm=given["trtllm"],
        gpu_count=given["gpu_count"],
        gpu_memory=given["gpu_memory"],
        world_size=given["world_size"],
        origins=origins,
        auto_complete=_auto_complete(args, wanted, origins),
    )
    facts.update(target_source.resolution_facts(inputs, facts))
    values = {k: f.value for k, f in facts.items()}
    sources = values.get("target.sources") or {}
    notes = [
        f"target {key.replace('_', ' ')} {values[f'target.{key}']}: "
        + (sources[key].split(" (")[0] if key == "gpu" else sources[key])
        for key in ("gpu", "triton_version", "trt_version", "trt_version_plain", "trtllm_version")
        if key in sources and f"target.{key}" in values
    ]
    return target_source.target_from_facts(facts), facts, notes


def _will_run(rules: list[Rule], cfg: Settings, rule_id: str) -> bool:
    """Whether ``rule_id`` is among the rules this run evaluates (selected and enabled)."""
    from .evaluator.run import is_enabled

    return any(rule.id == rule_id and is_enabled(rule, cfg.rules) for rule in rules)


def _mode(path: Path, what: str) -> int | None:
    """The mode of ``path`` named on the command line, None when it is not there; a path that
    cannot be looked at (a folder on the way not searchable, a name too long) is a usage error."""
    try:
        return os.stat(path).st_mode
    except (FileNotFoundError, NotADirectoryError):
        return None
    except OSError as exc:
        raise UsageError(f"{path}: cannot read the {what}: {exc.strerror or exc}") from None
    except ValueError:  # a NUL byte
        raise UsageError(f"{path}: cannot read the {what}: the name holds a NUL byte") from None


def readable_input(path: Path, what: str) -> None:
    """A file named on the command line must be a readable regular file (usage error, exit 2);
    the same problem inside the repository is a finding instead."""
    mode = _mode(path, what)
    if mode is None:
        raise UsageError(f"{path}: {what} not found")
    if not stat.S_ISREG(mode):
        raise UsageError(f"{path}: {what} is not a regular file")
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        raise UsageError(f"{path}: cannot read the {what}: {exc.strerror or exc}") from None
    os.close(fd)


def _repository(repo: Path) -> Path:
    mode = _mode(repo, "repository")
    if mode is None or not stat.S_ISDIR(mode):
        what = "no such directory" if mode is None else "not a directory"
        raise UsageError(f"{repo}: {what} (preflight check takes a Triton model repository)")
    try:
        with os.scandir(repo) as entries:
            next(iter(entries), None)
    except OSError as exc:
        raise UsageError(f"{repo}: cannot read the repository: {exc.strerror or exc}") from None
    return repo


def _settings_path(repo: Path, name: str) -> Path:
    """``REPO/.preflight.yaml``, else the nearest one at or above the current directory (as a
    linter finds its configuration), else ``REPO/.preflight.yaml`` (absent)."""
    own = repo / name
    if _safe_files().exists(own):
        return own
    here = Path.cwd()
    for folder in (here, *here.parents):
        if _safe_files().is_file(folder / name):
            return folder / name
    return own


def _settings(args: argparse.Namespace, repo: Path) -> Settings:
    """``--config FILE``, else ``REPO/.preflight.yaml`` when present, else the nearest one at
    or above the current directory, else the defaults."""
    from . import settings

    path = args.config or _settings_path(repo, settings.SETTINGS_NAME)
    if args.config is not None and not _safe_files().is_file(args.config):
        what = "is not a file" if _safe_files().exists(args.config) else "not found"
        raise UsageError(f"{args.config}: config file {what}")
    if args.config is None and _safe_files().exists(path) and not _safe_files().is_file(path):
        raise UsageError(f"{path}: not a file")
    # Found upward from the current directory, outside the repository: in CI that folder is
    # the checkout, which a pull request writes too, so the paths it names stay inside its own
    # folder, as a repository's do; only --config is trusted to name any path.
    # (By its path as written: REPO/.preflight.yaml linked elsewhere is still the repository's.)
    outside = os.path.relpath(os.path.abspath(path), os.path.abspath(repo)).startswith("..")
    upward = args.config is None and outside and _safe_files().is_file(path)
    if upward:
        _safe_files().allow(path)
    loaded = (
        settings.load(path, trusted=args.config is not None)
        if _safe_files().is_file(path)
        else None
    )
    if upward and loaded is not None:
        named = [*loaded.rule_dirs, *([loaded.build_log] if loaded.build_log else [])]
        _safe_files().allow(*named)
    cfg = loaded or settings.Settings()
    _safe_files().set_caps(cfg.limits)
    return cfg


def _safe_files() -> Any:
    from . import safe_files

    return safe_files


def _boundary(args: argparse.Namespace, repo: Path) -> None:
    """What preflight may read: the repository, and what the command line names (issue 12)."""
    safe = _safe_files()
    safe.set_roots(repo)
    given = [getattr(args, name, None) for name in ("config", "build_log")]
    safe.allow(*(p for p in given if p is not None), *getattr(args, "rules", []))
    safe.allow(*getattr(args, "allow_root", None) or [])
    for entry in getattr(args, "path_map", None) or []:
        _src, sep, dst = entry.partition("=")
        if sep and dst:
            safe.allow(dst if os.path.isabs(dst) else repo / dst)


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


def _given_repositories(args: argparse.Namespace) -> list[str]:
    """REPO as given: one or several (a list from the command line, one path from the API or
    the discovery), each a folder or a store URL."""
    given = args.repo if isinstance(args.repo, list) else [args.repo]
    given = [*given, *(getattr(args, "model_repository", None) or [])]
    return [os.fspath(g) for g in given if g is not None]


def check_run(args: argparse.Namespace) -> tuple[RunResult, Severity, list[Rule]]:
    """The work of ``check`` up to the report: the run, the ``--fail-on`` severity and the
    rules that ran (also :func:`preflight.check`). Several repositories, or one in object
    storage (staged locally first), go through :mod:`preflight.repositories`."""
    from .remote import is_remote
    from .repositories import opened

    given = _given_repositories(args)
    if not given:
        raise UsageError("check: give REPO")
    remote = [g for g in given if is_remote(g)]
    if remote and (args.deserialize or args.require_deserialize):
        raise UsageError(
            f"--deserialize reads whole engines: run it on a local copy, not {remote[0]}"
        )
    settings = None
    if remote:
        from .remote.store import StoreSettings

        timeout, retries = getattr(args, "store_timeout", 30.0), getattr(args, "store_retries", 3)
        workers = getattr(args, "store_workers", 8)
        if not 0 < timeout <= 3600 or not 0 <= retries <= 20 or not 1 <= workers <= 64:
            raise UsageError(
                "--store-timeout takes 0 < SECONDS <= 3600, --store-retries 0 to 20, "
                "--store-workers 1 to 64"
            )
        settings = StoreSettings(timeout=timeout, retries=retries, workers=workers)
    verify = bool(getattr(args, "verify_hashes", False))
    progress = _store_progress if args.verbose else None
    with opened(given, settings, verify_hashes=verify, progress=progress) as repos:
        run, fail_on, rules = _check_run(args, repos)
        return repos.present(run, args.verbose), fail_on, rules


def _store_progress(line: str) -> None:
    print(f"preflight: {line}", file=sys.stderr, flush=True)


def _check_run(args: argparse.Namespace, repos: Any) -> tuple[RunResult, Severity, list[Rule]]:
    from . import settings as settings_mod
    from .evaluator import evaluate, suppress
    from .scan import ScanOptions, scan
    from .sources import server

    repo = _repository(repos.primary)
    if args.server:
        server.require_client(args.server)
    if args.gpu_count is not None and args.gpu_count < 1:
        raise UsageError(f"--gpu-count {args.gpu_count}: expected a positive whole number")
    if args.world_size is not None and args.world_size < 1:
        raise UsageError(f"--world-size {args.world_size}: expected a positive whole number")
    if args.gpu_memory is not None and not 0 < args.gpu_memory < 1e6:
        raise UsageError(f"--gpu-memory {args.gpu_memory}: expected GiB, a positive number")
    for other in repos.roots[1:]:
        _repository(other)
    _boundary(args, repo)
    _safe_files().allow(*repos.roots[1:])
    cfg = _settings(args, repo)

    rules = _load_rules([*cfg.rule_dirs, *args.rules])
    known = {r.id: set(r.options) for r in rules} | {r.name: set(r.options) for r in rules}
    settings_mod.check_rule_settings(cfg, known)
    all_rules, rules = rules, _selected(rules, args)

    target, target_facts, notes = _target(args, cfg.target, cfg.target_none)
    from .sources.target import from_environment  # a target the user did not name: say so

    target_notes = notes if args.verbose or from_environment(target_facts) else []
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
        require_build_log=bool(
            args.require_build_log
            if getattr(args, "require_build_log", None) is not None
            else cfg.require_build_log
        ),
        stop_above_repositories=_will_run(rules, cfg, "PF003"),
    )
    if options.require_deserialize:
        options.deserialize = True
    scanned = repos.scan(scan, target_facts, options)
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
    directive_notes += _unknown_in_directives(suppressions, all_rules)
    results = _suppress(evaluate(rules, subjects, cfg.rules), suppressions, repo)
    results = _baseline(args, results, repo)
    run = RunResult(
        preflight_version=__version__,
        repo=str(repo),
        target=target,
        results=tuple(results),
        notes=tuple(target_notes + scanned.notes + directive_notes),
    )
    return run, Severity(args.fail_on or cfg.fail_on or "error"), rules


def cmd_check(args: argparse.Namespace) -> int:
    from .reporters import REPORTERS
    from .reporters.shared import rule_meta

    reports = _reports(args)  # before the work: a usage error costs nothing
    _progress(args)
    if not args.repo:
        return _check_discovered(args, reports)
    run, fail_on, rules = check_run(args)
    failing = [
        r for r in run.results if r.status is Status.FAIL and r.severity.rank >= fail_on.rank
    ]
    options: dict[str, Any] = {
        "verbose": args.verbose,
        "quiet": args.quiet,
        "statistics": args.statistics,
        "rules": rule_meta(rules),
        "root": str(args.sarif_root) if args.sarif_root else None,
        "fail_on": fail_on,
    }
    for name, path in reports:
        with _output(path) as out:
            REPORTERS[name](run, out, color=_color(args.color, out), **options)
    return 0 if args.exit_zero or not failing else 1


def _check_discovered(args: argparse.Namespace, reports: list[tuple[str, Path | None]]) -> int:
    """No REPO (a pre-commit hook): check every model repository below the current
    directory, one report after the other; the worst status wins."""
    from .discover import model_repositories

    found = model_repositories(Path("."))
    if not found:
        raise UsageError(
            "check: no model repository found below the current directory (a folder holding "
            "model folders with config.pbtxt); give REPO"
        )
    to_files = any(path is not None for _name, path in reports) or args.write_baseline
    if len(found) > 1 and to_files:
        raise UsageError(
            f"check: {len(found)} model repositories found ({', '.join(map(str, found))}); "
            "a report or baseline written to a file covers one: give REPO"
        )
    status = 0
    for repo in found:
        args.repo = repo
        status = max(status, cmd_check(args))
    args.repo = None
    return status


def _progress(args: argparse.Namespace) -> None:
    """A progress bar on long work for a person at a terminal only (standard error a TTY, no
    --quiet); CI logs and pipes stay clean."""
    from . import progress

    progress.enable(progress.wanted(sys.stderr, quiet=getattr(args, "quiet", False)))


def _reports(args: argparse.Namespace) -> list[tuple[str, Path | None]]:
    """``--format NAME[=FILE]`` (repeatable): each report and where it goes. One report at
    most goes to standard output (or ``--output``); the others name their file."""
    from .reporters import FORMATS

    reports: list[tuple[str, Path | None]] = []
    for spec in args.format or ["text"]:
        name, sep, file = spec.partition("=")
        if name not in FORMATS:
            raise UsageError(
                f"--format {spec}: unknown format {name!r}; expected one of {', '.join(FORMATS)}"
            )
        if sep and not file:
            raise UsageError(f"--format {spec}: expected {name}=FILE")
        reports.append((name, Path(file) if file else None))
    unnamed = [name for name, path in reports if path is None]
    if len(unnamed) > 1:
        raise UsageError(
            f"--format {' and '.join(unnamed)}: one report at most goes to "
            f"{'--output' if args.output else 'standard output'}; give the others a file "
            f"(--format {unnamed[-1]}=FILE)"
        )
    return [(name, path if path is not None else args.output) for name, path in reports]


def _color(choice: str, out: TextIO) -> bool:
    """``--color``, else NO_COLOR / FORCE_COLOR (no-color.org, force-color.org), else a TTY."""
    if choice != "auto":
        return choice == "always"
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    return out.isatty()


def _selected(rules: list[Rule], args: argparse.Namespace) -> list[Rule]:
    """``--select`` / ``--ignore``: an unknown selector is a usage error, as a typo would
    otherwise select nothing."""
    from . import selection

    chosen, ignored = selection.split(args.select), selection.split(args.ignore)
    bad = selection.unknown([*chosen, *ignored], rules)
    if bad:
        raise UsageError(
            f"--select/--ignore: no rule matches {', '.join(bad)} "
            "(ids, names, id prefixes such as TRITON, or groups; see 'preflight rules')"
        )
    return selection.select(rules, chosen, ignored)


def _unknown_in_directives(suppressions: list[Suppression], rules: list[Rule]) -> list[str]:
    """A ``# preflight: ignore[...]`` naming no rule: say so (it suppresses nothing), as an
    unknown id in .preflight.yaml stops the run."""
    known = {r.id for r in rules} | {r.name for r in rules}
    notes = []
    for s in suppressions:
        if not s.model:
            continue
        for name in sorted(s.rules - known):
            notes.append(
                f"{s.where}: preflight: ignore[{name}]: no rule {name!r} (see 'preflight "
                "rules'); it suppresses nothing"
            )
    return notes


def _baseline(args: argparse.Namespace, results: list[Result], repo: Path) -> list[Result]:
    """``--write-baseline FILE`` records today's failures; ``--baseline FILE`` turns the
    failures recorded there into known ones."""
    from . import baseline

    if args.write_baseline is not None:
        baseline.write(args.write_baseline, results, str(repo))
    if args.baseline is not None:
        if not _safe_files().is_file(args.baseline):
            raise UsageError(f"{args.baseline}: baseline file not found")
        known = baseline.read(args.baseline)
        results = baseline.apply(results, known, str(repo), args.baseline.name)
    return results


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
    _safe_files().set_roots(*(i for i in inputs if i is not None))  # only what is named
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

    rules = _load_rules(args.rules)
    key = str(args.rule)
    exact = [r for r in rules if key.upper() == r.id or key.lower() == r.name]
    if not exact:
        from .rules.search import looks_like_message, search

        if looks_like_message(key):  # a pasted error line: the rules that explain it
            found = search(rules, key)
            if not found:
                raise UsageError(
                    "no rule matches this message (see 'preflight rules'; "
                    "paste the error line itself, names and numbers may vary)"
                )
            best, *others = found
            print(f"best match: {best.rule.id} {best.rule.name} (score {best.score:.2f})")
            if others:
                shown = ", ".join(f"{m.rule.id} {m.rule.name} ({m.score:.2f})" for m in others)
                print(f"also: {shown}")
            print()
            EXPLAIN(best.rule, sys.stdout)
            return 0
    EXPLAIN(_find_rule(rules, key), sys.stdout)
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
    _progress(args)
    if not _safe_files().is_dir(engine_dir):
        raise UsageError(f"{engine_dir}: not a directory")
    _safe_files().set_roots(engine_dir)  # never a file a link leads to elsewhere
    if args.action == "write":
        try:
            path = manifest.write_manifest(engine_dir)
        except OSError as exc:
            where = exc.filename or engine_dir
            raise UsageError(f"{where}: cannot write the manifest: {exc.strerror or exc}") from None
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
