"""`preflight check` end to end on engine directories it was not written against.

Each test copies examples/model_repo, swaps in real artifacts from the shared fixtures (engine
config.json files and trtllm-build logs of other versions, GPUs and layouts) or edits derived
from them, writes synthetic rank-engine headers, and judges the exit code and the findings.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from rule_cases import plan_writer

from preflight.cli import main

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "model_repo"
ENGINE_DIR = "tensorrt_llm/1"


make_plan = plan_writer().make_plan


class Repo:
    """A copy of the example repository whose engine directory a test rewrites."""

    def __init__(self, tmp_path: Path) -> None:
        self.root = tmp_path / "repo"
        shutil.copytree(EXAMPLE, self.root)
        self.engines = self.root / ENGINE_DIR
        (self.engines / "preflight-manifest.json").unlink()
        self.config: dict[str, Any] = json.loads((self.engines / "config.json").read_text())

    @property
    def log(self) -> str:
        return (self.engines / "build.log").read_text()

    @log.setter
    def log(self, text: str) -> None:
        (self.engines / "build.log").write_text(text)

    def plugins(self, **values: Any) -> None:
        self.config["build_config"]["plugin_config"].update(values)

    def ranks(self, names: dict[str, tuple[str, str, int]]) -> None:
        for old in self.engines.glob("*.engine"):
            old.unlink()
        for name, (trt, cc, sms) in names.items():
            (self.engines / name).write_bytes(make_plan(trt, cc, sms))

    def check(self, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, list[Any]]:
        (self.engines / "config.json").write_text(json.dumps(self.config, indent=4))
        status = main(["check", str(self.root), "--format", "json", *args])
        return status, json.loads(capsys.readouterr().out)["results"]


def of(results: list[Any], rule: str) -> list[Any]:
    return [r for r in results if r["rule"] == rule]


def at(result: Any) -> tuple[str, int | None]:
    return result["location"]["path"], result["location"].get("line")


def not_passed(results: list[Any]) -> list[tuple[str, str]]:
    return [(r["rule"], r["status"]) for r in results if r["status"] != "pass"]


def set_world(config: dict[str, Any], tp: int = 1, pp: int = 1) -> None:
    mapping = config["pretrained_config"]["mapping"]
    mapping.update(tp_size=tp, pp_size=pp, world_size=tp * pp)


def two_rank_log(log: str) -> str:
    """The example's log with its per-rank block repeated for rank1 (a tp=2 / pp=2 build)."""
    head, rest = log.split("[07/20/2025-08:22:19] [TRT-LLM] [I] Set dtype to float16.", 1)
    block, end = rest.rsplit("[07/20/2025-08:22:31] [TRT-LLM] [I] Total time of building", 1)
    rank0 = "[07/20/2025-08:22:19] [TRT-LLM] [I] Set dtype to float16." + block
    rank1 = rank0.replace("rank0.engine", "rank1.engine")
    return head + rank0 + rank1 + "[07/20/2025-08:22:31] [TRT-LLM] [I] Total time of building" + end


def bf16_auto(repo: Repo) -> None:
    """A bfloat16 model built with trtllm-build's defaults: attention and GEMM plugins `auto`."""
    repo.config["pretrained_config"]["dtype"] = "bfloat16"
    repo.plugins(dtype="bfloat16", gpt_attention_plugin="auto", gemm_plugin="auto")
    repo.log = (
        repo.log.replace(
            "Set gpt_attention_plugin to float16.", "Set gpt_attention_plugin to auto."
        )
        .replace("Set gemm_plugin to float16.", "Set gemm_plugin to auto.")
        .replace("Set dtype to float16.", "Set dtype to bfloat16.")
    )


# ------------------------------------------------------------------------ TLLM002, TLLM009
# Plugins must be on at the required dtype: float16 unless the repository sets another one
# (or `auto`, the model's dtype) in .preflight.yaml; None/disabled fails.

AUTO = "target: {gpu: RTX 4060 Ti, gpu_memory: 16, triton: '25.06', gpu_count: 1}\nrules:\n  TLLM002: {options: {dtype: auto}}\n  TLLM009: {options: {dtype: auto}}\n"


