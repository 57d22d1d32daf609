"""The real-server helper starts, loads a good model, rejects a bad one and cleans up."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from triton_server import HOST, TritonServer, find_tritonserver, skip_reason

MODEL_PY = """\
import triton_python_backend_utils as pb_utils


class TritonPythonModel:
    def execute(self, requests):
        return [
            pb_utils.InferenceResponse(
                [pb_utils.Tensor("OUT", pb_utils.get_input_tensor_by_name(r, "IN").as_numpy())]
            )
            for r in requests
        ]
"""

CONFIG = """\
name: "{name}"
backend: "python"
max_batch_size: {mbs}
input [{{ name: "IN", data_type: TYPE_FP32, dims: [ 2 ] }}]
output [{{ name: "OUT", data_type: TYPE_FP32, dims: [ 2 ] }}]
instance_group [{{ kind: KIND_CPU, count: 1 }}]
"""

_REASON = skip_reason()
pytestmark = pytest.mark.skipif(_REASON is not None, reason=_REASON or "")


def _model(repo: Path, name: str, mbs: str) -> None:
    (repo / name / "1").mkdir(parents=True)
    (repo / name / "config.pbtxt").write_text(CONFIG.format(name=name, mbs=mbs))
    (repo / name / "1" / "model.py").write_text(MODEL_PY)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except OSError:
        return False


def test_find_tritonserver() -> None:
    binary = find_tritonserver()
    assert binary is not None and binary.name == "tritonserver"


def test_server_loads_good_rejects_bad_and_cleans_up(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    _model(repo, "good", "4")
    _model(repo, "bad", "-1")
    server = TritonServer([repo], tmp_path / "work")
    with server:
        pid = server.pid
        assert pid is not None and server.running
        assert server.http_port != server.grpc_port
        ready, err = server.load("good")
        assert (ready, err) == (True, "")
        ready, err = server.load("bad")
        assert not ready
        assert "'max_batch_size' must be non-negative value" in err
        ready, err = server.load("absent")
        assert not ready and "absent" in err
        server.unload("good", wait=10)
        states = {m["name"]: m.get("state") for m in server.repository_index()}
        assert states.get("good") == "UNAVAILABLE"
    assert not server.running
    assert not _alive(pid)
    log = server.log_path.read_text()
    assert f"Started GRPCInferenceService at {HOST}:{server.grpc_port}" in log
    assert "successfully loaded 'good'" in log
