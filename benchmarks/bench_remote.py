"""`preflight check` of a repository in object storage against the same repository on disk.

50 TensorRT-LLM models, each with 2 rank engines of 1 GiB (sparse files: no disk is filled),
checked from a local folder and from a real S3 API server (moto's, on 127.0.0.1, serving the
engines from the same sparse files). Prints the median wall time of each, the bytes read (local:
the process's read() bytes, /proc/self/io rchar; remote: the bytes the store sent, as preflight
counts them, and as the server counts them), the requests made, and the remote/local ratios.

    .venv/bin/python benchmarks/bench_remote.py
"""

from __future__ import annotations

import json
import os
import statistics
import struct
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "tests"))  # the test suite's S3 server helpers

try:
    import moto  # noqa: F401
    import s3fs  # noqa: F401
except ImportError:
    print("bench_remote: skipped: needs the test extras (pip install -e '.[test]'): moto, s3fs")
    raise SystemExit(0) from None

import s3_server  # noqa: E402

import preflight  # noqa: E402
from preflight.sources.trt_engine import TRAILER  # noqa: E402

EXAMPLE = ROOT / "examples" / "model_repo"
MODELS = 50
RANKS = 2
ENGINE_BYTES = 1 << 30
RUNS = 3
TARGET = {"gpu": "RTX 4060 Ti", "triton": "25.06"}


def _plan_module() -> Any:
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "make_plan_header", ROOT / "examples" / "tools" / "make_plan_header.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def write_sparse_plan(path: Path, total: int) -> None:
    plan = bytearray(_plan_module().make_plan("10.10.0.31", "8.9", 34))
    wght_entry = 32 + 24
    wght_at = struct.unpack_from("<Q", plan, wght_entry + 8)[0]
    struct.pack_into("<Q", plan, 16, total)
    struct.pack_into("<Q", plan, wght_entry + 16, total - len(TRAILER) - wght_at)
    with path.open("wb") as fh:
        fh.write(plan[:wght_at])
        fh.seek(total - len(TRAILER))
        fh.write(TRAILER)


def make_repo(dest: Path) -> None:
    dest.mkdir()
    config_json = json.loads((EXAMPLE / "tensorrt_llm" / "1" / "config.json").read_text())
    config_json["pretrained_config"]["mapping"].update(world_size=RANKS, tp_size=RANKS)
    for i in range(MODELS):
        model = dest / f"llm_{i}"
        version = model / "1"
        version.mkdir(parents=True)
        text = (EXAMPLE / "tensorrt_llm" / "config.pbtxt").read_text()
        text = text.replace('name: "tensorrt_llm"', f'name: "llm_{i}"')
        text = text.replace("/models/tensorrt_llm/1", f"/models/llm_{i}/1")
        (model / "config.pbtxt").write_text(text)
        (version / "config.json").write_text(json.dumps(config_json, indent=4))
        for rank in range(RANKS):
            write_sparse_plan(version / f"rank{rank}.engine", ENGINE_BYTES)


def rchar() -> int:
    with open("/proc/self/io") as fh:
        return next(int(line.split()[1]) for line in fh if line.startswith("rchar:"))


def timed(repo: str) -> tuple[float, int, Any]:
    times, read = [], 0
    result = None
    preflight.check(repo, target=TARGET)  # warm-up: imports and rule files
    for _ in range(RUNS):
        before = rchar()
        start = time.perf_counter()
        result = preflight.check(repo, target=TARGET)
        times.append(time.perf_counter() - start)
        read = rchar() - before
    return statistics.median(times), read, result


def main() -> None:
    os.environ.update(s3_server.KEYS, AWS_DEFAULT_REGION="us-east-1")
    with tempfile.TemporaryDirectory() as tmp, s3_server.in_process() as endpoint:
        repo = Path(tmp) / "repo"
        make_repo(repo)
        s3 = s3_server.client(endpoint)
        s3.create_bucket(Bucket="bench")
        lazies = []
        for path in sorted(repo.rglob("*")):
            if not path.is_file():
                continue
            key = f"repo/{path.relative_to(repo).as_posix()}"
            if path.suffix == ".engine":
                s3.put_object(Bucket="bench", Key=key, Body=path.open("rb").read(8192))
                lazies.append(s3_server.serve_from_file("bench", key, path))
            else:
                s3.upload_file(str(path), "bench", key)
        url = f"s3://{endpoint.removeprefix('http://')}/bench/repo"
        local_s, local_bytes, local_run = timed(str(repo))
        served_before = sum(lz.served for lz in lazies)
        remote_s, remote_rchar, remote_run = timed(url)
        served = (sum(lz.served for lz in lazies) - served_before) // (RUNS + 1)
        meta = (remote_run.meta or {})["stores"][url]
        same = sorted((r.rule, r.status.value) for r in local_run.results) == sorted(
            (r.rule, r.status.value) for r in remote_run.results if r.rule != "PF131"
        )
    engines = MODELS * RANKS
    print(f"{MODELS} models x {RANKS} rank engines of {ENGINE_BYTES >> 30} GiB, median of {RUNS}")
    print(f"{'':8} {'seconds':>8} {'bytes read':>12} {'requests':>9}")
    print(f"{'local':8} {local_s:8.3f} {local_bytes:12d} {'-':>9}")
    print(f"{'S3':8} {remote_s:8.3f} {meta['bytes_read']:12d} {meta['requests']:9d}")
    print(
        f"S3 / local: time {remote_s / local_s:.2f}x, bytes {meta['bytes_read'] / local_bytes:.2f}x"
    )
    print(
        f"from the store: {meta['bytes_read'] / engines / 1024:.1f} KiB per engine on average "
        f"(whole small files included); engine bytes the server sent per run: {served} "
        f"({served / engines:.0f} per engine); local process read() bytes of the S3 run: "
        f"{remote_rchar}; same verdicts: {same}"
    )


if __name__ == "__main__":
    main()
