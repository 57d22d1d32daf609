from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from preflight.facts import to_tree
from preflight.model import Facts
from preflight.sources.trtllm_log import MAX_LISTED_RANKS, MAX_OOM_ITEMS, extract, parse

DATA = Path(__file__).resolve().parents[1] / "data" / "logs"


def tree(facts: Facts) -> dict[str, Any]:
    result: dict[str, Any] = to_tree(facts)["build_log"]
    return result


def line_of(facts: Facts, key: str) -> int | None:
    location = facts[key].location
    assert location is not None
    return location.line


# --- the real, complete logs ---------------------------------------------------------------


def test_real_0_12_tp4_four_ranks(shared: Path) -> None:
    path = shared / "fixtures/logs/v0.12.0dev_tp4_llama3-8b-1048k_workers4_success.log"
    facts = extract(path)
    log = tree(facts)
    assert log["trtllm_version"] == "0.12.0.dev2024070900"
    assert line_of(facts, "build_log.trtllm_version") == 1
    assert log["plugins"]["gpt_attention_plugin"] == "auto"
    assert log["plugins"]["gemm_plugin"] == "float16"
    assert log["plugins"]["gemm_swiglu_plugin"] is None
    assert log["plugins"]["tokens_per_block"] == 64
    assert log["plugins"]["remove_input_padding"] is True
    # Printed "auto" at the top, then float16 inside each rank's build: the last one wins.
    assert log["plugins"]["nccl_plugin"] == "float16"
    assert line_of(facts, "build_log.plugins.nccl_plugin") == 114
    assert log["dtype"] == "float16"
    assert "gpu" not in log  # an A100-class build prints no hardware lines
    assert log["serialized_ranks"] == [0, 1, 2, 3]
    assert log["serialized_engines"] == [
        f"Llama-3-8B-Instruct-Gradient-1048k/trt_engines/rank{r}.engine" for r in range(4)
    ]
    assert [e["line"] for e in log["started_engines"]] == [57, 83, 109, 135]
    assert all(e["serialized"] for e in log["started_engines"])
    assert log["missing_ranks"] == []
    assert log["build_succeeded"] is True
    assert log["peak_gpu_memory_mib"] == 5093
    assert log["engine_generation_seconds"] == pytest.approx(40.4034 + 33.2685 + 25.4626 + 26.7251)
    assert log["total_build_time"] == "00:06:10"
    assert log["fatal_errors"] == []
    assert log["oom_warnings"] == []
    assert log["line_count"] == 137


def test_real_0_20_single_gpu(shared: Path) -> None:
    facts = extract(shared / "fixtures/logs/v0.20.0_a100_gpt2-like_success_1gpu.log")
    log = tree(facts)
    assert log["trtllm_version"] == "0.20.0"
    assert line_of(facts, "build_log.trtllm_version") == 2  # after the flashinfer line
    assert log["plugins"]["gpt_attention_plugin"] == "float16"
    assert log["plugins"]["bert_attention_plugin"] == "auto"
    assert log["plugins"]["lora_plugin"] is None
    assert log["plugins"]["tokens_per_block"] == 32
    # Set True first, then switched off with a warning: the last value wins, at its line.
    assert log["plugins"]["use_fp8_context_fmha"] is False
    assert line_of(facts, "build_log.plugins.use_fp8_context_fmha") == 39
    assert log["plugins"]["paged_state"] is False
    assert log["plugins"]["paged_kv_cache"] is True
    assert log["plugins"]["nccl_plugin"] is None
    assert "dtype" not in log["plugins"]
    assert log["dtype"] == "float16"
    assert log["serialized_engines"] == ["/workspace/test_model/engine_stress/rank0.engine"]
    assert log["build_succeeded"] is True
    assert line_of(facts, "build_log.build_succeeded") == 68
    assert log["peak_gpu_memory_mib"] == 385
    assert log["engine_generation_seconds"] == pytest.approx(5.37531)
    assert log["line_count"] == 69


