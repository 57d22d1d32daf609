"""CLI start-up and whole-check times, and what `check` imports.

Prints the median wall time of each command over several runs, its ratio to a bare
`python -c pass`, and the heaviest imports of `check` (python -X importtime).

    .venv/bin/python benchmarks/bench_startup.py
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = str(ROOT / "examples" / "model_repo")
RUNS = 7

COMMANDS = {
    "python -c pass": [sys.executable, "-c", "pass"],
    "preflight --version": [sys.executable, "-m", "preflight.cli", "--version"],
    "preflight rules": [sys.executable, "-m", "preflight.cli", "rules"],
    "preflight check example": [sys.executable, "-m", "preflight.cli", "check", EXAMPLE],
    "preflight check example --format sarif": [
        sys.executable,
        "-m",
        "preflight.cli",
        "check",
        EXAMPLE,
        "--format",
        "sarif",
    ],
}


def median_seconds(argv: list[str]) -> float:
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def heaviest_imports(argv: list[str], top: int = 10) -> list[tuple[int, str]]:
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", *argv[1:]], capture_output=True, text=True, check=False
    )
    rows = []
    for line in proc.stderr.splitlines():
        if not line.startswith("import time:") or "cumulative" in line:
            continue
        parts = [p.strip() for p in line.replace("import time:", "").split("|")]
        cumulative, raw_name = parts[1], line.split("|")[2]
        if raw_name.startswith(" ") and not raw_name.startswith("  "):
            rows.append((int(cumulative), raw_name.strip()))
    return sorted(rows, reverse=True)[:top]


def main() -> None:
    base = median_seconds(COMMANDS["python -c pass"])
    print(f"{'command':<42} {'median s':>9} {'x python':>9}")
    for label, argv in COMMANDS.items():
        t = median_seconds(argv)
        print(f"{label:<42} {t:9.3f} {t / base:9.1f}")
    print("\nheaviest top-level imports of `preflight check` (cumulative ms):")
    for us, name in heaviest_imports(COMMANDS["preflight check example"]):
        print(f"  {us / 1000:7.1f}  {name}")


if __name__ == "__main__":
    main()
