"""Read `.preflight.yaml`: the deployment target, rule settings and discovery hints.

Named settings, not config: a model repository is full of config.json and config.pbtxt.
Every problem raises :class:`~preflight.errors.SettingsError` with file:line:col.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import yamlmarks
from .errors import SettingsError
from .evaluator import RuleSettings
from .evaluator.suppress import Suppression
from .model import Severity

SETTINGS_NAME = ".preflight.yaml"
_TARGET_KEYS = {
    "gpu",
    "triton",
    "trt",
    "trtllm",
    "gpu_count",
    "gpu_memory",
    "world_size",
    "auto_complete",
    "driver",
}
_TOP_KEYS = {
    "target",
    "fail-on",
    "rules",
    "rule-dirs",
    "build-log",
    "path-map",
    "deserialize",
    "require-deserialize",
    "require-build-log",
    "ignore",
    "limits",
}
_RULE_KEYS = {"enabled", "severity", "options"}


@dataclass(slots=True)
class Settings:
    path: Path | None = None
    target: dict[str, Any] = field(default_factory=dict)
    fail_on: str | None = None
    rules: dict[str, RuleSettings] = field(default_factory=dict)
    rule_dirs: list[Path] = field(default_factory=list)
    build_log: Path | None = None
    path_map: list[tuple[str, str]] = field(default_factory=list)
    deserialize: bool = False
    require_deserialize: bool = False
    doc: yamlmarks.Document | None = None  # for pointing later errors at their lines
    ignore: list[Suppression] = field(default_factory=list)
    limits: dict[str, int] = field(default_factory=dict)  # size caps per kind of file
    require_build_log: bool = False  # a trtllm model without a build log fails TLLM001
    target_none: bool = False  # `target: none`: layout and config checks only


def _str(doc: yamlmarks.Document, keys: list[str | int], value: Any) -> str:
    """A string, or a whole number written bare (`gpu: 4090`); never a float, which YAML
    has already rounded (`trt: 10.10` reads as 10.1)."""
    if isinstance(value, float):
        written = doc.source_text(keys) or str(value)
        raise SettingsError(
            doc.error(keys, f'YAML reads {written} as the number {value}; quote it: "{written}"')
        )
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise SettingsError(doc.error(keys, f"expected a string, got {type(value).__name__}"))
    return str(value)


def _list(doc: yamlmarks.Document, keys: list[str | int], value: Any) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise SettingsError(doc.error(keys, f"expected a list, got {type(value).__name__}"))
    return value


def _bool(doc: yamlmarks.Document, keys: list[str | int], value: Any) -> bool:
    if not isinstance(value, bool):
        raise SettingsError(doc.error(keys, f"expected true or false, got {type(value).__name__}"))
    return value


def _confine(
    doc: yamlmarks.Document,
    keys: list[str | int],
    path: Path,
    base: Path,
    trusted: bool,
    errors: list[str],
) -> None:
    """A path the repository's settings name stays inside the repository."""
    if trusted:
        return
    from . import safe_files

    with safe_files.confined(base):
        if not safe_files.inside(path):
            errors.append(doc.error(keys, safe_files.OUTSIDE))


_SIZE = re.compile(r"^\s*([0-9]{1,15})\s*([KMG]i?B?|B)?\s*$", re.ASCII | re.IGNORECASE)
_UNITS = {"": 1, "B": 1, "K": 1024, "M": 1024**2, "G": 1024**3}


def _limits(doc: yamlmarks.Document, raw: Any, errors: list[str]) -> dict[str, int]:
    """``limits: {config.pbtxt: 16MiB, build-log: 8GiB, ...}``: size caps per kind of file."""
    from . import safe_files

    if not isinstance(raw, dict):
        errors.append(doc.error(["limits"], "expected a mapping of file kind to size"))
        return {}
    out: dict[str, int] = {}
    for kind, value in raw.items():
        if kind not in safe_files.DEFAULT_CAPS:
            known = ", ".join(sorted(safe_files.DEFAULT_CAPS))
            errors.append(doc.error(["limits", kind], f"unknown kind of file; expected {known}"))
            continue
        match = _SIZE.match(str(value)) if isinstance(value, (int, str)) else None
        if match is None or isinstance(value, bool):
            errors.append(doc.error(["limits", kind], "expected a size such as 16MiB or 1048576"))
            continue
        unit = (match.group(2) or "").upper()[:1]
        out[str(kind)] = int(match.group(1)) * _UNITS[unit]
    return out