def test_bfloat16_model_with_auto_plugins_fails_the_float16_default(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = Repo(tmp_path)
    bf16_auto(repo)
    status, results = repo.check(capsys)
    [attention] = of(results, "TLLM002")
    [gemm] = of(results, "TLLM009")
    # the engine loads: a plugin dtype other than the one planned is a warning (exit 0)
    assert status == 0 and attention["status"] == gemm["status"] == "fail"
    assert attention["severity"] == gemm["severity"] == "warning"
    assert "gpt_attention_plugin is bfloat16" in attention["message"]
    assert "expected float16 (the model dtype is bfloat16)" in attention["message"]


def test_bfloat16_model_with_auto_plugins_is_clean_when_auto_is_required(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = Repo(tmp_path)
    bf16_auto(repo)
    (repo.root / ".preflight.yaml").write_text(AUTO)
    status, results = repo.check(capsys)
    assert not_passed(results) == []
    assert status == 0
    [plugins] = of(results, "TLLM002")
    assert "gpt_attention_plugin is bfloat16 (required: auto)" in plugins["message"]


def test_real_bf16_l4_config_passes_the_plugin_checks_with_bfloat16_required(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], shared: Path
) -> None:
    repo = Repo(tmp_path)
    config = (
        shared
        / "fixtures/configs/v0.17.0.post1_qwen2.5-0.5b_bf16_tp1_L4_achatbot-spark-tts.config.json"
    )
    repo.config = json.loads(config.read_text())
    (repo.engines / "build.log").unlink()
    repo.ranks({"rank0.engine": ("10.8.0.43", "8.9", 58)})
    (repo.root / ".preflight.yaml").write_text(
        "target: {gpu_count: 1}\n"
        "rules:\n  TLLM002: {options: {dtype: bfloat16}}\n  TLLM009: {options: {dtype: bfloat16}}\n"
    )
    status, results = repo.check(capsys, "--target-gpu", "L4", "--triton-version", "25.02")
    assert [r["status"] for r in of(results, "TLLM002") + of(results, "TLLM009")] == [
        "pass",
        "pass",
    ]
    # without a build log (trtllm-build writes none) the repository is clean: TLLM001 says the
    # facts came from config.json, and the comparisons with a log do not apply
    assert [r for r in not_passed(results) if r[1] == "fail"] == []
    assert ("TLLM001", "skip") in not_passed(results)
    assert of(results, "TLLM006") == of(results, "TLLM007") == []
    assert status == 0


def test_gemm_plugin_off_fails_unless_the_rule_is_disabled(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], shared: Path
) -> None:
    """The 0.13.0 RTX A6000 config: attention plugin auto (float16 model), GEMM plugin off."""
    repo = Repo(tmp_path)
    config = (
        shared
        / "fixtures/configs/v0.13.0_llama2-7b_fp16_tp1_rtxa6000_SqueezeBits-ditto.config.json"
    )
    repo.config = json.loads(config.read_text())
    (repo.engines / "build.log").unlink()
    repo.ranks({"rank0.engine": ("10.4.0.26", "8.6", 84)})
    args = ("--target-gpu", "RTX A6000", "--triton-version", "24.09")
    _, results = repo.check(capsys, *args)
    assert of(results, "TLLM002")[0]["status"] == "pass"  # auto -> the model's float16
    [gemm] = of(results, "TLLM009")
    assert gemm["status"] == "fail" and "gemm_plugin is None" in gemm["message"]
    (repo.root / ".preflight.yaml").write_text("rules:\n  TLLM009: {enabled: false}\n")
    _, results = repo.check(capsys, *args)
    assert of(results, "TLLM009") == []


def test_gemm_plugin_in_another_dtype_than_the_model_fails_at_its_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = Repo(tmp_path)
    bf16_auto(repo)
    (repo.root / ".preflight.yaml").write_text(AUTO)
    repo.log = repo.log.replace("Set gemm_plugin to auto.", "Set gemm_plugin to float16.")
    repo.plugins(gemm_plugin="float16")
    status, results = repo.check(capsys)
    [gemm] = of(results, "TLLM009")
    assert status == 0 and gemm["status"] == "fail" and gemm["severity"] == "warning"
    assert "gemm_plugin is float16" in gemm["message"]
    assert "expected auto (the model dtype is bfloat16)" in gemm["message"]
    assert at(gemm)[0] == f"{ENGINE_DIR}/config.json"  # what the runtime reads comes first


