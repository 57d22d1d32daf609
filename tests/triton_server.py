"""Start and stop a real, CPU-only Triton server for tests.

The server comes from the ``nvidia-pytriton`` wheel, which carries ``tritonserver`` and the
Python backend. The Python backend stub matching this interpreter is copied into a backend
folder owned by the caller (never into site-packages). The server binds to 127.0.0.1 on free
ports, runs with ``--model-control-mode=explicit`` and is always killed on exit.
"""

from __future__ import annotations

import contextlib
import ctypes
import importlib.util
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

HOST = "127.0.0.1"
# Logged by the Python backend stub when it cannot start a model (e.g. no model.py); the
# server then never answers the load request.
_STUB_FAILED = "Failed to preinitialize Python stub"
_PROTOBUF_ERROR = "[libprotobuf ERROR"


def _site_root() -> Path | None:
    """The folder of the installed ``pytriton`` package, or None."""
    spec = importlib.util.find_spec("pytriton")
    if spec is None or spec.origin is None:
        return None
    return Path(spec.origin).resolve().parent


def find_tritonserver() -> Path | None:
    """Path to the ``tritonserver`` binary shipped in the nvidia-pytriton wheel, or None."""
    root = _site_root()
    if root is None:
        return None
    binary = root / "tritonserver" / "bin" / "tritonserver"
    return binary if binary.is_file() and os.access(binary, os.X_OK) else None


