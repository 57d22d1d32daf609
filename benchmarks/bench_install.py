"""Installed size and package count of the core install and of each extra.

Builds a wheel from this checkout, installs it into a fresh venv under /tmp per variant
(``triton-preflight``, ``triton-preflight[server]``, ...) and prints, for each, the number of
distributions installed besides pip and the size of site-packages. The TensorRT extras pull
gigabytes of CUDA libraries: measured only with ``--all``.

    .venv/bin/python benchmarks/bench_install.py [--all] [--keep]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DIST = "triton-preflight"
VARIANTS = ["", "server", "nvml"]
HEAVY = ["tensorrt", "lean"]
# pip itself, in every fresh venv, and not something preflight brings
BASELINE = {"pip", "setuptools", "wheel"}


def build_wheel(out: Path) -> Path:
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(ROOT)],
        check=True,
    )
    [wheel] = out.glob("triton_preflight-*.whl")
    return wheel


def tree_size(path: Path) -> int:
    total = 0
    for folder, _dirs, files in os.walk(path):
        for name in files:
            file = Path(folder, name)
            if not file.is_symlink():
                total += file.stat().st_size
    return total


def measure(wheel: Path, extra: str, work: Path) -> tuple[int, int, list[str]]:
    venv = work / f"venv-{extra or 'core'}"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    spec = f"{wheel}[{extra}]" if extra else str(wheel)
    install = subprocess.run(
        [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check", spec],
        capture_output=True,
        text=True,
    )
    if install.returncode != 0:  # pip's warnings are noise in the table; its errors are not
        raise SystemExit(f"installing {spec} failed:\n{install.stderr[-3000:]}")
    listed = subprocess.run(
        [str(python), "-m", "pip", "list", "--format=freeze", "--disable-pip-version-check"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    names = sorted(
        line.split("==")[0] for line in listed if line.split("==")[0].lower() not in BASELINE
    )
    [site] = (venv / "lib").glob("python3*/site-packages")
    size = tree_size(site) - sum(tree_size(p) for p in site.glob("pip*"))
    return len(names), size, names


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--all", action="store_true", help="also the TensorRT extras (GBs)")
    parser.add_argument("--keep", action="store_true", help="keep the venvs")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="preflight-install-", dir="/tmp"))
    try:
        wheel = build_wheel(work)
        print(f"{'install':<32} {'packages':>8} {'MB':>8}  heaviest")
        for extra in VARIANTS + (HEAVY if args.all else []):
            count, size, names = measure(wheel, extra, work)
            label = f"{DIST}[{extra}]" if extra else DIST
            shown = ", ".join(n for n in names if n.lower() in _NOTED) or "-"
            print(f"{label:<32} {count:8d} {size / 1e6:8.1f}  {shown}")
    finally:
        if args.keep:
            print(f"venvs kept in {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


# Distributions worth naming in the table: what the lean core must not pull in.
_NOTED = {"grpcio", "gevent", "geventhttpclient", "aiohttp", "numpy", "tensorrt", "nvidia-ml-py"}


if __name__ == "__main__":
    main()