def parse_path_map(entry: str) -> tuple[str, str]:
    """'FROM=TO' -> (FROM, TO)."""
    src, sep, dst = entry.partition("=")
    if not sep or not src or not dst:
        raise ValueError(f"path map {entry!r} is not FROM=TO")
    return src, dst


def load(path: Path, trusted: bool = False) -> Settings:
    """Parse and check one settings file; every problem is one line of the SettingsError.
    Unless ``trusted`` (a file named on the command line), the paths it names (build-log,
    rule-dirs) must stay inside its own folder, the repository (``safe_files``)."""
    doc = yamlmarks.load(path)
    data = doc.data if doc.data is not None else {}
    if not isinstance(data, dict):
        raise SettingsError(doc.error([], "the config file holds one mapping"))
    base = path.parent
    cfg = Settings(path=path, doc=doc)
    errors: list[str] = []
    for key in data:
        if key not in _TOP_KEYS:
            errors.append(
                doc.error([key], f"unknown key; expected one of {', '.join(sorted(_TOP_KEYS))}")
            )
    try:
        target = data.get("target") or {}
        if isinstance(target, str) and target.strip().lower() == "none":
            cfg.target_none, target = True, {}  # layout and config checks only
        if not isinstance(target, dict):
            raise SettingsError(doc.error(["target"], "expected a mapping, or none"))
        for key, value in target.items():
            if key not in _TARGET_KEYS:
                errors.append(
                    doc.error(
                        ["target", key],
                        f"unknown key; expected one of {', '.join(sorted(_TARGET_KEYS))}",
                    )
                )
            elif key == "gpu_memory":  # GiB per GPU: a MIG slice or a shared GPU
                number = isinstance(value, (int, float)) and not isinstance(value, bool)
                if not number or not 0 < value < 1e6:
                    errors.append(doc.error(["target", key], "expected GiB, a positive number"))
                else:
                    cfg.target[key] = float(value)
            elif key == "driver" and type(value) in (int, float):  # not a bool
                cfg.target[key] = str(value)  # `driver: 550` (quote 535.10: YAML drops the 0)
            elif key == "auto_complete":  # false: the server runs --disable-auto-complete-config
                cfg.target[key] = _bool(doc, ["target", key], value)
            elif key in ("gpu_count", "world_size"):
                if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                    errors.append(doc.error(["target", key], "expected a positive whole number"))
                else:
                    cfg.target[key] = value
            else:
                cfg.target[key] = _str(doc, ["target", key], value)
        if "fail-on" in data:
            value = data["fail-on"]
            if value not in ("error", "warning", "info"):
                errors.append(doc.error(["fail-on"], "expected error, warning or info"))
            else:
                cfg.fail_on = value
        for key in ("deserialize", "require-deserialize", "require-build-log"):
            if key in data:
                setattr(cfg, key.replace("-", "_"), _bool(doc, [key], data[key]))
        if "build-log" in data:
            cfg.build_log = base / _str(doc, ["build-log"], data["build-log"])
            _confine(doc, ["build-log"], cfg.build_log, base, trusted, errors)
        for index, entry in enumerate(_list(doc, ["rule-dirs"], data.get("rule-dirs"))):
            cfg.rule_dirs.append(base / _str(doc, ["rule-dirs", index], entry))
            _confine(doc, ["rule-dirs", index], cfg.rule_dirs[-1], base, trusted, errors)
        if "limits" in data:
            cfg.limits = _limits(doc, data["limits"], errors)
        path_map = data.get("path-map") or {}
        if not isinstance(path_map, dict):
            raise SettingsError(doc.error(["path-map"], "expected a mapping FROM: TO"))
        for src, dst in path_map.items():
            cfg.path_map.append((str(src), _str(doc, ["path-map", src], dst)))
        for index, entry in enumerate(_list(doc, ["ignore"], data.get("ignore"))):
            cfg.ignore.append(_suppression(doc, index, entry, errors))
        rules = data.get("rules") or {}
        if not isinstance(rules, dict):
            raise SettingsError(
                doc.error(["rules"], "expected a mapping of rule id or name to settings")
            )
        for rule_id, raw in rules.items():
            where: list[str | int] = ["rules", rule_id]
            if raw is False:
                cfg.rules[str(rule_id)] = RuleSettings(enabled=False)
                continue
            if not isinstance(raw, dict):
                errors.append(
                    doc.error(where, "expected a mapping with enabled, severity or options")
                )
                continue
            for key in raw:
                if key not in _RULE_KEYS:
                    errors.append(
                        doc.error(
                            [*where, key], "unknown key; expected enabled, severity or options"
                        )
                    )
            severity = raw.get("severity")
            if severity is not None and severity not in ("error", "warning", "info"):
                errors.append(doc.error([*where, "severity"], "expected error, warning or info"))
                severity = None
            options = raw.get("options") or {}
            if not isinstance(options, dict):
                errors.append(doc.error([*where, "options"], "expected a mapping"))
                options = {}
            enabled = raw.get("enabled")
            if enabled is not None and not isinstance(enabled, bool):
                errors.append(doc.error([*where, "enabled"], "expected true or false"))
                enabled = None
            cfg.rules[str(rule_id)] = RuleSettings(
                enabled=enabled,
                severity=Severity(severity) if severity else None,
                options=dict(options),
            )
    except SettingsError as exc:
        errors.extend(exc.lines)
    if errors:
        raise SettingsError(*errors)
    return cfg


