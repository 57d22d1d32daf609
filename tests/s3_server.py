"""A real S3 API server for the tests: moto's server on 127.0.0.1, a free port.

``in_process()`` runs it in a thread of the test process (its backend is reachable, so a test
can serve a 10 GB object from a sparse file and count the bytes the server sends);
``subprocess_server(env)`` runs ``python -m moto.server`` in a child process with its own
environment (``INITIAL_NO_AUTH_ACTION_COUNT``: after that many requests it checks credentials).
The clients are real (boto3 to set up, s3fs inside preflight), over HTTP.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ACCOUNT = "123456789012"  # moto's default account
KEYS = {"AWS_ACCESS_KEY_ID": "testing-key", "AWS_SECRET_ACCESS_KEY": "testing-secret-value"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait(port: int, seconds: float = 30) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.5):
            return
        time.sleep(0.05)
    raise RuntimeError(f"the S3 server on port {port} did not start")


@contextlib.contextmanager
def in_process() -> Iterator[str]:
    import logging

    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no line per request
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    _wait(port)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


@contextlib.contextmanager
def subprocess_server(env: dict[str, str]) -> Iterator[str]:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait(port)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(10)


def client(endpoint: str) -> Any:
    import boto3

    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id=KEYS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=KEYS["AWS_SECRET_ACCESS_KEY"],
    )


def upload_tree(s3: Any, bucket: str, prefix: str, root: Path) -> int:
    """Every file under ``root`` as ``prefix/<relative path>``; the count."""
    count = 0
    for path in sorted(root.rglob("*")):
        if path.is_file():
            s3.upload_file(str(path), bucket, f"{prefix}/{path.relative_to(root).as_posix()}")
            count += 1
    return count


class LazyBytes:
    """What moto's key returns as its value: slices read from a (sparse) local file, with the
    bytes served counted; moto's range handler only takes ``len`` and a slice."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.size = path.stat().st_size
        self.served = 0

    def __len__(self) -> int:
        return self.size

    def __copy__(self) -> LazyBytes:
        return self

    def __getitem__(self, item: slice) -> bytes:
        start, stop, _ = item.indices(self.size)
        with self.path.open("rb") as fh:
            fh.seek(start)
            data = fh.read(max(0, stop - start))
        self.served += len(data)
        return data


class _Buffer:
    def __init__(self, lazy: LazyBytes) -> None:
        self.lazy = lazy

    def seek(self, *_args: Any) -> int:
        return 0

    def read(self, *_args: Any) -> LazyBytes:
        return self.lazy


def serve_from_file(bucket: str, key: str, path: Path) -> LazyBytes:
    """Make the in-process server's object ``bucket/key`` (already put) hold ``path``'s bytes,
    read lazily: a 10 GB sparse engine served without 10 GB in memory."""
    from moto.s3.models import s3_backends

    fake = s3_backends[ACCOUNT]["aws"].buckets[bucket].keys[key]
    lazy = LazyBytes(path)
    fake._value_buffer = _Buffer(lazy)
    fake.contentsize = lazy.size
    return lazy
