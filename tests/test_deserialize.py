"""TensorRT deserialization in a child process (preflight.sources.deserialize)."""

from __future__ import annotations

import ctypes
import importlib.util
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from preflight.model import Facts
from preflight.sources import _deserialize_child as child
from preflight.sources import deserialize as mod
from preflight.sources.deserialize import NOT_INSTALLED, deserialize, find_module

SRC = Path(mod.__file__).resolve().parents[2]
REAL_ENGINE = "fixtures/engines/Mycoearthdome_camera_model.engine"


def values(facts: Facts) -> dict[str, Any]:
    return {key: fact.value for key, fact in facts.items()}


def has_cuda_driver() -> bool:
    try:
        ctypes.CDLL("libcuda.so.1")
    except OSError:
        return False
    return True


needs_trt = pytest.mark.skipif(find_module() is None, reason="no TensorRT module installed")
no_gpu_only = pytest.mark.skipif(has_cuda_driver(), reason="a CUDA driver is present here")


def synthetic_plan(path: Path) -> Path:
    """A file that starts like a plan container and continues with noise."""
    path.write_bytes(b"ftrt" + bytes(4) + bytes((i * 37 + 11) % 256 for i in range(4088)))
    return path


# --- the real TensorRT module on a machine without a GPU ------------------------------------


@needs_trt
@no_gpu_only
@pytest.mark.parametrize("which", ["fixture", "synthetic"])
def test_forced_deserialization_crash_is_contained(
    which: str, shared: Path, tmp_path: Path
) -> None:
    engine = shared / REAL_ENGINE if which == "fixture" else synthetic_plan(tmp_path / "x.engine")
    facts = deserialize(engine, force=True)
    got = values(facts)
    assert got["deserialize.forced"] is True
    assert got["deserialize.module"] == find_module()
    assert got["deserialize.status"] in ("crashed", "failed")
    reason = got["deserialize.reason"]
    if got["deserialize.status"] == "crashed":
        assert "SIGSEGV" in reason or "signal" in reason
    # TensorRT's own complaint about CUDA, captured through the logger before the child died.
    assert "CUDA" in reason
    assert any(e["severity"] == "ERROR" for e in got["deserialize.log"])
    assert facts["deserialize.status"].location is not None
    assert facts["deserialize.status"].location.path == str(engine)
    # The parent survived and can go on working.
    again = values(deserialize(engine, force=True))
    assert again["deserialize.status"] == got["deserialize.status"]


@needs_trt
@no_gpu_only
def test_no_gpu_is_skipped_with_the_reason(shared: Path) -> None:
    got = values(deserialize(shared / REAL_ENGINE))
    assert got["deserialize.status"] == "skipped"
    assert got["deserialize.reason"].startswith("no CUDA driver/device: ")
    assert "libcuda.so.1" in got["deserialize.reason"]
    assert got["deserialize.module"] in ("tensorrt", "tensorrt_lean")
    assert got["deserialize.trt_version"].count(".") >= 2
    assert "deserialize.forced" not in got


@needs_trt
def test_unreadable_plan_is_failed(tmp_path: Path) -> None:
    got = values(deserialize(tmp_path / "absent.engine", force=True))
    assert got["deserialize.status"] == "failed"
    assert got["deserialize.reason"].startswith("cannot read the plan:")


# --- no TensorRT ----------------------------------------------------------------------------


def test_no_tensorrt_module_is_skipped(monkeypatch: pytest.MonkeyPatch, shared: Path) -> None:
    real = importlib.util.find_spec

    def hide(name: str, *args: Any, **kwargs: Any) -> Any:
        return None if name in ("tensorrt", "tensorrt_lean") else real(name, *args, **kwargs)

    monkeypatch.setattr(importlib.util, "find_spec", hide)
    got = values(deserialize(shared / REAL_ENGINE))
    assert got == {"deserialize.status": "skipped", "deserialize.reason": NOT_INSTALLED}


def test_no_tensorrt_module_in_a_bare_interpreter(shared: Path) -> None:
    """Without site-packages (-S) neither tensorrt nor tensorrt_lean can be found."""
    code = textwrap.dedent(
        f"""
        import sys
        sys.path.insert(0, {str(SRC)!r})
        from pathlib import Path
        from preflight.sources.deserialize import deserialize
        facts = deserialize(Path({str(shared / REAL_ENGINE)!r}))
        print(facts["deserialize.status"].value)
        print(facts["deserialize.reason"].value)
        print("tensorrt_lean" in sys.modules or "tensorrt" in sys.modules)
        """
    )
    out = subprocess.run(
        [sys.executable, "-S", "-c", code], capture_output=True, text=True, check=True
    ).stdout.splitlines()
    assert out == ["skipped", NOT_INSTALLED, "False"]