def skip_reason() -> str | None:
    """Why a real server cannot be started here, or None when it can."""
    if not sys.platform.startswith("linux"):
        return "a real Triton server needs Linux (the nvidia-pytriton wheel is Linux-only)"
    root = _site_root()
    if root is None:
        return "nvidia-pytriton is not installed: pip install nvidia-pytriton"
    if find_tritonserver() is None:
        return f"nvidia-pytriton has no tritonserver binary under {root}"
    ver = f"{sys.version_info.major}.{sys.version_info.minor}"
    stub = root / "tritonserver" / "python_backend_stubs" / ver / "triton_python_backend_stub"
    if not stub.is_file():
        return f"nvidia-pytriton has no Python backend stub for Python {ver}"
    try:
        import tritonclient.grpc  # noqa: F401
    except Exception as exc:  # tritonclient raises RuntimeError without the grpc extra
        return f"tritonclient[grpc] is not usable: {exc}"
    return None


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago (bound to port 0, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def build_backend_dir(dest: Path) -> Path:
    """Lay out ``dest/python/`` with the wheel's Python backend and this Python's stub.

    Returns ``dest``, ready for ``--backend-directory``.
    """
    root = _site_root()
    if root is None:
        raise RuntimeError("nvidia-pytriton is not installed")
    src = root / "tritonserver" / "backends" / "python"
    ver = f"{sys.version_info.major}.{sys.version_info.minor}"
    stub = root / "tritonserver" / "python_backend_stubs" / ver / "triton_python_backend_stub"
    py = dest / "python"
    py.mkdir(parents=True, exist_ok=True)
    lib = py / "libtriton_python.so"
    if not lib.exists():
        lib.symlink_to(src / "libtriton_python.so")
    shutil.copy2(src / "triton_python_backend_utils.py", py / "triton_python_backend_utils.py")
    shutil.copy2(stub, py / "triton_python_backend_stub")
    return dest


def server_env() -> dict[str, str]:
    """Environment for tritonserver: bundled libraries, and this venv's bin first on PATH."""
    root = _site_root()
    if root is None:
        raise RuntimeError("nvidia-pytriton is not installed")
    env = dict(os.environ)
    libs = str(root.parent / "nvidia_pytriton.libs")
    old = env.get("LD_LIBRARY_PATH")
    env["LD_LIBRARY_PATH"] = f"{libs}:{old}" if old else libs
    # The stub finds its Python (and numpy) through PATH; the venv's bin holds both.
    env["PATH"] = f"{Path(sys.executable).parent}:{env.get('PATH', '')}"
    # Never route the health checks or the client through a proxy: everything is local.
    env["NO_PROXY"] = env["no_proxy"] = HOST
    return env


def _strip_log_prefix(line: str) -> str:
    """``E1126 18:09:34.92 6355 file.cc:1460] "text"`` -> ``text``."""
    _, sep, rest = line.partition("] ")
    text = (rest if sep else line).strip()
    if len(text) >= 2 and text[0] == text[-1] == '"':
        text = text[1:-1]
    return text.replace('\\"', '"')


def _mentions(name: str) -> re.Pattern[str]:
    """Matches ``name`` as a whole model name (not as the prefix of a longer one)."""
    return re.compile(rf"(?<![\w.-]){re.escape(name)}(?![\w.-])")


def _error_lines(lines: list[str]) -> list[str]:
    """The error lines of a log excerpt, prefix and quotes removed.

    libprotobuf prints the parse error (with line:col) on its own line, without the model's
    name, just before Triton's "failed to read text proto from <path>"; it is joined to that
    line so that it stays with its model.
    """
    out: list[str] = []
    pending = ""
    for line in lines:
        if line.startswith(_PROTOBUF_ERROR):
            pending = line.partition("] ")[2].strip()
        elif line[:1] == "E" or _STUB_FAILED in line:
            text = _strip_log_prefix(line)
            if pending and "failed to read text proto" in text:
                text = f"{text}: {pending}"
                pending = ""
            out.append(text)
    return out


def _die_with_parent() -> None:
    """In the child before exec: get SIGKILL when the test process dies (Linux prctl)."""
    with contextlib.suppress(Exception):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


class TritonServer:
    """A real tritonserver over one or more model repositories, in explicit control mode.

    Use as a context manager. ``load(name)`` returns ``(ready, error)``; ``unload(name)``
    unloads a model and its dependents. The log goes to ``log_path``.
    """

    def __init__(
        self,
        repositories: Sequence[Path],
        workdir: Path,
        *,
        startup_timeout: float = 60.0,
        extra_args: Sequence[str] = (),
    ) -> None:
        self.repositories = [Path(r) for r in repositories]
        self.workdir = Path(workdir)
        self.startup_timeout = startup_timeout
        self.extra_args = list(extra_args)
        self.log_path = self.workdir / "tritonserver.log"
        self.http_port = 0
        self.grpc_port = 0
        self._proc: subprocess.Popen[bytes] | None = None
        self._log: Any = None
        self._client: Any = None

    # -- lifecycle -----------------------------------------------------------------------

    def command(self) -> list[str]:
        binary = find_tritonserver()
        if binary is None:
            raise RuntimeError("tritonserver not found: pip install nvidia-pytriton")
        backends = build_backend_dir(self.workdir / "backends")
        cmd = [str(binary)]
        cmd += [f"--model-repository={r}" for r in self.repositories]
        cmd += [
            f"--backend-directory={backends}",
            "--model-control-mode=explicit",
            f"--http-address={HOST}",
            f"--http-port={self.http_port}",
            f"--grpc-address={HOST}",
            f"--grpc-port={self.grpc_port}",
            "--allow-metrics=false",
            "--allow-sagemaker=false",
            "--allow-vertex-ai=false",
            "--pinned-memory-pool-byte-size=0",
            "--exit-on-error=false",
            "--exit-timeout-secs=5",
            "--log-verbose=0",
            *self.extra_args,
        ]
        return cmd

    def start(self) -> TritonServer:
        import tritonclient.grpc as grpcclient

        self.workdir.mkdir(parents=True, exist_ok=True)
        self.http_port = free_port()
        self.grpc_port = free_port()
        while self.grpc_port == self.http_port:
            self.grpc_port = free_port()
        cmd = self.command()
        self._log = self.log_path.open("wb")
        self._proc = subprocess.Popen(
            cmd,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=server_env(),
            cwd=self.workdir,
            start_new_session=True,
            preexec_fn=_die_with_parent,
        )
        self._client = grpcclient.InferenceServerClient(url=f"{HOST}:{self.grpc_port}")
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                self.stop()
                raise RuntimeError(
                    f"tritonserver exited with {self._proc.returncode}: {self.log_tail()}"
                )
            with contextlib.suppress(Exception):
                if self._client.is_server_live() and self._client.is_server_ready():
                    return self
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(
            f"tritonserver not ready after {self.startup_timeout:.0f} s: {self.log_tail()}"
        )

    def stop(self) -> None:
        """Terminate the server (SIGTERM, then SIGKILL) and close the log."""
        if self._client is not None:
            with contextlib.suppress(Exception):
                self._client.close()
            self._client = None
        proc = self._proc
        if proc is not None and proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                # The whole session: the server and any Python backend stubs it spawned.
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)
        if proc is not None:
            # Stubs left behind by a server that died are in the server's session.
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGKILL)
        if self._log is not None:
            self._log.close()
            self._log = None

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    @property
    def pid(self) -> int | None:
        return None if self._proc is None else self._proc.pid

    def __enter__(self) -> TritonServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- model control -------------------------------------------------------------------

    def load(self, name: str, *, timeout: float = 30.0) -> tuple[bool, str]:
        """Ask the server to load ``name``; (True, "") when it is ready, else (False, error).

        The error joins the client's message with the error lines the server logged during
        the load. A load that does not finish within ``timeout`` seconds, or whose Python
        stub reports that it failed to start (this server then waits forever), is
        (False, "load did not finish ...") with the stub's message.
        """
        if self._client is None:
            raise RuntimeError("server not started")
        start = self._log_size()
        outcome: list[tuple[bool, str]] = []
        worker = threading.Thread(
            target=self._load_blocking, args=(name, timeout, outcome), daemon=True
        )
        worker.start()
        deadline = time.monotonic() + timeout
        stub_failure: list[str] = []
        while worker.is_alive() and time.monotonic() < deadline:
            worker.join(0.05)
            stub_failure = [
                line
                for line in self._lines_since(start)
                if _STUB_FAILED in line and _mentions(name).search(line)
            ]
            if stub_failure:
                break
        if outcome:
            ready, error = outcome[0]
        elif stub_failure:
            ready, error = False, "load did not finish: the Python stub failed to start"
        else:
            ready, error = False, f"load did not finish within {timeout:.0f} s"
        if not ready:
            # The client only says "failed to poll from model repository"; the server's log
            # holds the reason (e.g. "Poll failed for model directory 'm': <reason>").
            details = self._errors_since(start, name)
            if details:
                error = f"{error} | {' | '.join(details)}"
        return ready, error

    def _load_blocking(self, name: str, timeout: float, outcome: list[tuple[bool, str]]) -> None:
        from tritonclient.utils import InferenceServerException

        try:
            self._client.load_model(name, client_timeout=timeout)
            ready = bool(self._client.is_model_ready(name, client_timeout=timeout))
            outcome.append((ready, "" if ready else "loaded but not ready"))
        except InferenceServerException as exc:
            outcome.append((False, str(exc.message() or exc)))
        except Exception as exc:  # a closed channel after stop(); reported, never raised
            outcome.append((False, f"{type(exc).__name__}: {exc}"))

    def _log_size(self) -> int:
        if self._log is not None:
            self._log.flush()
        try:
            return self.log_path.stat().st_size
        except OSError:
            return 0

    def _lines_since(self, offset: int) -> list[str]:
        try:
            with self.log_path.open("rb") as fh:
                fh.seek(offset)
                return fh.read().decode(errors="replace").splitlines()
        except OSError:
            return []

    def _errors_since(self, offset: int, name: str) -> list[str]:
        """Error lines logged after byte ``offset`` (prefix and quotes removed).

        Lines naming the model ``name`` are preferred, so that loads running in parallel
        threads keep their own messages; when none names it, every error line is returned.
        """
        mentions = _mentions(name)
        found: list[str] = []
        for _ in range(20):  # the log line may trail the RPC reply by a few milliseconds
            found = _error_lines(self._lines_since(offset))
            if found:
                break
            time.sleep(0.025)
        own = [line for line in found if mentions.search(line)]
        return own or found

    def unload(self, name: str, *, wait: float = 0.0) -> None:
        """Unload ``name`` and the models it depends on; errors are ignored.

        Unloading finishes in the background; with ``wait`` > 0, poll the repository index
        for up to that many seconds until ``name`` is no longer loaded or unloading.
        """
        from tritonclient.utils import InferenceServerException

        if self._client is None:
            return
        # A model whose load never finished (a failed Python stub) would block the unload
        # forever: the call is bounded.
        with contextlib.suppress(InferenceServerException):
            self._client.unload_model(name, unload_dependents=True, client_timeout=10)
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            states = {m.get("name"): m.get("state") for m in self.repository_index()}
            if states.get(name) not in ("READY", "UNLOADING", "LOADING"):
                return
            time.sleep(0.05)

    def repository_index(self) -> list[dict[str, Any]]:
        if self._client is None:
            raise RuntimeError("server not started")
        index = self._client.get_model_repository_index(as_json=True)
        models: list[dict[str, Any]] = index.get("models", [])
        return models

    def log_tail(self, chars: int = 4000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except OSError:
            return "(no log)"
