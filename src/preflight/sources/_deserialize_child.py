"""Child process that deserializes one TensorRT plan (run by ``preflight.sources.deserialize``).

Usage::

    python -m preflight.sources._deserialize_child --module tensorrt_lean [--no-device-check] ENGINE

Deserializing a plan can crash the process (on a machine without a CUDA driver the TensorRT
runtime segfaults), so this runs apart from the checker. It writes JSON lines to its original
standard output, each flushed at once so that nothing is lost when the process dies:

* ``{"kind": "stage", "stage": "..."}`` before each step (``import``, ``device-check``,
  ``runtime``, ``deserialize``, ``inspect``);
* ``{"kind": "module", "name": "...", "trt_version": "..."}`` once the module is imported;
* ``{"kind": "log", "severity": "ERROR", "text": "..."}`` for every TensorRT log message,
  captured through an ``ILogger`` subclass;
* ``{"kind": "result", ...}`` once, last: ``status`` and ``reason``, ``module``,
  ``trt_version`` and, on success, the engine's facts.

File descriptor 1 is redirected to standard error before TensorRT is loaded, so whatever native
code prints cannot interleave with the JSON lines.

The device check (``libcuda.so.1``, ``cuInit``, ``cuDeviceGetCount`` through ctypes) runs here,
not in the parent: a broken driver can crash inside ``cuInit``, and this process is the one that
is allowed to die.

The runtime is created with host code from plans disallowed (the default): a version-compatible
plan with an embedded lean runtime carries host code, and preflight never executes code from a
checked repository. Such a plan fails with TensorRT's own message.
"""

from __future__ import annotations

import argparse
import ctypes
import importlib
import json
import mmap
import os
import sys
from collections.abc import Sequence
from typing import IO, Any

# It writes no facts: sources/deserialize.py reads its JSON lines and writes deserialize.*.
NAMESPACES: tuple[str, ...] = ()
_LOG_TEXT_LIMIT = 4000


class _Channel:
    """The JSON-lines protocol back to the parent."""

    def __init__(self, out: IO[str]) -> None:
        self._out = out

    def send(self, kind: str, **fields: Any) -> None:
        line = json.dumps({"kind": kind, **fields}, default=str)
        self._out.write(line + "\n")
        self._out.flush()


def _private_stdout() -> IO[str]:
    """Keep the original stdout for the protocol; send fd 1 to stderr from now on."""
    sys.stdout.flush()
    proto = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)
    return proto


def device_check() -> str | None:
    """None when a CUDA driver and at least one device are present, else why not."""
    try:
        lib = ctypes.CDLL("libcuda.so.1")
    except OSError as exc:
        return f"no CUDA driver/device: cannot load libcuda.so.1 ({exc})"
    rc = lib.cuInit(0)
    if rc != 0:
        return f"no CUDA driver/device: cuInit failed with CUresult {rc}"
    count = ctypes.c_int(0)
    rc = lib.cuDeviceGetCount(ctypes.byref(count))
    if rc != 0:
        return f"no CUDA driver/device: cuDeviceGetCount failed with CUresult {rc}"
    if count.value < 1:
        return "no CUDA driver/device: the driver reports 0 devices"
    return None


def _make_logger(trt: Any, chan: _Channel, errors: list[str]) -> Any:
    class _Logger(trt.ILogger):  # type: ignore[misc]
        def __init__(self) -> None:
            trt.ILogger.__init__(self)

        def log(self, severity: Any, msg: str) -> None:
            name = getattr(severity, "name", str(severity))
            text = str(msg)[:_LOG_TEXT_LIMIT]
            if name in ("ERROR", "INTERNAL_ERROR"):
                errors.append(text)
            chan.send("log", severity=name, text=text)

    return _Logger()


def _name(value: Any) -> str:
    return str(getattr(value, "name", value))


def engine_facts(trt: Any, engine: Any) -> dict[str, Any]:
    """The facts preflight reads off a deserialized ``ICudaEngine``."""
    tensors: list[dict[str, Any]] = []
    for i in range(int(engine.num_io_tensors)):
        name = engine.get_tensor_name(i)
        tensors.append(
            {
                "name": str(name),
                "mode": _name(engine.get_tensor_mode(name)).lower(),
                "shape": [int(d) for d in engine.get_tensor_shape(name)],
                "dtype": _name(engine.get_tensor_dtype(name)),
            }
        )
    facts: dict[str, Any] = {"io_tensors": tensors}
    for attr in ("device_memory_size_v2", "device_memory_size"):
        if hasattr(engine, attr):
            facts["device_memory_bytes"] = int(getattr(engine, attr))
            break
    if hasattr(engine, "hardware_compatibility_level"):
        facts["hardware_compatibility_level"] = _name(engine.hardware_compatibility_level)
    if hasattr(engine, "num_layers"):
        facts["num_layers"] = int(engine.num_layers)
    if hasattr(engine, "num_optimization_profiles"):
        facts["num_optimization_profiles"] = int(engine.num_optimization_profiles)
    return facts


def _read_plan(path: str) -> Any:
    with open(path, "rb") as fh:
        try:
            return mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
        except (ValueError, OSError):  # empty file or not mappable
            return fh.read()


def _failure_reason(errors: list[str], fallback: str) -> str:
    return "; ".join(errors[-3:]) if errors else fallback


def run(engine_path: str, module: str, check_device: bool, chan: _Channel) -> dict[str, Any]:
    result: dict[str, Any] = {"module": module}
    chan.send("stage", stage="import")
    try:
        trt = importlib.import_module(module)
    except Exception as exc:  # a broken install: report, never raise
        return {**result, "status": "failed", "reason": f"import {module} failed: {exc}"}
    version = getattr(trt, "__version__", None)
    if version is not None:
        result["trt_version"] = str(version)
        chan.send("module", name=module, trt_version=str(version))

    if check_device:
        chan.send("stage", stage="device-check")
        missing = device_check()
        if missing is not None:
            return {**result, "status": "skipped", "reason": missing}

    try:
        plan = _read_plan(engine_path)
    except OSError as exc:
        return {**result, "status": "failed", "reason": f"cannot read the plan: {exc}"}

    errors: list[str] = []
    chan.send("stage", stage="runtime")
    try:
        runtime = trt.Runtime(_make_logger(trt, chan, errors))
        chan.send("stage", stage="deserialize")
        engine = runtime.deserialize_cuda_engine(plan)
    except Exception as exc:
        reason = _failure_reason(errors, f"{type(exc).__name__}: {exc}")
        return {**result, "status": "failed", "reason": reason}
    if engine is None:
        reason = _failure_reason(errors, "deserialize_cuda_engine returned no engine")
        return {**result, "status": "failed", "reason": reason}

    chan.send("stage", stage="inspect")
    try:
        facts = engine_facts(trt, engine)
    except Exception as exc:
        return {**result, "status": "failed", "reason": f"reading the engine failed: {exc}"}
    return {**result, "status": "ok", **facts}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m preflight.sources._deserialize_child")
    parser.add_argument("--module", required=True, choices=["tensorrt", "tensorrt_lean"])
    parser.add_argument("--no-device-check", action="store_true")
    parser.add_argument("engine")
    args = parser.parse_args(argv)
    chan = _Channel(_private_stdout())
    result = run(args.engine, args.module, not args.no_device_check, chan)
    chan.send("result", **result)
    # TensorRT objects built on a failed CUDA start can crash in their destructors; the
    # result is out, so leave without running them.
    sys.stderr.flush()
    os._exit(0)


if __name__ == "__main__":
    raise SystemExit(main())
