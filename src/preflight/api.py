"""The Python API: ``preflight.check(repo, target=...)`` runs ``preflight check`` in-process.

For deployment scripts and notebooks that want the findings as data rather than a
subprocess's text. The run is the command line's, option for option (the same settings file
discovery, rules, target resolution, suppressions and baseline), and returns the typed
:class:`~preflight.model.RunResult` that every report is rendered from::

    import preflight

    result = preflight.check("model_repo", target={"gpu": "L4", "triton": "25.06"})
    failures = [r for r in result.results if r.status == "fail" and r.severity == "error"]

Errors that stop a run (an unreadable repository, an invalid ``.preflight.yaml`` or rule
file, an unknown GPU) raise :class:`preflight.errors.PreflightError`, whose ``lines`` say
why; a broken artifact inside the repository is a finding, as on the command line.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from .model import RunResult

# target= keys (those of .preflight.yaml's target:) -> the check option's attribute
_TARGET_KEYS = {
    "gpu": "target_gpu",
    "triton": "triton_version",
    "trt": "trt_version",
    "trtllm": "trtllm_version",
    "gpu_count": "gpu_count",
    "gpu_memory": "gpu_memory",
    "world_size": "world_size",
}


def check(
    repo: str | os.PathLike[str],
    *,
    target: Mapping[str, Any] | None = None,
    config: str | os.PathLike[str] | None = None,
    select: Iterable[str] = (),
    ignore: Iterable[str] = (),
    rules: Iterable[str | os.PathLike[str]] = (),
    build_log: str | os.PathLike[str] | None = None,
    baseline: str | os.PathLike[str] | None = None,
    deserialize: bool | None = None,
    server: str | None = None,
) -> RunResult:
    """Check the Triton model repository ``repo`` and return every result.

    ``target`` holds what ``.preflight.yaml``'s ``target:`` holds (``gpu``, ``triton``,
    ``trt``, ``trtllm``, ``gpu_count``, ...) and overrides it; ``select`` / ``ignore`` pick
    rules by id, name, id prefix or group; ``rules`` adds rule folders; ``baseline`` reports
    the findings recorded in that file as known. Nothing is printed.
    """
    from .cli import _parser  # the command line's defaults, also for options added later
    from .commands import check_run

    args = _parser().parse_args(["check", os.fspath(repo)])
    for key, value in (target or {}).items():
        if key not in _TARGET_KEYS:
            raise TypeError(
                f"check(): unknown target key {key!r}; expected one of {', '.join(_TARGET_KEYS)}"
            )
        numeric = key in ("gpu_count", "world_size", "gpu_memory")
        setattr(args, _TARGET_KEYS[key], value if numeric else str(value))
    args.config = Path(config) if config is not None else None
    args.select, args.ignore = list(select), list(ignore)
    args.rules = [Path(d) for d in rules]
    args.build_log = Path(build_log) if build_log is not None else None
    args.baseline = Path(baseline) if baseline is not None else None
    args.deserialize = deserialize
    args.server = server
    from . import safe_files

    try:
        run, _fail_on, _rules = check_run(args)
    finally:
        safe_files.reset()  # the repository's boundary was this call's
    return run
