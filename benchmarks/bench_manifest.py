"""Manifest hashing speed against ``sha256sum`` on the same files.

Run: ``.venv/bin/python benchmarks/bench_manifest.py [--gib 2] [--dir DIR] [--repeat 3]``

Makes one file of ``--gib`` GiB, and two files of half that size for the parallel case, in a
temporary folder (removed at the end). Each case is timed warm (file in the page cache, the best
of ``--repeat`` runs: the hashing itself) and cold (the file's pages dropped first with
``posix_fadvise(DONTNEED)``, which touches only these files: hashing plus disk reads).
Both tools must agree on every digest.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from preflight.sources.manifest import hash_files, sha256_file

MIB = 1024 * 1024
GIB = 1024 * MIB


def make_file(path: Path, size: int) -> None:
    block = os.urandom(16 * MIB)
    with open(path, "wb") as fh:
        left = size
        while left > 0:
            n = min(left, len(block))
            fh.write(block[:n])
            left -= n
        fh.flush()
        os.fsync(fh.fileno())


def drop_cache(paths: Sequence[Path]) -> None:
    for path in paths:
        fd = os.open(path, os.O_RDONLY)
        try:
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        finally:
            os.close(fd)


def warm(paths: Sequence[Path]) -> None:
    for path in paths:
        with open(path, "rb", buffering=0) as fh:
            while fh.read(16 * MIB):
                pass


def ours(paths: Sequence[Path]) -> dict[str, str]:
    if len(paths) == 1:
        return {str(paths[0]): sha256_file(paths[0])}
    return {str(p): str(d) for p, d in hash_files(paths).items()}


def sha256sum(paths: Sequence[Path]) -> dict[str, str]:
    out = subprocess.run(
        ["sha256sum", *map(str, paths)], capture_output=True, text=True, check=True
    ).stdout
    return {line.split(None, 1)[1].strip(): line.split(None, 1)[0] for line in out.splitlines()}


def sha256sum_parallel(paths: Sequence[Path]) -> dict[str, str]:
    procs = [
        subprocess.Popen(["sha256sum", str(p)], stdout=subprocess.PIPE, text=True) for p in paths
    ]
    result: dict[str, str] = {}
    for proc in procs:
        out, _ = proc.communicate()
        digest, name = out.split(None, 1)
        result[name.strip()] = digest
    return result


Hasher = Callable[[Sequence[Path]], dict[str, str]]


def timed(
    fn: Hasher, paths: Sequence[Path], cold: bool, repeat: int
) -> tuple[float, dict[str, str]]:
    best = float("inf")
    digests: dict[str, str] = {}
    for _ in range(1 if cold else repeat):
        if cold:
            drop_cache(paths)
        else:
            warm(paths)
        start = time.perf_counter()
        digests = fn(paths)
        best = min(best, time.perf_counter() - start)
    return best, digests


def run_case(title: str, paths: Sequence[Path], repeat: int, tools: dict[str, Hasher]) -> None:
    total = sum(p.stat().st_size for p in paths)
    print(f"\n{title}: {len(paths)} file(s), {total / GIB:.2f} GiB")
    for cold in (False, True):
        label = "cold" if cold else "warm"
        speeds: dict[str, float] = {}
        digests: list[dict[str, str]] = []
        for name, fn in tools.items():
            seconds, got = timed(fn, paths, cold, repeat)
            speeds[name] = total / MIB / seconds
            digests.append(got)
            print(f"  {label}  {name:<22} {seconds:7.2f} s  {speeds[name]:8.0f} MiB/s")
        if any(d != digests[0] for d in digests):
            raise SystemExit("digests differ between tools")
        base = speeds["sha256sum"]
        for name, speed in speeds.items():
            if name != "sha256sum":
                print(f"  {label}  {name} / sha256sum = {speed / base:.2f}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--gib", type=float, default=2.0, help="size of the single file")
    parser.add_argument("--dir", type=Path, default=None, help="where to make the files")
    parser.add_argument("--repeat", type=int, default=3, help="warm runs (best is kept)")
    args = parser.parse_args(argv)
    if shutil.which("sha256sum") is None:
        print("sha256sum not found", file=sys.stderr)
        return 2
    size = int(args.gib * GIB)
    print(f"cpus: {os.cpu_count()}, python {sys.version.split()[0]}")
    with tempfile.TemporaryDirectory(prefix="bench-manifest-", dir=args.dir) as tmp:
        root = Path(tmp)
        one = root / "rank0.engine"
        make_file(one, size)
        run_case(
            "single file",
            [one],
            args.repeat,
            {"sha256sum": sha256sum, "preflight": ours},
        )
        one.unlink()
        halves = [root / "rank0.engine", root / "rank1.engine"]
        for path in halves:
            make_file(path, size // 2)
        run_case(
            "two files",
            halves,
            args.repeat,
            {
                "sha256sum": sha256sum,
                "sha256sum x2 processes": sha256sum_parallel,
                "preflight": ours,
            },
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
