"""Deserialize a TensorRT plan with TensorRT itself, in a child process: ``deserialize.*`` facts.

The header parser (``sources/trt_engine.py``) reads what a CPU can; only a real deserialization
tells whether the target runtime accepts the plan. That needs TensorRT and a CUDA device, and it
can crash: without a driver, the TensorRT runtime segfaults inside ``deserialize_cuda_engine``.
So this module never imports TensorRT. It

1. finds the module with ``importlib.util.find_spec`` (``tensorrt``, then ``tensorrt_lean``);
   none -> ``skipped``;
2. runs ``python -m preflight.sources._deserialize_child`` with a timeout. The child checks for a
   CUDA driver and device through ctypes (``cuInit``/``cuDeviceGetCount``: a broken driver may
   crash there too, so the check lives in the child), then deserializes, streaming TensorRT's
   log messages and a final result as JSON lines;
3. maps the outcome to facts: ``ok``, ``failed`` (TensorRT's error text), ``skipped`` (no module,
   no driver or device), ``crashed`` (killed by a signal; with the last TensorRT errors and the
   stderr tail) or ``timeout``.

``force=True`` skips the device check, so the attempt is made even without a GPU: that is how
the crash path is shown for real on a CPU-only machine.
"""

from __future__ import annotations

import importlib.util
import json
import os
import signal
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from preflight import safe_files
from preflight.model import Fact, Facts, Location

MODULES = ("tensorrt", "tensorrt_lean")
NOT_INSTALLED = "TensorRT Python package not installed (pip install 'preflight[tensorrt]')"
NAMESPACES = ("deserialize",)
CHILD_MODULE = "preflight.sources._deserialize_child"
_TAIL_LINES = 5
_LOG_KEEP = 50
_RESULT_KEYS = (
    "module",
    "trt_version",
    "io_tensors",
    "device_memory_bytes",
    "hardware_compatibility_level",
    "num_layers",
    "num_optimization_profiles",
)


def find_module() -> str | None:
    """The first importable TensorRT module name, found without importing it."""
    for name in MODULES:
        try:
            if importlib.util.find_spec(name) is not None:
                return name
        except (ImportError, ValueError):
            continue
    return None


def deserialize(
    engine: Path,
    timeout_s: float = 120.0,
    *,
    force: bool = False,
    module: str | None = None,
    _child_argv: Sequence[str] | None = None,
    _env: Mapping[str, str] | None = None,
) -> Facts:
    """Deserialize ``engine`` in a child process and return ``deserialize.*`` facts.

    ``force`` skips the CUDA driver/device check and attempts deserialization anyway.
    ``module`` picks ``tensorrt`` or ``tensorrt_lean`` instead of the first one found.
    ``_child_argv`` replaces the child command (tests); ``_env`` is added to its environment.
    Never raises on a bad engine or a broken TensorRT: the facts say what happened.
    """
    loc = Location(path=str(engine))
    mod = module or find_module()
    if mod is None:
        return _facts(loc, {"status": "skipped", "reason": NOT_INSTALLED})
    argv = list(_child_argv) if _child_argv is not None else _child_command(mod, force)
    try:  # the child reads the file the boundary allows, by its real path, never a FIFO
        real = safe_files.resolve(engine)
        if os.path.lexists(real):
            os.close(safe_files.open_fd(real, "engine"))
    except OSError as exc:
        return _facts(loc, {"status": "failed", "reason": f"not read: {exc.strerror or exc}"})
    argv.append(real)  # the child runs elsewhere: see _run_child
    outcome = _run_child(argv, timeout_s, _child_env(_env))
    values = _interpret(outcome, mod, timeout_s)
    if force:
        values["forced"] = True
    return _facts(loc, values)


_PACKAGE_ROOT = str(Path(__file__).resolve().parents[2])  # the folder that holds preflight/


def _child_command(module: str, force: bool) -> list[str]:
    # -P (3.11+): no current or script directory on sys.path, so nothing beside the checked
    # repository can shadow a module the child imports.
    safe = ["-P"] if sys.version_info >= (3, 11) else []
    argv = [sys.executable, *safe, "-m", CHILD_MODULE, "--module", module]
    if force:
        argv.append("--no-device-check")
    argv.append("--")  # an engine path that starts with "-" stays a path
    return argv


