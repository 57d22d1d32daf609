"""Issue 10, part B: release tables (19.xx on), unknown releases, PEP 440 versions, host driver,
GPU support, the image's backends, plugins in plan bytes, legacy engine versions, explicit path
maps and ``explain`` on a pasted error line."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from preflight import safe_files, versions
from preflight.checks import MissingFact
from preflight.checks.release import backend_shipped, compute_capability_supported, driver_supports
from preflight.data import gpus, releases
from preflight.derive import trtllm
from preflight.evaluator.operators import version_eq, version_gte, version_lte
from preflight.model import Fact, Facts
from preflight.rules.loader import builtin_rules_dir, load_rules
from preflight.rules.search import looks_like_message, search
from preflight.scan import map_path
from preflight.sources import plan_plugins
from preflight.sources.target import target_facts

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "model_repo"
REAL_PLANS = ROOT / "tests" / "data" / "shared" / "fixtures" / "engines"


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "preflight.cli", *args], capture_output=True, text=True, check=False
    )


# ------------------------------------------------------------------------ versions (PEP 440)


@pytest.mark.parametrize(
    ("a", "b", "order"),
    [
        ("0.12.0.dev2024080600", "0.12.0", -1),
        ("1.0.0rc2", "1.0.0", -1),
        ("1.0.0rc2", "1.0.0rc10", -1),
        ("0.12.0.dev1", "0.12.0rc1", -1),
        ("0.17.0.post1", "0.17.0", 1),
        ("0.20", "0.20.0", 0),  # a release line equals its releases' numbers
        ("v0.20.0", "0.20.0", 0),
        ("8.6.1.2+cuda12.0", "8.6.1.2", 0),  # the local label is not compared
        ("1.2.0rc2", "1.2.0rc2", 0),
    ],
)
def test_versions_compare_as_pep_440(a: str, b: str, order: int) -> None:
    assert versions.compare(a, b) == order
    assert versions.compare(b, a) == -order


def test_version_operators_tell_a_dev_build_from_the_release() -> None:
    assert not version_eq("0.12.0.dev2024080600", "0.12.0")
    assert version_eq("0.12.0.dev2024080600", "0.12.0.dev2024080600")
    assert not version_eq("1.0.0rc2", "1.0.0")
    assert version_lte("1.0.0rc2", "1.0.0") and not version_gte("1.0.0rc2", "1.0.0")
    assert version_eq("10.10", "10.10.0.31")  # the parts both give, as before
    assert versions.is_prerelease("0.12.0.dev2024080600") and not versions.is_prerelease("0.20.0")
    # the old API is unchanged
    assert versions.parse("1.2.0rc2") == (1, 2, 0)
    assert versions.same_trt_version("9.3.0.post12.dev1", "9.3.0")


# ------------------------------------------------------------------------ release tables


def test_plain_table_reaches_back_to_19_xx_with_a_source_per_row() -> None:
    rows = releases.known_releases("plain")
    assert rows[0].triton.startswith("19.")
    old = [r for r in rows if r.triton < "23.01"]
    assert len(old) >= 40
    assert all(r.source.startswith("release notes rel_") for r in old)
    assert releases.resolve_release("19.03", "plain").trt_version == "5.1.2"
    assert releases.resolve_release("21.12", "plain").trt_version == "8.2.1.8"
    # the pages from 22.01 on send TensorRT to the support matrix: null, with a note
    r2201 = releases.resolve_release("22.01", "plain")
    assert r2201.trt_version is None and "Support Matrix" in r2201.note


@pytest.mark.parametrize(
    ("given", "month", "flavor"),
    [
        ("25.06", "25.06", None),
        ("r25.06", "25.06", None),
        ("25.06-py3", "25.06", "plain"),
        ("nvcr.io/nvidia/tritonserver:24.05-trtllm-python-py3", "24.05", "trtllm"),
        ("24.06-vllm-python-py3", "24.06", "vllm"),
        ("2.59.0", "25.06", None),  # a server version as GET /v2 reports it
        ("27.01", "27.01", None),  # well formed, newer than the table
    ],
)
def test_parse_release(given: str, month: str, flavor: str | None) -> None:
    assert releases.parse_release(given) == (month, flavor)


def test_an_unknown_release_is_a_finding_and_every_other_check_runs(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    shutil.copytree(EXAMPLE, repo)
    for given in ("27.01", "2.99.0", "24.06-vllm-python-py3"):
        proc = run("check", str(repo), "--target-gpu", "L4", "--triton-version", given)
        assert proc.returncode in (0, 1), proc.stderr
        assert "TRITON080" in proc.stdout, proc.stdout
        assert re.search(r"\d+ passed", proc.stdout)
    facts = target_facts(triton="27.01")
    assert facts["target.release_known"].value is False
    assert "(known: 19.01–" in facts["target.unknown"].value["release"]
    # malformed text is still bad usage
    assert run("check", str(repo), "--triton-version", "25.6x").returncode == 2


def test_a_flavoured_tag_resolves_that_image_only() -> None:
    facts = target_facts(triton="25.06-py3")
    assert facts["target.triton_flavor"].value == "plain"
    assert facts["target.trt_version_plain"].value == "10.11.0.33"
    assert "target.trt_version" not in facts  # the trtllm image is not the target
    assert set(facts["target.requirements"].value) == {"plain"}


def test_known_bad_rows_link_an_issue() -> None:
    for row in releases.known_bad():
        assert row.issue.startswith("https://github.com/")
        assert row.releases and all(re.fullmatch(r"\d\d\.\d\d", m) for m in row.releases)


# ------------------------------------------------------------------------ host driver, GPU


def _deployment(**target: Any) -> Facts:
    gpu = target.pop("gpu", None)
    facts = target_facts(gpu=gpus.resolve_gpu(gpu) if gpu else None, **target)
    facts["scan.backends"] = Fact(["python", "tensorrtllm"])
    return facts


def test_driver_below_the_cuda_major_fails_a_geforce_card() -> None:
    facts = _deployment(gpu="RTX 4090", triton="25.06", driver="470.57.02")
    (found,) = driver_supports(facts, {"level": "cuda"})
    assert found.kind == "below-cuda" and found.fields["needed"] == "525"


def test_forward_compatibility_passes_a_datacenter_gpu_on_a_listed_branch() -> None:
    facts = _deployment(gpu="T4", triton="24.06-py3", driver="535.104.05")
    assert driver_supports(facts, {"level": "release"}) == []
    geforce = _deployment(gpu="RTX 4090", triton="24.06-py3", driver="535.104.05")
    (found,) = driver_supports(geforce, {"level": "release"})
    assert found.kind == "below-release" and found.fields["needed"] == "545"
    unknown = _deployment(gpu="8.9", triton="24.06-py3", driver="535.104.05")
    (found,) = driver_supports(unknown, {"level": "release"})
    assert found.kind == "datacenter-only" and found.fields["branch"] == "535.86"


def test_an_unknown_branch_list_cannot_judge_a_datacenter_gpu() -> None:
    facts = _deployment(gpu="T4", triton="24.09", driver="470.57.02")  # 24.09 notes not read
    with pytest.raises(MissingFact):
        driver_supports(facts, {"level": "cuda"})


def test_the_release_notes_branches_cover_the_trtllm_image_of_the_same_cuda_major() -> None:
    facts = _deployment(gpu="T4", triton="25.06", driver="470.57.02")
    assert driver_supports(facts, {"level": "cuda"}) == []
    assert driver_supports(facts, {"level": "release"}) == []
    trtllm = facts["target.requirements"].value["trtllm"]
    assert "data-center branches: rel-25-06" in trtllm["source"]


def test_cuda_10_images_have_no_minor_version_compatibility() -> None:
    facts = _deployment(gpu="RTX 2080 Ti", triton="19.12-py3", driver="418.87")
    (found,) = driver_supports(facts, {"level": "cuda"})
    assert found.fields["needed"] == "440.30"


def test_compute_capability_minimums() -> None:
    nano = _deployment(gpu="Jetson Nano", triton="24.06")
    (found,) = compute_capability_supported(nano, {"triton_minimum": "6.0"})
    assert found.kind == "below-triton" and found.fields["printed"] == "6.000000"
    p40 = _deployment(gpu="Tesla P40", triton="25.01")
    (found,) = compute_capability_supported(p40, {"triton_minimum": "6.0"})
    assert found.kind == "below-release" and found.fields["minimum"] == "7.5"
    assert compute_capability_supported(_deployment(gpu="P40", triton="24.12"), {}) == []


@pytest.mark.parametrize(
    ("name", "cc", "category"),
    [
        ("P100", "6.0", "datacenter"),
        ("Tesla P40", "6.1", "datacenter"),
        ("P4", "6.1", "datacenter"),
        ("GTX 1080 Ti", "6.1", "geforce"),
        ("A800", "8.0", "datacenter"),
        ("H800 PCIe", "9.0", "datacenter"),
        ("NVIDIA H800 80GB HBM3", "9.0", "datacenter"),
        ("H20", "9.0", "datacenter"),
        ("L20", "8.9", "datacenter"),
        ("Jetson AGX Orin 64GB", "8.7", "jetson"),
        ("Jetson AGX Xavier", "7.2", "jetson"),
        ("Jetson TX2", "6.2", "jetson"),
    ],
)
def test_gpu_table_rows(name: str, cc: str, category: str) -> None:
    gpu = gpus.resolve_gpu(name)
    assert (gpu.compute_capability, gpu.category) == (cc, category)


# ------------------------------------------------------------------------ backends in the image


def _model(backend: str, **extra: Any) -> Facts:
    facts: Facts = {
        "triton.config": Fact({"backend": backend, **extra}),
        "triton.backend": Fact(backend),
    }
    return facts


def test_a_custom_backend_in_the_model_folder_passes() -> None:
    facts = {**target_facts(triton="25.06-py3"), **_model("mybackend")}
    (found,) = backend_shipped(facts, {})
    assert found.kind == "unknown-backend"
    facts["layout.backend_libraries"] = Fact(["1/libtriton_mybackend.so"])
    assert backend_shipped(facts, {}) == []
    runtime = {**target_facts(triton="25.06-py3"), **_model("mybackend", runtime="model.py")}
    assert backend_shipped(runtime, {}) == []


def test_24_02_py3_left_onnx_runtime_out() -> None:
    (found,) = backend_shipped({**target_facts(triton="24.02-py3"), **_model("onnxruntime")}, {})
    assert found.kind == "not-in-release" and "6991" in found.fields["evidence"]
    assert backend_shipped({**target_facts(triton="24.03-py3"), **_model("onnxruntime")}, {}) == []


# ------------------------------------------------------------------------ plugins in plan bytes


def test_real_plans_name_no_plugin() -> None:
    for plan in sorted(REAL_PLANS.iterdir()):
        if plan.suffix in (".md",):
            continue
        with safe_files.confined(REAL_PLANS):
            found, scanned, complete = plan_plugins.scan_plugins(plan)
        assert found == {} and complete and scanned == plan.stat().st_size, plan.name


def test_plugin_names_across_a_chunk_boundary_and_the_cap(tmp_path: Path) -> None:
    plan = tmp_path / "model.plan"
    cut = plan_plugins.CHUNK - 5  # "YoloLayer_TRT" starts 5 bytes before a chunk ends
    body = b"\x00" * cut + b"YoloLayer_TRT\x01\x00" + b"\x00" * 100
    body += b"PLUGIN_V2_Decode_TRT_3\x00CustomQKVToContextPluginDynamic\x00Split_7\x00"
    plan.write_bytes(body)
    with safe_files.confined(tmp_path):
        found, _, complete = plan_plugins.scan_plugins(plan)
    assert complete
    assert found == {
        "YoloLayer_TRT": "a *_TRT plugin name",
        "Decode_TRT": "plugin layer name",
        "CustomQKVToContextPluginDynamic": "a TensorRT plugin name",
    }  # "Split" is an ONNX node name as often as a plugin: not taken
    with safe_files.confined(tmp_path):
        capped, scanned, complete = plan_plugins.scan_plugins(plan, cap=1024)
    assert capped == {} and scanned == 1024 and not complete


# ------------------------------------------------------------------------ legacy engine version


def test_a_legacy_engine_takes_its_version_from_the_build_log_banner() -> None:
    facts: Facts = {"build_log.trtllm_version": Fact("0.7.1")}
    out = trtllm.derive(facts)
    assert out["trtllm.engine_version"].value == "0.7.1"
    assert out["trtllm.engine_version_source"].value == "the build log's version banner"
    facts["engine_config.version"] = Fact("0.8.0")
    assert trtllm.derive(facts)["trtllm.engine_version"].value == "0.8.0"


# ------------------------------------------------------------------------ explicit path maps


def test_an_explicit_path_map_wins_over_the_tail_and_the_longest_wins(tmp_path: Path) -> None:
    with safe_files.confined(tmp_path / "repo"):
        _path_maps(tmp_path)


def _path_maps(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    (repo / "tensorrt_llm" / "1").mkdir(parents=True)
    (repo / "engines" / "1").mkdir(parents=True)
    value = "/models/tensorrt_llm/1"
    assert map_path(value, repo, [])[0] == repo / "tensorrt_llm" / "1"  # the tail
    mapped, how = map_path(value, repo, [("/models/tensorrt_llm", "engines")])
    assert mapped == repo / "engines" / "1" and "path map" in how
    # .preflight.yaml's /models=. first, the command line's more specific map after it
    both = [("/models", "."), ("/models/tensorrt_llm", "engines")]
    assert map_path(value, repo, both)[0] == repo / "engines" / "1"
    assert map_path(value, repo, list(reversed(both)))[0] == repo / "engines" / "1"
    # an explicit map to a missing folder is not second-guessed by the tail
    missing, _ = map_path(value, repo, [("/models", "nowhere")])
    assert missing == repo / "nowhere" / "tensorrt_llm" / "1"


# ------------------------------------------------------------------------ explain "<message>"


def _vary(line: str) -> str:
    """The line as another user would see it: other numbers, other quoted names."""
    line = re.sub(r"\d+", lambda m: str(int(m.group()) + 7), line)
    return re.sub(r"'[A-Za-z_][\w.-]*'", "'other_model'", line)


def test_explain_finds_the_rule_of_each_example_line() -> None:
    rules = load_rules([(builtin_rules_dir(), False)])
    tried = top1 = top3 = 0
    misses = []
    for rule in rules:
        lines = [ln.split("   #", 1)[0].strip() for ln in rule.example.splitlines() if ln.strip()]
        lines = [ln for ln in lines if len(ln) > 30 and looks_like_message(ln)]
        if not lines:
            continue
        tried += 1
        found = [m.rule.id for m in search(rules, _vary(max(lines, key=len)))]
        top1 += bool(found) and found[0] == rule.id
        top3 += rule.id in found
        if rule.id not in found:
            misses.append(rule.id)
    assert tried >= 40
    assert top3 / tried >= 0.85, misses
    assert top1 / tried >= 0.7, misses


@pytest.mark.parametrize(
    ("pasted", "rule"),
    [
        (
            "E0301 02:32:59.169 1 model_repository_manager.cc:832] failed to load 'retina' "
            "version 1: Internal: unable to create TensorRT engine -- INVALID_ARGUMENT: "
            "getPluginCreator could not find plugin Decode_TRT version 1",
            "TRT010",
        ),
        (
            "failed to load 'densenet_onnx' version 1: Invalid argument: unable to find backend "
            "library for backend 'onnxruntime', try specifying runtime on the model configuration.",
            "TRITON081",
        ),
        (
            "ERROR: This container was built for NVIDIA Driver Release 560.35 or later, but "
            "version 535.129.03 was detected and compatibility mode is UNAVAILABLE.",
            "TRITON083",
        ),
        (
            "gpu 1 has compute capability '5.2' which is less than the minimum supported of "
            "'6.000000'",
            "TRITON085",
        ),
        (
            "The engine plan file is not compatible with this version of TensorRT, expecting "
            "library version 10.3.0.26 got 10.11.0.33, please rebuild.",
            "TRT002",
        ),
    ],
)
def test_explain_a_real_line(pasted: str, rule: str) -> None:
    proc = run("explain", pasted)
    assert proc.returncode == 0, proc.stderr
    shown = proc.stdout.splitlines()
    assert shown[0].startswith(f"best match: {rule} ") or rule in shown[1], proc.stdout


def test_explain_by_id_is_unchanged_and_nonsense_is_a_usage_error() -> None:
    assert run("explain", "TRITON083").stdout.startswith("TRITON083 driver-runs-image-cuda")
    proc = run("explain", "zzz qqq www")
    assert proc.returncode == 2 and "no rule matches" in proc.stderr


def test_the_image_a_tensorrtllm_repository_needs_must_have_a_row() -> None:
    from preflight.checks.release import release_known

    facts = _deployment(triton="26.08")  # the plain image is known, the -trtllm one is not
    (found,) = release_known(facts, {})
    assert "26.08-trtllm-python-py3 is not in the release table" in found.fields["missing"]
    assert release_known(_deployment(triton="25.06"), {}) == []


def test_no_tensorrtllm_backend_before_23_10() -> None:
    facts = {**target_facts(triton="22.12"), **_model("tensorrtllm")}
    facts["scan.backends"] = Fact(["tensorrtllm"])
    (found,) = backend_shipped(facts, {})
    assert found.kind == "before-first" and found.fields["first"] == "23.10"
    facts = {**target_facts(triton="23.10"), **_model("tensorrtllm")}
    facts["scan.backends"] = Fact(["tensorrtllm"])
    assert backend_shipped(facts, {}) == []


def test_driver_from_the_settings_or_auto(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    shutil.copytree(EXAMPLE, repo)
    (repo / ".preflight.yaml").write_text('target: {gpu: RTX 4090, triton: "25.06", driver: 470}\n')
    proc = run("check", str(repo))
    assert proc.returncode == 1 and "TRITON083" in proc.stdout and "driver 470 " in proc.stdout
    (repo / ".preflight.yaml").write_text('target: {gpu: L4, triton: "25.06", driver: true}\n')
    proc = run("check", str(repo))
    assert proc.returncode == 2 and "target.driver" in proc.stderr
    # no GPU and no NVML here: an unknown driver, so the driver rules do not apply
    (repo / ".preflight.yaml").unlink()
    proc = run(
        "check", str(repo), "--target-gpu", "L4", "--triton-version", "25.06", "--driver", "auto"
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "TRITON083" not in proc.stdout