def test_real_0_20_workers_repeated_banner(shared: Path) -> None:
    facts = extract(shared / "fixtures/logs/v0.20.0_a100_workers2_success.log")
    log = tree(facts)
    assert log["trtllm_version"] == "0.20.0"
    assert line_of(facts, "build_log.trtllm_version") == 2  # the first of two banners
    assert log["dtype"] == "float16"
    assert line_of(facts, "build_log.dtype") == 33
    assert log["serialized_ranks"] == [0]
    assert log["build_succeeded"] is True
    assert log["peak_gpu_memory_mib"] == 769
    assert log["total_build_time"] == "00:00:37"


def test_seed_excerpt(shared: Path) -> None:
    [seed] = sorted((shared / "seed").iterdir())
    facts = extract(seed)
    log = tree(facts)
    assert log["trtllm_version"] == "0.20.0"
    assert log["plugins"] == {
        "gpt_attention_plugin": "float16",
        "gemm_plugin": "float16",
        "remove_input_padding": True,
    }
    assert log["gpu"] == {
        "compute_capability": "8.9",
        "sm_count": 34,
        "sm_clock_mhz": 3105,
        "float16_tflops": 54,
        "total_memory_gib": 15,
    }
    assert log["peak_gpu_memory_mib"] == 2891
    assert log["engine_generation_seconds"] == pytest.approx(9.47165)
    assert log["serialized_engines"] == ["/workspace/trt_engines/rank0.engine"]
    assert log["build_succeeded"] is True
    assert facts["build_log.gpu.compute_capability"].location is not None
    assert facts["build_log.gpu.compute_capability"].location.path == str(seed)


# --- excerpts for each format variant ------------------------------------------------------


def test_0_8_banner_glued_to_the_next_line() -> None:
    facts = extract(DATA / "v0.8.0_glued_banner.log")
    log = tree(facts)
    assert log["trtllm_version"] == "0.8.0"
    assert log["plugins"]["bert_attention_plugin"] == "float16"
    assert line_of(facts, "build_log.plugins.bert_attention_plugin") == 1
    assert log["plugins"]["tokens_per_block"] == 128
    assert log["plugins"]["gemm_plugin"] is None
    assert "dtype" not in log  # 0.8 prints no "Set dtype"
    assert log["build_succeeded"] is True
    assert log["peak_gpu_memory_mib"] == 13120


def test_1_2_spelling_and_pluginconfig_prefix() -> None:
    facts = extract(DATA / "v1.2_pluginconfig.log")
    log = tree(facts)
    assert log["trtllm_version"] == "1.2.0rc2"
    assert log["plugins"]["gpt_attention_plugin"] == "auto"
    assert log["plugins"]["paged_kv_cache"] is True  # None first, then True
    assert line_of(facts, "build_log.plugins.paged_kv_cache") == 15
    assert log["plugins"]["nccl_plugin"] is None
    assert log["dtype"] == "bfloat16"
    assert "PluginConfig.dtype" not in str(log)
    assert "gpu" not in log
    assert log["build_succeeded"] is True


def test_hardware_lines_and_mpi_rank_prefix() -> None:
    facts = extract(DATA / "v0.9_t4_hardware_mpi_rank.log")
    log = tree(facts)
    assert log["gpu"] == {
        "compute_capability": "7.5",
        "sm_count": 40,
        "sm_clock_mhz": 1590,
        "float16_tflops": 65,
        "total_memory_gib": 14,
    }
    assert line_of(facts, "build_log.gpu.compute_capability") == 6
    assert log["trtllm_version"] == "0.9.0"
    assert log["serialized_ranks"] == [0, 1]
    assert log["peak_gpu_memory_mib"] == 6150  # the larger of the two ranks
    assert line_of(facts, "build_log.peak_gpu_memory_mib") == 23
    assert log["build_succeeded"] is True


