"""Cost of importing tritonclient's ModelConfig protobuf module, two ways.

Each way runs in a fresh interpreter (imports are cached per process):

* package: ``import tritonclient.grpc.model_config_pb2`` (runs tritonclient/grpc/__init__.py,
  which pulls in grpc and numpy);
* direct: load ``tritonclient/grpc/model_config_pb2.py`` by file location under its usual
  module name, as ``preflight.sources.triton_config.load_model_config_pb2`` does.

Run: ``.venv/bin/python benchmarks/bench_pbtxt_import.py [repeats]``.
"""

from __future__ import annotations

import statistics
import subprocess
import sys

PACKAGE = """
import time
t = time.perf_counter()
import tritonclient.grpc.model_config_pb2 as m
m.ModelConfig()
print(time.perf_counter() - t)
"""

DIRECT = """
import time
t = time.perf_counter()
import importlib.util, sys
from pathlib import Path
spec = importlib.util.find_spec("tritonclient")
file = Path(list(spec.submodule_search_locations)[0]) / "grpc" / "model_config_pb2.py"
name = "tritonclient.grpc.model_config_pb2"
direct = importlib.util.spec_from_file_location(name, file)
m = importlib.util.module_from_spec(direct)
sys.modules[name] = m
direct.loader.exec_module(m)
m.ModelConfig()
assert "grpc" not in sys.modules and "numpy" not in sys.modules
print(time.perf_counter() - t)
"""


def measure(code: str, repeats: int) -> list[float]:
    out = []
    for _ in range(repeats):
        done = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True
        )
        out.append(float(done.stdout.strip()))
    return out


def main() -> int:
    repeats = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    package = measure(PACKAGE, repeats)
    direct = measure(DIRECT, repeats)
    p, d = statistics.median(package), statistics.median(direct)
    print(f"package import (tritonclient.grpc.model_config_pb2): median {p * 1000:.1f} ms")
    print(f"direct file load (model_config_pb2.py only):         median {d * 1000:.1f} ms")
    print(f"ratio package/direct: {p / d:.1f}x  (over {repeats} fresh interpreters each)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