def test_plugins_off_fail_at_their_lines(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = Repo(tmp_path)
    repo.log = repo.log.replace(
        "Set gpt_attention_plugin to float16.", "Set gpt_attention_plugin to None."
    ).replace("Set gemm_plugin to float16.", "Set gemm_plugin to None.")
    status, results = repo.check(capsys)
    [attention] = of(results, "TLLM002")
    [gemm] = of(results, "TLLM009")
    assert status == 1 and attention["status"] == gemm["status"] == "fail"
    assert "gpt_attention_plugin is None" in attention["message"]
    assert at(attention) == (f"{ENGINE_DIR}/build.log", 3)
    assert at(gemm) == (f"{ENGINE_DIR}/build.log", 4)
    assert "--gpt_attention_plugin float16" in attention["remediation"]


# ------------------------------------------------------------------- legacy engine names


LEGACY_LOG = """\
[01/10/2024-10:00:00] [TRT-LLM] [I] Serially build TensorRT engines.
[01/10/2024-10:05:00] [TRT-LLM] [I] Serializing engine to /tmp/llama/trt_engines/llama_float16_tp2_rank0.engine...
[01/10/2024-10:05:10] [TRT-LLM] [I] Engine serialized. Total time: 00:00:10
[01/10/2024-10:09:00] [TRT-LLM] [I] Serializing engine to /tmp/llama/trt_engines/llama_float16_tp2_rank1.engine...
[01/10/2024-10:09:10] [TRT-LLM] [I] Engine serialized. Total time: 00:00:10
[01/10/2024-10:09:10] [TRT-LLM] [I] Config saved to /tmp/llama/trt_engines/config.json.
[01/10/2024-10:09:10] [TRT-LLM] [I] Total time of building all 2 engines: 00:09:10
"""


def legacy_repo(tmp_path: Path) -> Repo:
    """A tp=2 engine directory of the 0.7 per-model build script (legacy config.json)."""
    repo = Repo(tmp_path)
    repo.config = json.loads(
        (ROOT / "tests/data/configs/legacy_v0.7_llama_tp2.config.json").read_text()
    )
    repo.log = LEGACY_LOG
    repo.ranks({f"llama_float16_tp2_rank{r}.engine": ("9.2.0.5", "8.0", 108) for r in range(2)})
    return repo


TARGET_24_01 = ("--target-gpu", "A100", "--triton-version", "24.01", "--gpu-count", "2")


def test_legacy_engine_names_are_the_rank_engines(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, results = legacy_repo(tmp_path).check(capsys, *TARGET_24_01)
    [present] = of(results, "TLLM005")
    assert present["status"] == "pass"
    engines = sorted(r["subject"] for r in of(results, "TRT002"))
    assert engines == [f"{ENGINE_DIR}/llama_float16_tp2_rank{r}.engine" for r in range(2)]
    assert all(r["status"] == "pass" for r in of(results, "TRT002") + of(results, "TRT007"))
    assert of(results, "TRT005") == []  # a legacy config.json names no TensorRT-LLM version
    assert status == 0


def test_legacy_engines_are_checked_against_the_target(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = legacy_repo(tmp_path)
    (repo.engines / "llama_float16_tp2_rank1.engine").unlink()
    status, results = repo.check(capsys, "--target-gpu", "L4", "--triton-version", "24.01")
    [missing] = [r for r in of(results, "TLLM005") if r["status"] == "fail"]
    assert "llama_float16_tp2_rank1.engine is missing" in missing["message"]
    [gpu] = of(results, "TRT003")
    assert gpu["status"] == "fail" and "8.0" in gpu["message"] and "8.9" in gpu["message"]
    assert gpu["subject"] == f"{ENGINE_DIR}/llama_float16_tp2_rank0.engine"
    assert status == 1


def test_rank_engine_named_the_new_way_beside_a_legacy_config_is_missing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = legacy_repo(tmp_path)
    repo.ranks({f"rank{r}.engine": ("9.2.0.5", "8.0", 108) for r in range(2)})
    status, results = repo.check(capsys, *TARGET_24_01)
    missing = [r["message"] for r in of(results, "TLLM005") if r["status"] == "fail"]
    assert len(missing) == 2 and "llama_float16_tp2_rank0.engine is missing" in missing[0]
    assert status == 1


# ------------------------------------------------------------ a log from another build


def test_log_of_a_tp4_build_beside_a_tp1_engine_fails(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], shared: Path
) -> None:
    repo = Repo(tmp_path)
    log = shared / "fixtures/logs/v0.12.0dev_tp4_llama3-8b-1048k_workers4_success.log"
    repo.log = log.read_text()
    repo.config["version"] = "0.12.0.dev2024070900"  # the versions agree: only the ranks tell
    repo.ranks({"rank0.engine": ("10.3.0.26", "8.9", 34)})
    status, results = repo.check(capsys, "--triton-version", "24.08")
    [foreign] = [r for r in of(results, "TLLM007") if r["status"] == "fail"]
    assert "rank1.engine, rank2.engine, rank3.engine" in foreign["message"]
    assert "world size 1" in foreign["message"]
    assert at(foreign) == (f"{ENGINE_DIR}/build.log", 83)
    assert status == 1


def test_two_rank_build_log_matches_tp2_and_pp2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for tp, pp in ((2, 1), (1, 2)):
        repo = Repo(tmp_path / f"tp{tp}pp{pp}")
        set_world(repo.config, tp, pp)
        repo.log = two_rank_log(repo.log)
        repo.ranks({f"rank{r}.engine": ("10.10.0.31", "8.9", 34) for r in range(2)})
        status, results = repo.check(capsys, "--gpu-count", "2")
        assert not_passed(results) == [], (tp, pp)
        assert status == 0


# ----------------------------------------------------------------------- noisy skips


def test_a100_build_without_hardware_lines_or_manifest_gives_no_skips(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], shared: Path
) -> None:
    repo = Repo(tmp_path)
    repo.log = (shared / "fixtures/logs/v0.20.0_a100_gpt2-like_success_1gpu.log").read_text()
    repo.config["build_config"]["auto_parallel_config"]["cluster_key"] = "A100-SXM-80GB"
    repo.ranks({"rank0.engine": ("10.10.0.31", "8.0", 108)})
    status, results = repo.check(capsys, "--target-gpu", "A100", "--gpu-memory", "80")
    assert not_passed(results) == []
    assert of(results, "TRT006") == [] and of(results, "TRT007") == []
    assert status == 0
    status, results = repo.check(capsys, "--target-gpu", "L4")
    assert sorted(not_passed(results)) == [("TLLM004", "fail"), ("TRT003", "fail")]
    [engine] = of(results, "TRT003")
    assert "compute capability 8.0" in engine["message"] and "8.9" in engine["message"]


def test_blackwell_engines_name_both_compute_capabilities(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = Repo(tmp_path)
    repo.config["version"] = "1.0.0"
    repo.config["build_config"]["auto_parallel_config"]["cluster_key"] = "NVIDIA-B200"
    repo.log = (
        repo.log.replace("0.20.0", "1.0.0")
        .replace("Compute capability: (8, 9)", "Compute capability: (10, 0)")
        .replace("SM count: 34", "SM count: 148")
    )
    repo.ranks({"rank0.engine": ("10.11.0.33", "10.0", 148)})
    status, results = repo.check(capsys, "--target-gpu", "B200", "--triton-version", "25.09")
    assert not_passed(results) == [] and status == 0
    status, results = repo.check(capsys, "--target-gpu", "RTX 5090", "--triton-version", "25.09")
    [model] = of(results, "TLLM004")
    assert model["status"] == "fail" and "10.0" in model["message"] and "12.0" in model["message"]
    assert at(model) == (f"{ENGINE_DIR}/build.log", 30)  # the hardware line
    assert status == 1


# ---------------------------------------------------------------- TLLM001: why incomplete


def test_interrupted_build_names_the_unfinished_rank_and_its_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = Repo(tmp_path)
    set_world(repo.config, tp=2)
    repo.log = two_rank_log(repo.log)
    lines = repo.log.splitlines()
    last_start = max(i for i, line in enumerate(lines) if "rank1.engine..." in line)
    repo.log = "\n".join(lines[: last_start + 1]) + "\n"  # cut right after rank1 starts
    repo.ranks({f"rank{r}.engine": ("10.10.0.31", "8.9", 34) for r in range(2)})
    status, results = repo.check(capsys, "--gpu-count", "2")
    [incomplete] = [r for r in of(results, "TLLM001") if r["status"] == "fail"]
    assert "rank1.engine started serializing at line" in incomplete["message"]
    assert at(incomplete) == (f"{ENGINE_DIR}/build.log", last_start + 1)
    assert status == 1


def test_empty_build_log_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    repo = Repo(tmp_path)
    repo.log = ""
    status, results = repo.check(capsys)
    [incomplete] = [r for r in of(results, "TLLM001") if r["status"] == "fail"]
    assert incomplete["message"].endswith(
        "the build log does not show a complete build: the log is empty"
    )
    assert status == 1


# ------------------------------------------- TLLM006: a log of the same version, other GPU


def test_log_of_an_a100_build_beside_rtx_engines_fails(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], shared: Path
) -> None:
    """Same TensorRT-LLM version and plugins; only the missing hardware lines give it away."""
    repo = Repo(tmp_path)
    repo.log = (shared / "fixtures/logs/v0.20.0_a100_gpt2-like_success_1gpu.log").read_text()
    status, results = repo.check(capsys)
    [foreign] = of(results, "TLLM006")
    assert foreign["status"] == "fail"
    assert "'NVIDIA-GeForce-RTX-4060-Ti'" in foreign["message"]
    assert "prints hardware lines" in foreign["message"]
    assert at(foreign)[0] == f"{ENGINE_DIR}/build.log"
    # the runtime never reads the log: a log of another build is a warning (exit 0)
    assert foreign["severity"] == "warning" and status == 0


def test_log_hardware_lines_of_another_gpu_than_the_cluster_key_fail(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = Repo(tmp_path)
    repo.config["build_config"]["auto_parallel_config"]["cluster_key"] = "A100-SXM-80GB"
    (repo.engines / "rank0.engine").unlink()  # no engine header to cross-check (TRT006)
    status, results = repo.check(capsys, "--target-gpu", "A100")
    [foreign] = of(results, "TLLM006")
    assert foreign["status"] == "fail"
    assert (
        "compute capability 8.9" in foreign["message"]
        and "(compute capability 8.0)" in foreign["message"]
    )
    assert at(foreign) == (f"{ENGINE_DIR}/build.log", 30)
    assert status == 1


def test_version_without_hardware_lines_or_a_table_key_is_not_judged(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """TensorRT-LLM 1.2 prints no hardware lines; an A100 (table key) build never did."""
    for version, key in (("1.2.0rc2", "NVIDIA-B200"), ("0.20.0", "A100-SXM-80GB")):
        repo = Repo(tmp_path / version)
        repo.config["version"] = version
        repo.config["build_config"]["auto_parallel_config"]["cluster_key"] = key
        repo.log = "\n".join(
            line.replace("0.20.0", version)
            for line in repo.log.splitlines()
            if "Compute capability" not in line
        )
        _, results = repo.check(capsys)
        [same] = of(results, "TLLM006")
        assert same["status"] == "pass", (version, same["message"])


# ------------------------------------------------------------- build log against config.json


def test_plugin_off_in_config_json_only_fails_there(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The runtime reads config.json: an engine whose config has the plugin off fails, whatever
    the log says, and the disagreement shows the log is not this engine's."""
    repo = Repo(tmp_path)
    repo.plugins(gpt_attention_plugin=None)
    status, results = repo.check(capsys)
    [attention] = of(results, "TLLM002")
    assert status == 1 and attention["status"] == "fail"
    assert at(attention)[0] == f"{ENGINE_DIR}/config.json"
    [log] = of(results, "TLLM006")
    assert log["status"] == "fail"
    assert (
        "the build log sets gpt_attention_plugin to float16 (line 3) but config.json has None"
        in (log["message"])
    )
    assert at(log) == (f"{ENGINE_DIR}/build.log", 3)


def test_padding_off_in_the_log_only_fails_at_the_log_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = Repo(tmp_path)
    repo.log = repo.log.replace(
        "Set remove_input_padding to True.", "Set remove_input_padding to False."
    )
    status, results = repo.check(capsys)
    [padding] = of(results, "TLLM003")
    assert status == 1 and padding["status"] == "fail"
    assert at(padding) == (f"{ENGINE_DIR}/build.log", 17)
    assert of(results, "TLLM006")[0]["status"] == "fail"
