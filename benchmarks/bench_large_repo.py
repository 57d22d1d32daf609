"""`preflight check` time as a repository grows: N copies of the example's models.

Each copy adds four models (preprocessing, tensorrt_llm with its engine directory, postprocessing,
ensemble), renamed so that ensembles point at their own copy. Prints the median wall time per
size and the time per model.

    .venv/bin/python benchmarks/bench_large_repo.py
"""

from __future__ import annotations

import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "model_repo"
MODELS = ("preprocessing", "postprocessing", "tensorrt_llm", "ensemble")
SIZES = (1, 5, 25, 50)
RUNS = 3


def make_repo(dest: Path, copies: int) -> None:
    dest.mkdir()
    shutil.copy(EXAMPLE / ".preflight.yaml", dest / ".preflight.yaml")
    for i in range(copies):
        for model in MODELS:
            target = dest / f"{model}_{i}"
            shutil.copytree(EXAMPLE / model, target)
            config = target / "config.pbtxt"
            text = config.read_text()
            for name in MODELS:
                for key in ("name", "model_name"):
                    text = text.replace(f'{key}: "{name}"', f'{key}: "{name}_{i}"')
                text = text.replace(f"/models/{name}/", f"/models/{name}_{i}/")
            config.write_text(text)


def median_check(repo: Path) -> float:
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        proc = subprocess.run(
            [sys.executable, "-m", "preflight.cli", "check", str(repo)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            check=False,
        )
        times.append(time.perf_counter() - start)
        if proc.returncode != 0:
            raise SystemExit(f"check failed on {repo}: {proc.stderr.decode()[-500:]}")
    return statistics.median(times)


def main() -> None:
    print(f"{'models':>7} {'median s':>9} {'ms/model':>9}")
    with tempfile.TemporaryDirectory() as tmp:
        for copies in SIZES:
            repo = Path(tmp) / f"repo{copies}"
            make_repo(repo, copies)
            seconds = median_check(repo)
            models = copies * len(MODELS)
            print(f"{models:>7} {seconds:9.3f} {1000 * seconds / models:9.1f}")


if __name__ == "__main__":
    main()
