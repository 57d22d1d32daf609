"""Time engine header inspection against file size (sparse files, so no disk is filled).

For each size (1 MB, 100 MB, 1 GB, 10 GB, 50 GB) it writes a valid TensorRT 10.10 plan whose
weights section is grown to fill the file (the head and the trailer are real bytes, the middle
is a hole), times ``preflight.sources.trt_engine.extract`` on it, and prints the median time
and its ratio to the 1 MB case. The files live in a temporary folder removed at the end.

Run: ``PYTHONPATH=src python benchmarks/bench_engine_header.py [--repeat N]``
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import struct
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from preflight.sources.trt_engine import TRAILER, extract  # noqa: E402

SIZES = [
    ("1 MB", 1024**2),
    ("100 MB", 100 * 1024**2),
    ("1 GB", 1024**3),
    ("10 GB", 10 * 1024**3),
    ("50 GB", 50 * 1024**3),
]


def _writer() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "make_plan_header", ROOT / "examples" / "tools" / "make_plan_header.py"
    )
    if spec is None or spec.loader is None:
        raise RuntimeError("examples/tools/make_plan_header.py not found")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def write_sparse_plan(path: Path, total: int) -> None:
    """A two-section plan (ENGN + WGHT) of exactly ``total`` bytes, WGHT grown to fill it."""
    plan = bytearray(_writer().make_plan("10.10.0.31", "8.9", 34))
    wght_entry = 32 + 24
    wght_at = struct.unpack_from("<Q", plan, wght_entry + 8)[0]
    wght_size = total - len(TRAILER) - wght_at
    if wght_size <= 0 or wght_size % 8:
        raise ValueError(f"cannot lay out a plan of {total} bytes")
    struct.pack_into("<Q", plan, 16, total)
    struct.pack_into("<Q", plan, wght_entry + 16, wght_size)
    with path.open("wb") as fh:
        fh.write(plan[:wght_at])
        fh.seek(total - len(TRAILER))
        fh.write(TRAILER)


def time_extract(path: Path, repeat: int) -> float:
    """Median seconds of ``extract(path)`` over ``repeat`` runs (after one warm-up run)."""
    facts = extract(path)
    if facts["engine.truncated"].value is not False or "engine.error" in facts:
        raise RuntimeError(f"{path.name}: the plan does not read back as intact")
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        extract(path)
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--repeat", type=int, default=201, help="timed runs per size")
    args = parser.parse_args(argv)
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-engine-header-") as tmp:
        for label, total in SIZES:
            path = Path(tmp) / "rank0.engine"
            write_sparse_plan(path, total + 4)
            rows.append((label, time_extract(path, args.repeat)))
            path.unlink()
    base = rows[0][1]
    print(f"{'file size':>10}  {'median':>12}  {'vs 1 MB':>8}")
    for label, seconds in rows:
        print(f"{label:>10}  {seconds * 1e6:>9.1f} us  {seconds / base:>7.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
