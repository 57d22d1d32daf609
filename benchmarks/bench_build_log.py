"""`preflight facts --build-log` on a verbose build log of 500 MB, beside `grep -cE` over the
markers the parser looks for: both times, the ratio and each one's peak memory.

The log is a real trtllm-build log (tests/data/shared/fixtures/logs) with verbose lines
(`--log_level verbose`: TensorRT's tactic timing and layer fusions, TensorRT-LLM's network
tracing) filling its middle up to the size asked. It is written to /tmp (the free space is
checked first) and removed afterwards. ``--hostile`` adds logs no build writes (floods of empty,
one-byte or fatal lines, verbose lines behind a capture prefix): their time and peak memory.

Each command runs in its own child process, best of RUNS; its CPU time comes from the kernel's
accounting of that child (``os.wait4``), its peak resident memory from its ``VmHWM`` sampled
while it runs (see :func:`measure`). Wall time on a shared machine moves with the load, so the
CPU-time ratio is printed too. Throughput is wall time: preflight reads on one worker thread per
core, grep on one.

    .venv/bin/python benchmarks/bench_build_log.py [--size-mb 500] [--also-2gb] [--hostile]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REAL_LOG = ROOT / "tests/data/shared/fixtures/logs/v0.20.0_a100_workers2_success.log"
RUNS = 5
# What the parser reads (sources/trtllm_log.py): banner, settings, hardware, engines, timing,
# fatal signatures, tracebacks, OOM. grep needs them all to say what the parser says.
MARKERS = "|".join(
    [
        r"TensorRT-LLM\] TensorRT[- ]LLM version",
        r"Set (PluginConfig\.)?[A-Za-z0-9_]+ to ",
        "Compute capability: ",
        "SM count: ",
        "SM clock: ",
        "float16 TFLOPS: ",
        "Total Memory: ",
        "Serializing engine to ",
        "Engine serialized",
        "Total time of building all engines",
        "Engine generation completed in ",
        r"\[MemUsageStats\] Peak memory usage",
        "Engine building failed",
        "Failed to build engine for rank",
        "AssertionError",
        "Assertion failed",
        "terminate called",
        "Killed",
        "Aborted",
        "exited on signal [0-9]+",
        "Segmentation fault",
        "MPI_ABORT was invoked",
        "the job has been aborted",
        "processes exited with non-zero status",
        "Unhandled exception caught",
        "Windows fatal exception",
        ": error: ",
        r"Traceback \(most recent call last\)",
        "Exception ignored in",
        "in (parallel_build|build_and_save)",
        "Error Code 2: OutOfMemory",
        "skipping tactic.*insufficient memory",
        "Requested amount of GPU memory .*could not be allocated",
        "Device memory is insufficient to use tactic",
    ]
)
VERBOSE = (
    "[TRT] [V] Tactic: 0x{h:016x} Time: 0.0{n}",
    "[TRT] [V] *************** Autotuning format combination: Half(262144,1024,1) -> "
    "Half(262144,1024,1) ***************",
    "[TRT] [V] --------------- Timing Runner: {{ForeignNode[transformer.layers.{n}.attention"
    ".qkv.weight...]}} (Myelin[0x80000023])",
    "[TRT] [V] Fastest Tactic: 0x{h:016x} Time: 0.02{n}",
    "[TRT] [V] Setting a default quantization params because quantization data is missing "
    "for transformer/layers/{n}/attention/dense",
    "[TRT] [V] Eliminating concatenation /transformer/layers/{n}/attention/Concat",
    "[TRT] [V] Layer(Myelin): {{ForeignNode[...]}}, Tactic: 0x{h:016x}, Reformatted Input "
    "Tensor 0 to ... -> Half(262144,1024,1)",
    "[TRT] [V] Total Activation Memory: {n}31457280 bytes",
    "[TRT] [V] Engine Layer Information: Layer(CaskGemm): gemm_{n}, Tactic: 0x{h:016x}",
    "[TRT-LLM] [V] Add layer transformer.layers.{n}.attention.dense (Linear) to the network",
    "[TRT-LLM] [V] Set output transformer.layers.{n}.mlp.fc as float16",
)


def write_log(path: Path, size: int) -> int:
    """The real log with verbose lines in its middle up to ``size`` bytes; its line count."""
    rng = random.Random(12)
    lines = REAL_LOG.read_text(encoding="utf-8").splitlines(keepends=True)
    middle = len(lines) // 2
    block = "".join(
        f"[08/27/2025-09:13:{i % 60:02d}] "
        + rng.choice(VERBOSE).format(h=rng.getrandbits(64), n=rng.randrange(1000))
        + "\n"
        for i in range(100_000)
    )
    count = len(lines)
    with path.open("w", encoding="utf-8") as out:
        out.writelines(lines[:middle])
        written = 0
        while written < size:
            out.write(block)
            written += len(block)
            count += 100_000
        out.writelines(lines[middle:])
    return count


@dataclass
class Run:
    wall: float
    cpu: float
    max_rss_mb: float
    stdout: bytes


def _peak_kb(pid: int) -> int | None:
    """The process's peak resident memory so far (VmHWM), or None once it has exited."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        return None
    return None


