"""`preflight check` time as a repository grows: N copies of the example's models.

Each copy adds four models (preprocessing, tensorrt_llm with its engine directory, postprocessing,
ensemble), renamed so that ensembles point at their own copy. Prints the median wall time per
size and the time per model.

    .venv/bin/python benchmarks/bench_large_repo.py
    .venv/bin/python benchmarks/bench_large_repo.py --trtllm 100,1000 --ranks 2   # per model
"""

from __future__ import annotations

import json
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


def median_check(repo: Path, ok: tuple[int, ...] = (0,)) -> float:
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
        if proc.returncode not in ok:
            raise SystemExit(f"check failed on {repo}: {proc.stderr.decode()[-500:]}")
    return statistics.median(times)


def make_trtllm_repo(dest: Path, models: int, ranks: int = 2) -> None:
    """``models`` TensorRT-LLM models, each an engine directory with ``ranks`` rank engines."""
    dest.mkdir()
    shutil.copy(EXAMPLE / ".preflight.yaml", dest / ".preflight.yaml")
    source = EXAMPLE / "tensorrt_llm"
    config = json.loads((source / "1" / "config.json").read_text())
    mapping = config["pretrained_config"]["mapping"]
    mapping.update(world_size=ranks, tp_size=ranks)
    text = (source / "config.pbtxt").read_text()
    for i in range(models):
        target = dest / f"llm_{i}"
        (target / "1").mkdir(parents=True)
        (target / "config.pbtxt").write_text(
            text.replace('name: "tensorrt_llm"', f'name: "llm_{i}"').replace(
                "/models/tensorrt_llm/", f"/models/llm_{i}/"
            )
        )
        (target / "1" / "config.json").write_text(json.dumps(config))
        for rank in range(ranks):
            shutil.copy(source / "1" / "rank0.engine", target / "1" / f"rank{rank}.engine")


def per_model(sizes: list[int], ranks: int) -> None:
    """Time per model at each size; the last against the first (target: within 1.2x)."""
    print(f"{'models':>7} {'ranks':>5} {'median s':>9} {'ms/model':>9}")
    first = None
    with tempfile.TemporaryDirectory() as tmp:
        for models in sizes:
            repo = Path(tmp) / f"llm{models}"
            make_trtllm_repo(repo, models, ranks)
            seconds = median_check(repo, ok=(0, 1))
            each = 1000 * seconds / models
            first = first or each
            print(f"{models:>7} {ranks:>5} {seconds:9.3f} {each:9.2f}  ({each / first:.2f}x)")
            shutil.rmtree(repo)


def main() -> None:
    if "--trtllm" in sys.argv:  # --trtllm 100,1000 [--ranks 2]
        sizes = [int(n) for n in sys.argv[sys.argv.index("--trtllm") + 1].split(",")]
        ranks = int(sys.argv[sys.argv.index("--ranks") + 1]) if "--ranks" in sys.argv else 2
        per_model(sizes, ranks)
        return
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