def test_missing_rank_is_not_success() -> None:
    log = tree(extract(DATA / "tp4_missing_rank2.log"))
    assert log["serialized_ranks"] == [0, 1, 3]
    assert log["missing_ranks"] == [2]
    assert log["build_succeeded"] is None
    assert log["fatal_errors"] == []


def test_rank_started_but_not_serialized_is_incomplete() -> None:
    log = tree(extract(DATA / "tp2_rank1_unfinished.log"))
    assert log["serialized_engines"] == ["/engines/tp2/rank0.engine"]
    assert log["started_engines"][1] == {
        "path": "/engines/tp2/rank1.engine",
        "rank": 1,
        "line": 7,
        "serialized": False,
    }
    assert log["build_succeeded"] is None


def test_failed_build_with_traceback_and_oom() -> None:
    facts = extract(DATA / "failed_traceback_oom.log")
    log = tree(facts)
    assert log["build_succeeded"] is False
    # The exception line only: the quoted source line inside the traceback is not a failure.
    assert log["fatal_errors"] == [
        {"line": 20, "text": "AssertionError: Engine building failed, please check the error log."}
    ]
    assert line_of(facts, "build_log.build_succeeded") == 20
    assert [w["line"] for w in log["oom_warnings"]] == [6, 7, 8]
    assert log["serialized_engines"] == []


def test_traceback_that_ended_the_build() -> None:
    log = tree(extract(DATA / "failed_runtime_error_traceback.log"))
    assert log["build_succeeded"] is False
    [error] = log["fatal_errors"]
    assert error["line"] == 9
    assert error["text"].startswith("RuntimeError: multiple_profiles is enabled")


def test_traceback_followed_by_a_successful_build_is_not_fatal() -> None:
    log = tree(extract(DATA / "harmless_traceback_then_success.log"))
    assert log["fatal_errors"] == []
    assert log["build_succeeded"] is True


def test_truncated_traceback_is_fatal() -> None:
    text = "[TensorRT-LLM] TensorRT-LLM version: 0.20.0\nTraceback (most recent call last):\n"
    log = tree(parse(text, "build.log"))
    assert log["fatal_errors"] == [{"line": 2, "text": "Traceback (most recent call last):"}]
    assert log["build_succeeded"] is False


def test_killed_by_the_shell() -> None:
    log = tree(extract(DATA / "killed.log"))
    assert log["fatal_errors"] == [{"line": 5, "text": "Killed"}]
    assert log["build_succeeded"] is False
    assert log["peak_gpu_memory_mib"] == 1215


def test_mpirun_signal_9() -> None:
    log = tree(extract(DATA / "mpirun_signal9.log"))
    assert [e["line"] for e in log["fatal_errors"]] == [5]
    assert log["build_succeeded"] is False
    assert log["started_engines"][0]["serialized"] is False


def test_terminate_called_and_abort() -> None:
    log = tree(extract(DATA / "terminate_called.log"))
    lines = [e["line"] for e in log["fatal_errors"]]
    assert lines == [6, 7, 11, 14]
    assert "Assertion failed: FP8 FMHA" in log["fatal_errors"][1]["text"]
    assert log["build_succeeded"] is False
    assert log["plugins"]["use_fp8_context_fmha"] is True


def test_oom_during_tactic_search_is_only_a_warning() -> None:
    log = tree(extract(DATA / "oom_tactics_success.log"))
    assert log["fatal_errors"] == []
    assert log["build_succeeded"] is True
    assert [w["line"] for w in log["oom_warnings"]] == [4, 5, 6, 7, 8]
    assert log["oom_warning_count"] == 5
    assert "Error Code 2: OutOfMemory" in log["oom_warnings"][2]["text"]


def test_oom_warnings_are_capped_but_counted() -> None:
    line = "[05/18/2024-18:57:48] [TRT] [W] Skipping tactic 3 due to insufficient memory on x.\n"
    log = tree(parse(line * (MAX_OOM_ITEMS + 7), "build.log"))
    assert len(log["oom_warnings"]) == MAX_OOM_ITEMS
    assert log["oom_warning_count"] == MAX_OOM_ITEMS + 7


