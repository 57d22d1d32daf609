"""The trtllm-build log against the engine directory: a complete build, the same build."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from ..facts import value_of
from ..model import Facts, Location, Problem
from . import MissingFact, check, problem


def _list(facts: Facts, key: str) -> list[Any]:
    found = facts.get(key)
    return found.value if found is not None and isinstance(found.value, list) else []


def _at(location: Location | None, line: Any) -> Location | None:
    """``location``'s file at ``line`` (when it is a line number)."""
    if location is None:
        return None
    return Location(location.path, line if isinstance(line, int) else None)


@check(
    "trtllm.engine-dir",
    requires=("scan.engine_dir_parameter",),
    kinds=(
        "no-parameter",
        "not-found",
        "no-config-json",
        "config-json-invalid",
        "not-engine-config",
        "unreadable",
    ),
)
def engine_dir(facts: Facts, params: Mapping[str, Any]) -> list[Problem]:
    """A parameter names the engine directory, it exists and its config.json is an engine config.

    ``no-parameter``: no gpt_model_path (encoder_model_path, engine_dir); ``not-found``: the
    directory it names is not found (``scan.engine_dir_mapping`` says why); ``no-config-json``:
    the directory has no config.json; ``config-json-invalid``: config.json does not parse
    (``error``); ``not-engine-config``: it parses, in neither engine layout (``format``);
    ``unreadable``: config.json cannot be read (``error``: why).
    """
    parameter = facts["scan.engine_dir_parameter"]
    if parameter.value is None:
        return [problem("no-parameter", parameter.location)]
    found = facts.get("scan.engine_dir")
    if found is None or found.value is None:
        return [problem("not-found", found.location if found is not None else None)]
    if value_of(facts, "scan.engine_config_found") is False:
        return [problem("no-config-json", facts["scan.engine_config_found"].location)]
    unread = facts.get("engine_config.read_error")
    if unread is not None:  # e.g. a link out of the repository, a FIFO, a permission
        return [problem("unreadable", unread.location, error=unread.value)]
    error = facts.get("engine_config.parse_error")
    if error is not None and isinstance(error.value, dict):
        return [problem("config-json-invalid", error.location, error=error.value.get("message"))]
    layout = facts.get("engine_config.format")
    if layout is None:
        raise MissingFact("engine_config.format")
    if layout.value not in ("new", "legacy"):
        return [problem("not-engine-config", layout.location, format=layout.value)]
    return []


@check(
    "trtllm.build-succeeded",
    requires=("scan.build_log_found",),
    kinds=(
        "no-log",
        "failed",
        "unreadable",
        "empty",
        "interrupted",
        "ranks-not-started",
        "no-engine-started",
        "incomplete",
    ),
)
def build_succeeded(facts: Facts, params: Mapping[str, Any]) -> list[Problem]:
    """A build log, when there is one, shows every engine built and serialized, no fatal error.

    trtllm-build writes no log file of its own, so most repositories hold none: without one the
    check does not run (``MissingFact("scan.build_log")``, the rule's skip) and the build facts
    come from config.json and the engine headers. ``no-log``: no build log found while
    ``scan.require_build_log`` (``--require-build-log``) asks for one; ``failed``: one per fatal
    error line (``text``); the others say why a log without a fatal error does not show a
    complete build: ``unreadable`` (``error``), ``empty``, ``interrupted`` (``name`` started
    serializing at ``line`` and never finished), ``ranks-not-started`` (``ranks`` below a
    started one never started), ``no-engine-started`` (no engine in its ``count`` lines),
    ``incomplete`` (anything else).
    """
    found = facts["scan.build_log_found"]
    if found.value is not True:
        if value_of(facts, "scan.require_build_log") is True:
            return [problem("no-log", found.location)]
        raise MissingFact("scan.build_log")
    fatal = facts.get("build_log.fatal_errors")
    if fatal is not None and isinstance(fatal.value, list) and fatal.value:
        where = fatal.location
        return [
            problem(
                "failed", _at(where, item.get("line")) if where else None, text=item.get("text")
            )
            for item in fatal.value
            if isinstance(item, dict)
        ]
    incomplete = _incomplete(facts)
    if incomplete:
        return incomplete
    if fatal is None:
        raise MissingFact("build_log.fatal_errors")
    return []