def measure(argv: list[str]) -> Run:
    """One child: wall and CPU time from the kernel's accounting of it (``os.wait4``), peak
    memory from its VmHWM sampled every 10 ms until it exits (more often, the sampling takes
    CPU from the child on a small machine). (``ru_maxrss`` would not
    do: a child started with vfork counts the parent's peak, this benchmark's 40 MB, from its
    exec on; the samples miss nothing here, since a process's VmHWM only grows.)"""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    peak = [0]

    def sample() -> None:
        while (kb := _peak_kb(proc.pid)) is not None:
            peak[0] = max(peak[0], kb)
            time.sleep(0.01)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out = b""
    assert proc.stdout is not None
    while chunk := proc.stdout.read(1 << 16):
        out += chunk
    _pid, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    sampler.join()
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode not in (0, 1):
        err = proc.stderr.read().decode() if proc.stderr else ""
        raise SystemExit(f"{argv[0]} exited {proc.returncode}: {err[-500:]}")
    rss = peak[0] / 1024 if peak[0] else usage.ru_maxrss / 1024
    return Run(wall, usage.ru_utime + usage.ru_stime, rss, out)


def best(argv: list[str]) -> Run:
    runs = [measure(argv) for _ in range(RUNS)]
    return min(runs, key=lambda r: r.wall)


def bench(size_mb: int) -> None:
    tmp = Path(tempfile.gettempdir())
    free = shutil.disk_usage(tmp).free
    if free < size_mb * 1024 * 1024 * 1.2:
        print(f"{size_mb} MB: skipped, {free // 2**20} MB free in {tmp}")
        return
    with tempfile.TemporaryDirectory(dir=tmp) as folder:
        log = Path(folder) / "verbose-build.log"
        lines = write_log(log, size_mb * 1024 * 1024)
        actual = log.stat().st_size
        subprocess.run(["cat", str(log)], stdout=subprocess.DEVNULL, check=True)  # page cache
        grep = best(["grep", "-cE", MARKERS, str(log)])
        preflight = best(
            [
                sys.executable,
                "-m",
                "preflight.cli",
                "facts",
                "--build-log",
                str(log),
                "--format",
                "json",
            ]
        )
        facts = json.loads(preflight.stdout)["build_log"]
        if facts.get("line_count") != lines or facts.get("build_succeeded") is not True:
            raise SystemExit(f"preflight read the log differently: {facts}")
        mb = actual / 2**20
        print(f"log: {mb:.0f} MB, {lines} lines ({log})")
        print(f"{'':10} {'wall s':>7} {'MB/s':>7} {'cpu s':>7} {'peak MB':>8}")
        for name, run in (("grep -cE", grep), ("preflight", preflight)):
            print(
                f"{name:10} {run.wall:7.2f} {mb / run.wall:7.0f} {run.cpu:7.2f} "
                f"{run.max_rss_mb:8.1f}"
            )
        print(
            f"throughput ratio preflight/grep: {grep.wall / preflight.wall:.2f}x wall, "
            f"{grep.cpu / preflight.cpu:.2f}x cpu (target >= 2x; peak memory target <= 200 MB)"
        )


HOSTILE = {
    # name: (one line, repeated to the size asked)
    "empty lines": b"\n",
    "one-byte lines": b"a\n",
    "lines of words": b"a line with no marker in it at all\n",
    "fatal lines": b"Killed\n",
    "verbose lines behind docker logs -t": b"2025-08-27T09:13:48.123456789Z "
    b"[08/27/2025-09:13:48] [TRT] [V] Tactic: 0x0000000000000001 Time: 0.0123\n",
}


def hostile(size_mb: int) -> None:
    """Logs no build writes, the size asked: time, peak memory and what preflight said."""
    tmp = Path(tempfile.gettempdir())
    if shutil.disk_usage(tmp).free < size_mb * 1024 * 1024 * 1.2:
        print(f"hostile logs: skipped, not {size_mb} MB free in {tmp}")
        return
    print(f"\nhostile logs of {size_mb} MB (best of {RUNS}):")
    print(f"{'':38} {'wall s':>7} {'peak MB':>8}  result")
    for name, line in HOSTILE.items():
        with tempfile.TemporaryDirectory(dir=tmp) as folder:
            log = Path(folder) / "hostile.log"
            block = line * max(1, (1 << 20) // len(line))
            with log.open("wb") as out:
                for _ in range(size_mb):
                    out.write(block)
            argv = [sys.executable, "-m", "preflight.cli", "facts", "--build-log", str(log)]
            run = best([*argv, "--format", "json"])
            facts = json.loads(run.stdout)["build_log"]
            said = facts.get("read_error") or f"{facts.get('line_count')} lines read"
            print(f"{name:38} {run.wall:7.2f} {run.max_rss_mb:8.1f}  {said[:70]}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size-mb", type=int, default=500)
    parser.add_argument("--also-2gb", action="store_true")
    parser.add_argument(
        "--hostile", action="store_true", help="also logs of empty, short or fatal lines"
    )
    args = parser.parse_args()
    bench(args.size_mb)
    if args.also_2gb:
        bench(2048)
    if args.hostile:
        hostile(args.size_mb)


if __name__ == "__main__":
    main()