def test_crlf_line_endings() -> None:
    raw = (DATA / "crlf_windows.log").read_bytes()
    assert b"\r\n" in raw  # the excerpt must keep its CRLF endings
    facts = extract(DATA / "crlf_windows.log")
    log = tree(facts)
    assert log["trtllm_version"] == "0.20.0"
    assert log["plugins"]["remove_input_padding"] is True
    assert log["plugins"]["tokens_per_block"] == 32
    assert log["serialized_engines"] == ["C:\\engines\\rank0.engine"]
    assert log["build_succeeded"] is True
    assert log["line_count"] == 7
    assert line_of(facts, "build_log.plugins.tokens_per_block") == 4


def test_real_log_with_crlf_gives_the_same_facts(shared: Path, tmp_path: Path) -> None:
    original = shared / "fixtures/logs/v0.20.0_a100_gpt2-like_success_1gpu.log"
    crlf = tmp_path / "build.log"
    crlf.write_bytes(original.read_bytes().replace(b"\n", b"\r\n"))
    assert tree(extract(crlf)) == tree(extract(original))


def test_invalid_utf8_bytes() -> None:
    raw = (DATA / "invalid_utf8.log").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    log = tree(extract(DATA / "invalid_utf8.log"))
    assert log["trtllm_version"] == "0.20.0"
    assert log["plugins"]["gpt_attention_plugin"] == "float16"
    assert log["plugins"]["gemm_plugin"] == "\ufffdfloat16"  # kept, with the replacement mark
    assert log["serialized_ranks"] == [0]
    assert log["build_succeeded"] is True
    assert log["line_count"] == 6


def test_empty_file() -> None:
    facts = extract(DATA / "empty.log")
    log = tree(facts)
    assert log["line_count"] == 0
    assert log["build_succeeded"] is None
    assert log["serialized_engines"] == []
    assert log["fatal_errors"] == []
    assert log["plugins"] == {}
    for absent in ("trtllm_version", "dtype", "gpu", "peak_gpu_memory_mib"):
        assert absent not in log


def test_unreadable_file_gives_a_read_error(tmp_path: Path) -> None:
    facts = extract(tmp_path / "missing.log")
    assert list(facts) == ["build_log.read_error"]
    assert facts["build_log.read_error"].value
    facts = extract(tmp_path)  # a directory
    assert list(facts) == ["build_log.read_error"]


def test_set_values_are_typed() -> None:
    text = "\n".join(
        f"[07/20/2025-12:12:38] [TRT-LLM] [I] Set {name} to {value}."
        for name, value in [
            ("a", "True"),
            ("b", "False"),
            ("c", "None"),
            ("d", "64"),
            ("e", "auto"),
            ("f", "float16"),
            ("g", "nvfp4"),
        ]
    )
    assert tree(parse(text, "x.log"))["plugins"] == {
        "a": True,
        "b": False,
        "c": None,
        "d": 64,
        "e": "auto",
        "f": "float16",
        "g": "nvfp4",
    }


def test_set_lines_only_from_the_trtllm_logger() -> None:
    text = (
        "[07/20/2025-12:12:38] [TRT] [I] Set gemm_plugin to float16.\n"
        "Set gemm_plugin to float16.\n"
        "[07/20/2025-12:12:38] [TRT-LLM] [I] Set lora_plugin to None.\n"
    )
    assert tree(parse(text, "x.log"))["plugins"] == {"lora_plugin": None}


def test_locations_name_the_log_file() -> None:
    facts = parse("[TensorRT-LLM] TensorRT-LLM version: 0.20.0\n", "/repo/m/1/build.log")
    location = facts["build_log.trtllm_version"].location
    assert location is not None
    assert (location.path, location.line) == ("/repo/m/1/build.log", 1)