def test_parent_never_imports_tensorrt(shared: Path) -> None:
    code = textwrap.dedent(
        f"""
        import sys
        sys.path.insert(0, {str(SRC)!r})
        from pathlib import Path
        from preflight.sources.deserialize import deserialize
        deserialize(Path({str(shared / REAL_ENGINE)!r}), timeout_s=60)
        print(sorted(m for m in sys.modules if m.split(".")[0].startswith("tensorrt")))
        """
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


# --- child process outcomes, independent of TensorRT ----------------------------------------


def test_timeout_kills_the_child_group(tmp_path: Path) -> None:
    pidfile = tmp_path / "grandchild.pid"
    code = (
        "import subprocess, sys, time\n"
        "p = subprocess.Popen(['sleep', '120'])\n"
        f"open({str(pidfile)!r}, 'w').write(str(p.pid))\n"
        "time.sleep(120)\n"
    )
    got = values(
        deserialize(
            tmp_path / "x.engine",
            timeout_s=1.0,
            module="tensorrt",
            _child_argv=[sys.executable, "-c", code],
        )
    )
    assert got["deserialize.status"] == "timeout"
    assert got["deserialize.reason"] == "timed out after 1 s"
    pid = int(pidfile.read_text())
    # The grandchild got SIGKILL with its process group: dead, or a zombie awaiting its reaper.
    status = Path(f"/proc/{pid}/status")
    if status.exists():
        state = next(x for x in status.read_text().splitlines() if x.startswith("State:"))
        assert "Z" in state or "X" in state
    else:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)


def test_child_killed_by_signal_is_crashed(tmp_path: Path) -> None:
    code = (
        "import json, os, signal, sys\n"
        "print(json.dumps({'kind': 'stage', 'stage': 'deserialize'}), flush=True)\n"
        "print(json.dumps({'kind': 'log', 'severity': 'ERROR', 'text': 'bad plan'}), flush=True)\n"
        "sys.stderr.write('last words\\n'); sys.stderr.flush()\n"
        "os.kill(os.getpid(), signal.SIGSEGV)\n"
    )
    got = values(
        deserialize(
            tmp_path / "x.engine", module="tensorrt", _child_argv=[sys.executable, "-c", code]
        )
    )
    assert got["deserialize.status"] == "crashed"
    assert got["deserialize.reason"] == (
        "child killed by signal 11 (SIGSEGV) during deserialize; bad plan; last words"
    )
    assert got["deserialize.log"] == [{"severity": "ERROR", "text": "bad plan"}]


def test_child_exit_without_result_is_failed(tmp_path: Path) -> None:
    code = "import sys; print('not json'); sys.stderr.write('boom\\n'); sys.exit(3)"
    got = values(
        deserialize(
            tmp_path / "x.engine", module="tensorrt", _child_argv=[sys.executable, "-c", code]
        )
    )
    assert got["deserialize.status"] == "failed"
    assert got["deserialize.reason"] == "the child exited with status 3 without a result: boom"


# --- the device check -----------------------------------------------------------------------


class FakeCuda:
    def __init__(self, init_rc: int, count: int) -> None:
        self.init_rc, self.count = init_rc, count

    def cuInit(self, flags: int) -> int:
        return self.init_rc

    def cuDeviceGetCount(self, ref: Any) -> int:
        ref._obj.value = self.count
        return 0


@pytest.mark.parametrize(
    ("lib", "expected"),
    [
        (None, "cannot load libcuda.so.1"),
        (FakeCuda(100, 0), "cuInit failed with CUresult 100"),
        (FakeCuda(0, 0), "the driver reports 0 devices"),
        (FakeCuda(0, 2), None),
    ],
)
def test_device_check(monkeypatch: pytest.MonkeyPatch, lib: Any, expected: str | None) -> None:
    def load(name: str) -> Any:
        assert name == "libcuda.so.1"
        if lib is None:
            raise OSError("libcuda.so.1: cannot open shared object file")
        return lib

    monkeypatch.setattr(child.ctypes, "CDLL", load)
    reason = child.device_check()
    if expected is None:
        assert reason is None
    else:
        assert reason is not None
        assert reason.startswith("no CUDA driver/device: ")
        assert expected in reason