def _incomplete(facts: Facts) -> list[Problem]:
    """Why a found build log does not show a complete build (none when it does)."""
    log = facts.get("scan.build_log")
    if log is None:
        return []
    where = log.location
    error = facts.get("build_log.read_error")
    if error is not None:
        return [problem("unreadable", where, error=error.value)]
    succeeded = facts.get("build_log.build_succeeded")
    if succeeded is not None and succeeded.value is not None:
        return []  # true: complete; false: the fatal errors say why
    started = _list(facts, "build_log.started_engines")
    lines = facts.get("build_log.line_count")
    if lines is not None and lines.value == 0:
        return [problem("empty", where)]
    for item in started:
        if isinstance(item, dict) and item.get("serialized") is False:
            line = item.get("line")
            name = str(item.get("path", "")).rsplit("/", 1)[-1] or "an engine"
            return [problem("interrupted", _at(where, line), name=name, line=line)]
    missing = _list(facts, "build_log.missing_ranks")
    if missing:
        names = [f"rank{r}.engine" for r in missing]
        return [problem("ranks-not-started", where, ranks=names)]
    if not started:
        count = lines.value if lines is not None else "?"
        return [problem("no-engine-started", where, count=count)]
    return [problem("incomplete", where)]


# trtllm-build 0.9 to 1.1 prints the hardware lines for a GPU outside its own table.
_PRINTS_HARDWARE = re.compile(r"^(?:0\.(?:9|1[0-9]|[2-9][0-9])|1\.[01])(?:\D|$)")


@check(
    "trtllm.build-log-matches-config",
    kinds=("version", "gpu", "gpu-without-hardware-lines", "setting"),
    at="build_log.trtllm_version",
)
def build_log_matches_config(facts: Facts, params: Mapping[str, Any]) -> list[Problem]:
    """The build log's TensorRT-LLM version, build GPU and settings are config.json's.

    ``version``: another TensorRT-LLM version (``log_version``, ``config_version``); ``gpu``:
    the log's hardware lines show compute capability ``log_cc`` but config.json's ``cluster_key``
    is a ``gpu`` of ``cc``; ``gpu-without-hardware-lines``: ``cluster_key`` is a GPU outside
    TensorRT-LLM's table, for which trtllm-build ``version`` prints hardware lines at info level,
    and this info-level log has none; ``setting``: one per setting the log gives another value
    (``name``, ``log_value``, ``config_value``, at the log line). The first kind found is
    reported.
    """
    log_version = facts.get("build_log.trtllm_version")
    config_version = facts.get("engine_config.version")
    if (
        log_version is not None
        and config_version is not None
        and log_version.value != config_version.value
    ):
        return [
            problem(
                "version",
                log_version.location,
                log_version=log_version.value,
                config_version=config_version.value,
            )
        ]
    conflict = _log_gpu_conflict(facts)
    if conflict:
        return conflict
    differences = facts.get("trtllm.log_config_differences")
    if differences is not None and isinstance(differences.value, list) and differences.value:
        return [
            problem(
                "setting",
                Location(str(item.get("path") or ""), item.get("line")),
                name=item.get("setting"),
                log_value=str(item.get("log")),
                config_value=str(item.get("config")),
                line=item.get("line"),
            )
            for item in differences.value
        ]
    if log_version is None:  # the other comparisons found nothing; this one cannot be made
        raise MissingFact("build_log.trtllm_version")
    if config_version is None:
        raise MissingFact("engine_config.version")
    if differences is None:
        raise MissingFact("trtllm.log_config_differences")
    return []


def _log_gpu_conflict(facts: Facts) -> list[Problem]:
    """Does the build log show another build GPU than config.json's cluster_key?

    trtllm-build 0.9 to 1.1 records the build GPU in `cluster_key`: a key of its own table
    (A100, H100, L4, ...) or, for any other GPU, the device name; only for the latter it prints
    the hardware lines (`Compute capability: (M, m)`, ...) at info level. So a log whose hardware
    lines give another compute capability than the key, or an info-level log of such a version
    without hardware lines beside a device-name key, was written by another build.
    """
    log = facts.get("scan.build_log")
    key = facts.get("engine_config.cluster_key")
    if log is None or key is None or not isinstance(key.value, str) or not key.value.strip():
        return []
    log_cc = facts.get("build_log.gpu.compute_capability")
    if log_cc is not None:
        cc = value_of(facts, "trtllm.cluster_key_compute_capability")
        if cc is not None and cc != log_cc.value:
            gpu = value_of(facts, "trtllm.cluster_key_gpu")
            fields = {"log_cc": log_cc.value, "key": key.value, "gpu": gpu, "cc": cc}
            return [problem("gpu", log_cc.location, **fields)]
        return []
    version = facts.get("build_log.trtllm_version")
    info_level = any(k.startswith("build_log.plugins.") for k in facts)
    if (
        version is None
        or not isinstance(version.value, str)
        or not _PRINTS_HARDWARE.match(version.value)
        or not info_level
        or value_of(facts, "trtllm.cluster_key_in_trtllm_table") is not False
    ):
        return []
    return [
        problem("gpu-without-hardware-lines", log.location, key=key.value, version=version.value)
    ]