# --- excerpts of real logs from public issues (the source URL is on each file's first line) ---


def test_0_14_windows_hardware_lines_then_traceback() -> None:
    facts = extract(DATA / "v0.14_windows_hardware_traceback.log")
    log = tree(facts)
    assert log["trtllm_version"] == "0.14.0"
    # Only the five contract keys, although int4/int8/fp8/bf16/fp32 TFLOPS are printed too.
    assert log["gpu"] == {
        "compute_capability": "8.9",
        "sm_count": 34,
        "sm_clock_mhz": 3105,
        "float16_tflops": 54,
        "total_memory_gib": 15,
    }
    assert line_of(facts, "build_log.gpu.total_memory_gib") == 13
    assert log["plugins"] == {}  # no Set line printed
    assert log["fatal_errors"] == [
        {
            "line": 23,
            "text": "AttributeError: 'ChatGLMConfig' object has no attribute "
            "'rotary_embedding_scaling'",
        }
    ]
    assert log["build_succeeded"] is False


def test_0_14_shell_prompt_and_a_log_cut_during_the_build() -> None:
    facts = extract(DATA / "v0.14_shell_prompt_incomplete.log")
    log = tree(facts)
    assert log["trtllm_version"] == "0.14.0"
    assert line_of(facts, "build_log.trtllm_version") == 4
    assert log["plugins"] == {
        "bert_attention_plugin": "auto",
        "gpt_attention_plugin": "auto",
        "gemm_plugin": "float16",
        "nccl_plugin": None,  # "auto" at the top, None inside the rank's build: the last wins
        "remove_input_padding": True,
    }
    assert line_of(facts, "build_log.plugins.nccl_plugin") == 12
    assert log["fatal_errors"] == []
    assert log["build_succeeded"] is None  # neither serialized nor failed: incomplete


def test_0_8_plugin_error_then_a_null_engine_is_serialized() -> None:
    log = tree(extract(DATA / "v0.8_plugin_error_then_traceback.log"))
    assert [e["line"] for e in log["fatal_errors"]] == [3, 12]
    assert "Engine building failed" in log["fatal_errors"][0]["text"]
    assert log["fatal_errors"][1]["text"].startswith("TypeError: a bytes-like object")
    assert log["started_engines"] == [
        {"path": "trt_engine_bf16_01/rank0.engine", "rank": 0, "line": 4, "serialized": False}
    ]
    assert log["serialized_engines"] == []
    assert log["build_succeeded"] is False


def test_0_12_gpu_oom_then_engine_building_failed() -> None:
    log = tree(extract(DATA / "v0.12_gpu_oom_failed.log"))
    assert [e["line"] for e in log["fatal_errors"]] == [5]
    assert log["oom_warning_count"] == 3
    assert log["build_succeeded"] is False
    # The runtime's "Engine version ..." line that follows is not a builder banner.
    assert "trtllm_version" not in log


def test_0_10_cxx_exception_during_the_build() -> None:
    log = tree(extract(DATA / "v0.10_terminate_cuda_error.log"))
    assert [e["line"] for e in log["fatal_errors"]] == [3]
    assert log["build_succeeded"] is False


# --- regressions found on unseen logs --------------------------------------------------------


def test_argument_error_is_a_failed_build() -> None:
    # Was null: argparse stops trtllm-build before anything is built (exit status 2).
    facts = extract(DATA / "v0.11_argparse_error.log")
    log = tree(facts)
    assert log["trtllm_version"] == "0.11.0"
    assert line_of(facts, "build_log.trtllm_version") == 4  # after a logger warning
    assert log["fatal_errors"] == [
        {
            "line": 7,
            "text": "trtllm-build: error: argument --logits_dtype: invalid choice: 'int8' "
            "(choose from 'float16', 'float32')",
        }
    ]
    assert log["build_succeeded"] is False