# --- the success path, against a fake module ------------------------------------------------

FAKE_TENSORRT = '''
"""A stand-in for the tensorrt module: only what preflight's child calls."""
import os
import sys

__version__ = "99.1.0.7"


class _Enum:
    def __init__(self, name):
        self.name = name


class ILogger:
    class Severity:
        ERROR = _Enum("ERROR")
        WARNING = _Enum("WARNING")

    def __init__(self):
        pass


class _Engine:
    num_io_tensors = 2
    device_memory_size_v2 = 123456789
    hardware_compatibility_level = _Enum("AMPERE_PLUS")
    num_layers = 42
    num_optimization_profiles = 3
    _tensors = {
        "input_ids": ("INPUT", (-1, -1), "INT32"),
        "logits": ("OUTPUT", (-1, 32000), "HALF"),
    }

    def get_tensor_name(self, i):
        return list(self._tensors)[i]

    def get_tensor_mode(self, name):
        return _Enum(self._tensors[name][0])

    def get_tensor_shape(self, name):
        return self._tensors[name][1]

    def get_tensor_dtype(self, name):
        return _Enum(self._tensors[name][2])


class Runtime:
    def __init__(self, logger):
        self.logger = logger
        print("chatter on stdout from the library")
        sys.stdout.flush()
        os.write(1, b"native chatter on fd 1\\n")
        logger.log(ILogger.Severity.WARNING, "fake runtime started")

    def deserialize_cuda_engine(self, plan):
        if bytes(memoryview(plan)[:4]) == b"GOOD":
            return _Engine()
        self.logger.log(ILogger.Severity.ERROR, "Error Code 1: Serialization (fake: bad magic)")
        return None
'''


@pytest.fixture
def fake_trt(tmp_path: Path) -> dict[str, str]:
    pkg = tmp_path / "fake" / "tensorrt"
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text(FAKE_TENSORRT)
    return {"PYTHONPATH": str(tmp_path / "fake")}


def test_success_facts_from_a_fake_module(fake_trt: dict[str, str], tmp_path: Path) -> None:
    """No real engine can load on a CPU-only machine, so the extraction of engine facts is
    checked against a fake ``tensorrt`` module put on the child's PYTHONPATH."""
    plan = tmp_path / "rank0.engine"
    plan.write_bytes(b"GOOD" + bytes(60))
    facts = deserialize(plan, module="tensorrt", force=True, _env=fake_trt)
    got = values(facts)
    assert got["deserialize.status"] == "ok"
    assert "deserialize.reason" not in got
    assert got["deserialize.module"] == "tensorrt"
    assert got["deserialize.trt_version"] == "99.1.0.7"
    assert got["deserialize.io_tensors"] == [
        {"name": "input_ids", "mode": "input", "shape": [-1, -1], "dtype": "INT32"},
        {"name": "logits", "mode": "output", "shape": [-1, 32000], "dtype": "HALF"},
    ]
    assert got["deserialize.device_memory_bytes"] == 123456789
    assert got["deserialize.hardware_compatibility_level"] == "AMPERE_PLUS"
    assert got["deserialize.num_layers"] == 42
    assert got["deserialize.num_optimization_profiles"] == 3
    # The library's own stdout chatter did not break the JSON lines; its log message came through.
    assert got["deserialize.log"] == [{"severity": "WARNING", "text": "fake runtime started"}]
    assert all(f.location is not None and f.location.path == str(plan) for f in facts.values())


def test_failure_reason_is_tensorrt_error_text(fake_trt: dict[str, str], tmp_path: Path) -> None:
    plan = tmp_path / "rank0.engine"
    plan.write_bytes(b"BAD!" + bytes(60))
    got = values(deserialize(plan, module="tensorrt", force=True, _env=fake_trt))
    assert got["deserialize.status"] == "failed"
    assert got["deserialize.reason"] == "Error Code 1: Serialization (fake: bad magic)"
    assert "deserialize.io_tensors" not in got


def test_device_check_runs_unless_forced(fake_trt: dict[str, str], tmp_path: Path) -> None:
    plan = tmp_path / "rank0.engine"
    plan.write_bytes(b"GOOD" + bytes(60))
    if has_cuda_driver():
        pytest.skip("a CUDA driver is present here")
    got = values(deserialize(plan, module="tensorrt", _env=fake_trt))
    assert got["deserialize.status"] == "skipped"
    assert got["deserialize.reason"].startswith("no CUDA driver/device: ")
    assert got["deserialize.trt_version"] == "99.1.0.7"
