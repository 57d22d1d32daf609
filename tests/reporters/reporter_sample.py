"""The RunResult shared by every reporter test (every status, every severity, awkward text)
and the golden-file helper. Imported by conftest.py and the tests (not a conftest itself, so
the import is unambiguous)."""

from __future__ import annotations

import os
from pathlib import Path

from preflight.model import Location, Result, RunResult, Severity, Status, Target

GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("PREFLIGHT_UPDATE_GOLDEN") == "1"

AWKWARD = 'max_batch_size <8> & "dynamic" > engine\'s — für Modell'


def make_run() -> RunResult:
    results = (
        Result(
            rule="TLLM003",
            name="remove-input-padding",
            severity=Severity.ERROR,
            status=Status.FAIL,
            message="tensorrt_llm: remove_input_padding is False",
            subject="tensorrt_llm",
            location=Location("tensorrt_llm/1/build.log", line=17, column=5),
            remediation="Rebuild with `trtllm-build --remove_input_padding enable`.",
        ),
        Result(
            rule="TRITON010",
            name="batch-size-exceeds-engine",
            severity=Severity.WARNING,
            status=Status.FAIL,
            message=AWKWARD,
            subject="tensorrt_llm",
            location=Location("tensorrt_llm/config.pbtxt", line=4),
            remediation="Lower max_batch_size in config.pbtxt to <= 8 & rebuild.",
        ),
        Result(
            rule="TLLM020",
            name="paged-kv-cache",
            severity=Severity.INFO,
            status=Status.FAIL,
            message="paged_kv_cache is not set in the engine config",
            subject="tensorrt_llm",
            location=Location("tensorrt_llm/1/config.json"),
            remediation="Set `--paged_kv_cache enable` when building.",
        ),
        Result(
            rule="TRT001",
            name="engine-built-for-target-gpu",
            severity=Severity.ERROR,
            status=Status.FAIL,
            message="tensorrt_llm/1/rank0.engine was built for 8.0\x1b[31m, the target is 8.9",
            subject="tensorrt_llm/1/rank0.engine",
            location=None,
            remediation="Rebuild the engine on a GPU of compute capability 8.9.",
        ),
        Result(
            rule="TRT004",
            name="engine-deserializes",
            severity=Severity.ERROR,
            status=Status.SKIP,
            message="TensorRT is not installed; engine deserialization not checked",
            subject="tensorrt_llm/1/rank0.engine",
            location=Location("tensorrt_llm/1/rank0.engine"),
            remediation="Install TensorRT and run with --deserialize on a GPU.",
        ),
        Result(
            rule="TLLM001",
            name="build-succeeded",
            severity=Severity.ERROR,
            status=Status.PASS,
            message="tensorrt_llm: the build log shows a successful build",
            subject="tensorrt_llm",
            location=Location("tensorrt_llm/1/build.log", line=120),
            remediation="Fix the build error and rebuild.",
        ),
        Result(
            rule="TRITON001",
            name="config-parses",
            severity=Severity.ERROR,
            status=Status.PASS,
            message="preprocessing: config.pbtxt parses",
            subject="preprocessing",
            location=Location("preprocessing/config.pbtxt"),
            remediation="Fix the syntax error in config.pbtxt.",
        ),
        Result(
            rule="TRITON001",
            name="config-parses",
            severity=Severity.ERROR,
            status=Status.PASS,
            message="tensorrt_llm: config.pbtxt parses",
            subject="tensorrt_llm",
            location=Location("tensorrt_llm/config.pbtxt"),
            remediation="Fix the syntax error in config.pbtxt.",
        ),
        Result(
            rule="TRITON020",
            name="model-has-version-folder",
            severity=Severity.WARNING,
            status=Status.SKIP,
            message="preprocessing has no config.pbtxt to read",
            subject="preprocessing",
            location=None,
            remediation="Add a numeric version folder.",
        ),
        Result(
            rule="TRITON030",
            name="no-stray-folders",
            severity=Severity.INFO,
            status=Status.PASS,
            message="the repository holds only model folders",
            subject="",
            location=None,
            remediation="Remove folders that are not models.",
        ),
        Result(
            rule="TLLM010",
            name="no-fatal-errors",
            severity=Severity.ERROR,
            status=Status.FAIL,
            message="tensorrt_llm: fatal error in log: [TRT] Error Code 4\x07",
            subject="tensorrt_llm",
            location=Location("tensorrt_llm/1/build.log", line=130, column=1),
            remediation="Read the build log.",
        ),
        Result(
            rule="TLLM010",
            name="no-fatal-errors",
            severity=Severity.ERROR,
            status=Status.FAIL,
            message="tensorrt_llm: fatal error in log: terminate called",
            subject="tensorrt_llm",
            location=Location("tensorrt_llm/1/build.log", line=131, column=1),
            remediation="Read the build log.",
        ),
    )
    return RunResult(
        preflight_version="0.1.0",
        repo="examples/model_repo",
        target=Target(
            gpu="RTX 4060 Ti",
            compute_capability="8.9",
            sm_count=34,
            triton_version="25.06",
            trt_version="10.10.0.31",
            trtllm_version="0.20.0",
        ),
        results=results,
        notes=("engines were not deserialized (no GPU)",),
    )


def check_golden(name: str, text: str) -> None:
    """Compare ``text`` with golden/<name>; rewrite it with PREFLIGHT_UPDATE_GOLDEN=1."""
    path = GOLDEN / name
    if UPDATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text.encode("utf-8"))
        return
    assert path.is_file(), f"missing golden file {path}; run with PREFLIGHT_UPDATE_GOLDEN=1"
    expected = path.read_bytes().decode("utf-8")
    assert text == expected, f"{name} differs from its golden file"