def test_argument_error_needs_the_program_prefix() -> None:
    text = "[TensorRT-LLM] TensorRT-LLM version: 0.11.0\nnote: error: nothing to see\n"
    assert tree(parse(text, "x.log"))["fatal_errors"] == []


def test_mpirun_tag_output_prefix_does_not_hide_a_traceback() -> None:
    # Was true: "[1,1]<stderr>:Traceback" was not seen as a traceback, and rank 0 was complete.
    log = tree(extract(DATA / "v0.11_mpirun_tag_output_traceback.log"))
    assert log["trtllm_version"] == "0.11.0"
    assert log["dtype"] == "float16"
    assert log["plugins"] == {"nccl_plugin": "float16"}
    assert log["serialized_ranks"] == [0]
    assert log["fatal_errors"] == [
        {
            "line": 11,
            "text": "RuntimeError: [TensorRT-LLM][ERROR] CUDA runtime error in "
            "cudaSetDevice(device): invalid device ordinal",
        }
    ]
    assert log["build_succeeded"] is False


def test_container_timestamps_do_not_hide_a_traceback() -> None:
    # Was true: every line starts with "2024-05-21T14:01:35.323456789Z ".
    facts = extract(DATA / "docker_timestamps_traceback.log")
    log = tree(facts)
    assert log["trtllm_version"] == "0.10.0"
    assert log["plugins"] == {"gpt_attention_plugin": "float16"}
    assert log["serialized_engines"] == ["/out/rank0.engine"]
    assert log["fatal_errors"] == [{"line": 8, "text": "RuntimeError: boom"}]
    assert log["build_succeeded"] is False


def test_container_timestamps_on_a_successful_build(shared: Path, tmp_path: Path) -> None:
    original = shared / "fixtures/logs/v0.20.0_a100_gpt2-like_success_1gpu.log"
    stamped = tmp_path / "build.log"
    lines = original.read_text().splitlines(keepends=True)
    stamped.write_text(
        "".join(f"2025-06-19T10:00:{i % 60:02d}.5Z {ln}" for i, ln in enumerate(lines))
    )
    assert tree(extract(stamped)) == tree(extract(original))


def test_mpi_abort_is_a_failed_build() -> None:
    # Was null: the MPI path prints nothing fatal of its own before Open MPI's notice.
    log = tree(extract(DATA / "v0.16_mpi_abort.log"))
    assert log["fatal_errors"] == [
        {"line": 6, "text": "MPI_ABORT was invoked on rank 0 in communicator MPI_COMM_WORLD"}
    ]
    assert log["build_succeeded"] is False


def test_mpirun_aborted_job() -> None:
    text = (
        "[TensorRT-LLM] TensorRT-LLM version: 0.11.0\n"
        "Primary job  terminated normally, but 1 process returned\n"
        "a non-zero exit code. Per user-direction, the job has been aborted.\n"
    )
    log = tree(parse(text, "x.log"))
    assert [e["line"] for e in log["fatal_errors"]] == [3]
    assert log["build_succeeded"] is False


def test_exception_ignored_at_exit_is_not_a_failure() -> None:
    # Was false: Python printed an exception it ignored after every engine was serialized.
    log = tree(extract(DATA / "exception_ignored_after_success.log"))
    assert log["fatal_errors"] == []
    assert log["serialized_ranks"] == [0]
    assert log["build_succeeded"] is True


def test_an_ignored_exception_does_not_hide_a_later_traceback() -> None:
    text = (
        "Exception ignored in: <function A.__del__ at 0x1>\n"
        "Traceback (most recent call last):\n"
        '  File "a.py", line 1, in __del__\n'
        "AssertionError: ignored\n"
        "Traceback (most recent call last):\n"
        '  File "b.py", line 2, in main\n'
        "ValueError: real\n"
    )
    log = tree(parse(text, "x.log"))
    assert log["fatal_errors"] == [{"line": 7, "text": "ValueError: real"}]
    assert log["build_succeeded"] is False