def _child_env(extra: Mapping[str, str] | None) -> dict[str, str]:
    """The parent's environment, with preflight's own source root on PYTHONPATH."""
    env = dict(os.environ)
    if extra:
        env.update(extra)
    root = _PACKAGE_ROOT
    parts = [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]
    if root not in parts:
        parts.append(root)
    env["PYTHONPATH"] = os.pathsep.join(parts)
    return env


class _Outcome:
    def __init__(self, returncode: int | None, stdout: str, stderr: str, timed_out: bool) -> None:
        self.returncode = returncode
        self.stdout = stdout
        self.stderr = stderr
        self.timed_out = timed_out


def _run_child(argv: list[str], timeout_s: float, env: dict[str, str]) -> _Outcome:
    try:
        proc = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
            cwd=_PACKAGE_ROOT,  # never the checked repository: `-m` puts the cwd on sys.path
            start_new_session=True,  # its own process group: a timeout kills all of it
        )
    except OSError as exc:
        return _Outcome(None, "", f"cannot start the child process: {exc}", False)
    try:
        out, err = proc.communicate(timeout=timeout_s)
        timed_out = False
    except subprocess.TimeoutExpired:
        _kill_group(proc)
        out, err = proc.communicate()
        timed_out = True
    except BaseException:  # Ctrl-C, SIGTERM: the child is in its own session, end it too
        _kill_group(proc)
        proc.wait()
        raise
    return _Outcome(
        proc.returncode,
        out.decode("utf-8", "replace"),
        err.decode("utf-8", "replace"),
        timed_out,
    )


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except OSError:
        proc.kill()


class _Lines:
    """What the child's JSON lines said; lines that are not JSON objects are ignored."""

    def __init__(self, stdout: str) -> None:
        self.result: dict[str, Any] | None = None
        self.logs: list[dict[str, Any]] = []
        self.stage: str | None = None
        self.trt_version: str | None = None
        for line in stdout.splitlines():
            self._take(line)

    def _take(self, line: str) -> None:
        try:
            item = json.loads(line)
        except ValueError:
            return
        if not isinstance(item, dict):
            return
        kind = item.get("kind")
        if kind == "result":
            self.result = item
        elif kind == "log":
            self.logs.append({"severity": str(item.get("severity")), "text": str(item.get("text"))})
        elif kind == "stage":
            self.stage = str(item.get("stage"))
        elif kind == "module" and item.get("trt_version") is not None:
            self.trt_version = str(item["trt_version"])


def _signal_name(signum: int) -> str:
    try:
        return signal.Signals(signum).name
    except ValueError:
        return f"signal {signum}"


def _tail(text: str, n: int = _TAIL_LINES) -> list[str]:
    return [line for line in text.strip().splitlines() if line.strip()][-n:]


def _interpret(outcome: _Outcome, module: str, timeout_s: float) -> dict[str, Any]:
    lines = _Lines(outcome.stdout)
    result, logs, stage = lines.result, lines.logs, lines.stage
    values: dict[str, Any] = {"module": module}
    if lines.trt_version is not None:
        values["trt_version"] = lines.trt_version
    if result is not None:
        values.update({k: result[k] for k in _RESULT_KEYS if k in result})
    if logs:
        values["log"] = logs[-_LOG_KEEP:]
    errors = [e["text"] for e in logs if e["severity"] in ("ERROR", "INTERNAL_ERROR")]
    where = f" during {stage}" if stage else ""

    if outcome.timed_out:
        values["status"] = "timeout"
        values["reason"] = f"timed out after {timeout_s:g} s{where}"
    elif result is not None and isinstance(result.get("status"), str):
        values["status"] = result["status"]
        if "reason" in result:
            values["reason"] = str(result["reason"])
    elif outcome.returncode is not None and outcome.returncode < 0:
        signum = -outcome.returncode
        detail = errors[-2:] + _tail(outcome.stderr, 3)
        reason = f"child killed by signal {signum} ({_signal_name(signum)}){where}"
        values["status"] = "crashed"
        values["reason"] = reason + ("; " + "; ".join(detail) if detail else "")
    else:
        tail = _tail(outcome.stderr)
        code = outcome.returncode
        head = "the child process" if code is None else f"the child exited with status {code}"
        values["status"] = "failed"
        values["reason"] = f"{head} without a result" + (": " + " | ".join(tail) if tail else "")
    return values


def _facts(loc: Location, values: Mapping[str, Any]) -> Facts:
    return {f"deserialize.{key}": Fact(value, loc) for key, value in values.items()}
