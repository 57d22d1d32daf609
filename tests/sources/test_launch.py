"""Launch commands read from a repository's scripts and docs (`launch.*`, sources/launch.py)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from preflight.sources import launch


@pytest.mark.parametrize(
    ("line", "world", "orchestrator"),
    [
        # the script's default --world_size is 1 (tensorrtllm_backend#33)
        ("python3 /opt/scripts/launch_triton_server.py --model_repo /models", 1, False),
        ("python3 scripts/launch_triton_server.py --world_size 4 --model_repo=/m", 4, False),
        ("python launch_triton_server.py --world_size=2", 2, False),
        ("python3 launch_triton_server.py --world-size '8' --model_repo /m", 8, False),
        ("python3 launch_triton_server.py --multi_model --model_repo /m", 1, True),
        # what launch_triton_server.py itself runs (tensorrtllm_backend#129)
        (
            "mpirun --allow-run-as-root  -n 1 /opt/tritonserver/bin/tritonserver "
            "--model-repository=/m : -n 1 /opt/tritonserver/bin/tritonserver --model-repository=/m :",
            2,
            False,
        ),
        ("mpirun -np 4 tritonserver --model-repository /m", 4, False),
    ],
)
def test_parse_command(line: str, world: int, orchestrator: bool) -> None:
    found = launch.parse_command(line)
    assert found is not None
    assert (found["world_size"], found["orchestrator"]) == (world, orchestrator)


@pytest.mark.parametrize(
    "line",
    ["tritonserver --model-repository /m", "mpirun -n 2 python3 run.py", "echo world_size 2"],
)
def test_lines_that_launch_no_tensorrtllm_world(line: str) -> None:
    assert launch.parse_command(line) is None


def test_extract_joins_continuations_skips_comments_and_stays_inside(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    (repo / "scripts").mkdir(parents=True)
    (repo / "scripts" / "serve.sh").write_text(
        "#!/bin/bash\n"
        "# python3 launch_triton_server.py --world_size 8   (old)\n"
        "python3 /opt/tritonserver/scripts/launch_triton_server.py \\\n"
        "    --world_size 2 \\\n"
        "    --model_repo /models\n"
    )
    (repo / "README.md").write_text("Start: `python3 launch_triton_server.py --world_size 4`\n")
    (repo / "model.py").write_text("launch_triton_server.py --world_size 16\n")  # not a text kind
    (repo / "big.sh").write_bytes(b"#" * (launch.MAX_BYTES + 1))
    outside = tmp_path / "outside.sh"
    outside.write_text("python3 launch_triton_server.py --world_size 32\n")
    os.symlink(outside, repo / "escape.sh")
    facts = launch.extract(repo)
    items = facts["launch.commands"].value
    found = sorted((Path(i["path"]).name, i["line"], i["world_size"]) for i in items)
    assert found == [("README.md", 1, 4), ("serve.sh", 3, 2)]


def test_no_commands_no_facts(tmp_path: Path) -> None:
    (tmp_path / "notes.md").write_text("nothing to launch here\n")
    assert launch.extract(tmp_path) == {}
    assert launch.extract(tmp_path / "missing") == {}


def test_hostile_files_are_skipped_not_read(tmp_path: Path) -> None:
    """A FIFO named like a script would block a reader; a directory named like one is no file."""
    os.mkfifo(tmp_path / "serve.sh")
    (tmp_path / "docs.md").mkdir()
    (tmp_path / "run.sh").write_bytes(b"\xff\xfe python3 launch_triton_server.py --world_size 3\n")
    [item] = launch.extract(tmp_path)["launch.commands"].value
    assert (Path(item["path"]).name, item["world_size"]) == ("run.sh", 3)