def _suppression(doc: yamlmarks.Document, index: int, entry: Any, errors: list[str]) -> Suppression:
    where: list[str | int] = ["ignore", index]
    if not isinstance(entry, dict):
        errors.append(doc.error(where, "expected a mapping with rules, paths and reason"))
        return Suppression(frozenset(), (), "", "")
    for key in entry:
        if key not in ("rules", "paths", "reason"):
            errors.append(doc.error([*where, key], "unknown key; expected rules, paths or reason"))
    rules = entry.get("rules")
    if not isinstance(rules, list) or not rules or not all(isinstance(r, str) for r in rules):
        errors.append(doc.error([*where, "rules"], "expected a list of rule ids or names"))
        rules = []
    paths = entry.get("paths") or []
    if not isinstance(paths, list) or not all(isinstance(p, str) for p in paths):
        errors.append(doc.error([*where, "paths"], "expected a list of path globs"))
        paths = []
    reason = entry.get("reason")
    if not isinstance(reason, str) or not reason.strip():
        errors.append(doc.error(where, "every ignore entry needs a reason"))
        reason = ""
    line, _ = doc.where(where)
    label = f"{doc.path.name}:{line}"
    return Suppression(frozenset(rules), tuple(paths), reason.strip(), label)


def check_rule_settings(cfg: Settings, known: dict[str, set[str]]) -> None:
    """Settings must name existing rules and options; ``known`` maps id and name to options."""
    doc = cfg.doc
    if doc is None:
        return
    errors = []
    for index, entry in enumerate(cfg.ignore):
        for rule in sorted(entry.rules - set(known)):
            errors.append(
                doc.error(["ignore", index, "rules"], f"no rule has the id or name {rule!r}")
            )
    for rule_id, settings in cfg.rules.items():
        if rule_id not in known:
            errors.append(doc.error(["rules", rule_id], "no rule has this id or name"))
            continue
        for option in settings.options:
            if option not in known[rule_id]:
                choices = ", ".join(sorted(known[rule_id])) or "none"
                errors.append(
                    doc.error(
                        ["rules", rule_id, "options", option],
                        f"unknown option; this rule has: {choices}",
                    )
                )
    if errors:
        raise SettingsError(*errors)