def test_rank_failure_in_the_build_loop_is_reported_although_later_ranks_serialize() -> None:
    # The disk-full traceback of rank 0 was dropped because rank 1 serialized after it.
    log = tree(extract(DATA / "v0.17_rank0_disk_full_rank1_built.log"))
    assert log["fatal_errors"] == [
        {"line": 7, "text": "OSError: [Errno 28] No space left on device"},
        {"line": 11, "text": "Engine building failed, please check error log."},
    ]
    assert log["serialized_ranks"] == [1]
    assert log["missing_ranks"] == [0]
    assert log["build_succeeded"] is False


def test_windows_unhandled_cxx_exception() -> None:
    # Was null: the Windows C++ runtime does not print "terminate called".
    log = tree(extract(DATA / "v0.15_windows_unhandled_exception.log"))
    assert log["trtllm_version"] == "0.15.0"
    assert log["fatal_errors"] == [
        {"line": 4, "text": "Unhandled exception caught in c10/util/AbortHandler.h"}
    ]
    assert log["build_succeeded"] is False


# --- preflight.facts helpers (used by every source; kept here until they get their own file) --


def test_to_tree_nests_values_and_keeps_clashing_keys() -> None:
    from preflight.facts import fact

    error = {"message": "m", "line": 1}
    facts = {
        "a.b.c": fact(1, "p"),
        "a.b.d": fact(None, "p"),
        "a.e": fact([1, 2], "p"),
        "x": fact(error, "p"),
        "x.y": fact(2, "p"),  # "x" is a value (a dict), not a branch: never written into
    }
    assert to_tree(facts) == {
        "a": {"b": {"c": 1, "d": None}, "e": [1, 2]},
        "x": {"message": "m", "line": 1},
        "x.y": 2,
    }
    assert error == {"message": "m", "line": 1}


def test_fact_helper_builds_a_location() -> None:
    from preflight.facts import fact

    made = fact(3, Path("/r/build.log"), 7, 2)
    assert made.value == 3
    assert made.location is not None
    assert (made.location.path, made.location.line, made.location.column) == ("/r/build.log", 7, 2)


def test_a_huge_rank_number_lists_a_bounded_number_of_absent_ranks() -> None:
    """One line naming rank 300000000 must not make a list of 300 million ranks."""
    text = (
        "[TensorRT-LLM] TensorRT-LLM version: 0.20.0\n"
        "[07/20/2025-12:13:04] [TRT-LLM] [I] Serializing engine to /w/rank300000000.engine...\n"
    )
    facts = parse(text, "build.log")
    assert len(facts["build_log.missing_ranks"].value) == MAX_LISTED_RANKS
    assert facts["build_log.missing_ranks"].value[:2] == [0, 1]


def test_an_engine_built_but_never_written_leaves_the_build_incomplete() -> None:
    """Rank 1 finished building, then the log stops before `Serializing engine to`."""
    ts = "[07/20/2025-12:13:04]"
    text = "\n".join(
        [
            "[TensorRT-LLM] TensorRT-LLM version: 0.20.0",
            f"{ts} [TRT] [I] Engine generation completed in 9.47165 seconds.",
            f"{ts} [TRT-LLM] [I] Serializing engine to /w/rank0.engine...",
            f"{ts} [TRT-LLM] [I] Engine serialized. Total time: 00:00:10",
            f"{ts} [TRT] [I] Engine generation completed in 9.1 seconds.",
        ]
    )
    assert parse(text, "build.log")["build_log.build_succeeded"].value is None
    finished = text + f"\n{ts} [TRT-LLM] [I] Serializing engine to /w/rank1.engine...\n"
    finished += f"{ts} [TRT-LLM] [I] Engine serialized. Total time: 00:00:10\n"
    assert parse(finished, "build.log")["build_log.build_succeeded"].value is True


def test_plugins_is_always_present_for_readers_of_the_json() -> None:
    assert to_tree(parse("no trtllm-build output here\n", "x.log"))["build_log"]["plugins"] == {}
