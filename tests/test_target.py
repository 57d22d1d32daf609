"""Target resolution: GPU names, cluster keys (data.gpus), NVML detection (sources.nvml),
container releases (data.releases), versions, the target.* facts (sources.target)."""

from __future__ import annotations

import json
import sys
import types
from pathlib import Path
from typing import Any

import pytest

from preflight.data.gpus import Gpu, gpu_for_cluster_key, resolve_gpu
from preflight.data.releases import (
    release_for_server_version,
    releases_with_trt,
    resolve_release,
    trt_for_trtllm,
    trtllm_releases_with_trt,
)
from preflight.errors import TargetError
from preflight.model import Target
from preflight.sources.nvml import detect_gpu
from preflight.sources.target import target_facts, target_from_facts
from preflight.versions import parse, same_trt_version

# ------------------------------------------------------------------------------ resolve_gpu


@pytest.mark.parametrize("spec", ["8.9", "sm_89", "sm89", "SM_89", "Sm89", "sm_89a", "(8, 9)"])
def test_compute_capability_forms(spec: str) -> None:
    gpu = resolve_gpu(spec)
    assert gpu.name == "sm_89"
    assert gpu.compute_capability == "8.9"
    assert gpu.sm_count is None and gpu.memory_gib is None


@pytest.mark.parametrize(
    ("spec", "cc"), [("sm_120", "12.0"), ("12.1", "12.1"), ("sm_100", "10.0"), ("7.5", "7.5")]
)
def test_two_digit_major_compute_capabilities(spec: str, cc: str) -> None:
    gpu = resolve_gpu(spec)
    assert gpu.compute_capability == cc
    assert gpu.name == "sm_" + cc.replace(".", "")


def test_bare_number_is_not_a_compute_capability() -> None:
    with pytest.raises(TargetError, match=r"8\.9 or sm_89"):
        resolve_gpu("89")


def test_unknown_compute_capability_is_refused() -> None:
    with pytest.raises(TargetError, match=r"8\.8 is not in the GPU table.*8\.9"):
        resolve_gpu("8.8")


@pytest.mark.parametrize(
    "spec",
    [
        "RTX 4060 Ti",
        "rtx4060ti",
        "rtx 4060 ti",
        "RTX-4060-Ti",
        "NVIDIA GeForce RTX 4060 Ti",
        "GeForce RTX 4060 Ti",
        "  NVIDIA  GeForce RTX 4060 Ti ",
        "4060 Ti",
    ],
)
def test_rtx_4060_ti_spellings(spec: str) -> None:
    gpu = resolve_gpu(spec)
    assert (gpu.name, gpu.compute_capability, gpu.sm_count) == ("RTX 4060 Ti", "8.9", 34)
    assert gpu.category == "geforce"
    assert "[S1]" in gpu.source


@pytest.mark.parametrize(
    ("spec", "name", "cc", "sms"),
    [
        ("L4", "L4", "8.9", 58),
        ("l4", "L4", "8.9", 58),
        ("T4", "T4", "7.5", 40),
        ("Tesla T4", "T4", "7.5", 40),
        ("A10", "A10", "8.6", 72),
        ("A10G", "A10G", "8.6", 80),
        ("L40", "L40", "8.9", 142),
        ("L40S", "L40S", "8.9", 142),
        ("H100 SXM", "H100 SXM5 80GB", "9.0", 132),
        ("NVIDIA H100 80GB HBM3", "H100 SXM5 80GB", "9.0", 132),
        ("H100 PCIe", "H100 PCIe", "9.0", 114),
        ("NVIDIA H200", "H200 SXM", "9.0", 132),
        ("H200 NVL", "H200 NVL", "9.0", 132),
        ("B200", "B200", "10.0", 148),
        ("GB200", "GB200", "10.0", 152),
        ("RTX 5090", "RTX 5090", "12.0", 170),
        ("4090", "RTX 4090", "8.9", 128),
        ("A6000", "RTX A6000", "8.6", 84),
        ("RTX 6000 Ada Generation", "RTX 6000 Ada", "8.9", 142),
        ("A100-SXM-80GB", "A100 SXM4 80GB", "8.0", 108),
        ("NVIDIA A100 80GB PCIe", "A100 PCIe 80GB", "8.0", 108),
        ("Tesla V100-SXM2-16GB", "V100 SXM2 16GB", "7.0", 80),
    ],
)
def test_product_names(spec: str, name: str, cc: str, sms: int) -> None:
    gpu = resolve_gpu(spec)
    assert (gpu.name, gpu.compute_capability, gpu.sm_count) == (name, cc, sms)


def test_a100_family_shares_cc_and_sm_count() -> None:
    gpu = resolve_gpu("A100")
    assert (gpu.name, gpu.compute_capability, gpu.sm_count) == ("A100", "8.0", 108)
    assert gpu.memory_gib is None  # 40 and 80 GB variants
    assert "A100 SXM4 40GB" in gpu.source and "A100 PCIe 80GB" in gpu.source


def test_a100_80gb_group_keeps_memory() -> None:
    gpu = resolve_gpu("A100 80GB")
    assert (gpu.compute_capability, gpu.sm_count, gpu.memory_gib) == ("8.0", 108, 80.0)


def test_group_names_keep_their_own_label() -> None:
    assert resolve_gpu("A100 SXM").name == "A100 SXM"
    assert resolve_gpu("V100 16GB").name == "V100 16GB"
    h200 = gpu_for_cluster_key("H200-NVL")  # H200 SXM and NVL, and GH200 via the name regex
    assert h200 is not None and h200.name == "H200 / GH200"


def test_h100_family_has_no_single_sm_count() -> None:
    gpu = resolve_gpu("H100")
    assert (gpu.name, gpu.compute_capability, gpu.sm_count) == ("H100", "9.0", None)


def test_shared_nvml_name_gives_family_cc_only() -> None:
    orin = resolve_gpu("Orin")
    assert (orin.name, orin.compute_capability, orin.sm_count) == ("Jetson Orin", "8.7", None)
    rtx3080 = resolve_gpu("NVIDIA GeForce RTX 3080")
    assert (rtx3080.compute_capability, rtx3080.sm_count) == ("8.6", None)  # 68 vs 70 SMs


def test_unknown_variant_falls_back_to_family_cc() -> None:
    gpu = resolve_gpu("H100 SXM5 64GB")  # no such SKU: memory suffix dropped
    assert gpu.compute_capability == "9.0"


def test_prefixes_of_other_names_do_not_collide() -> None:
    assert resolve_gpu("A10").compute_capability == "8.6"
    assert resolve_gpu("A100").compute_capability == "8.0"
    assert resolve_gpu("RTX 4060").sm_count == 24
    assert resolve_gpu("H20").sm_count == 78
    assert resolve_gpu("Jetson Nano").compute_capability == "5.3"
    assert resolve_gpu("Jetson Orin Nano").compute_capability == "8.7"


def test_thor_reports_both_compute_capabilities() -> None:
    thor = resolve_gpu("Jetson Thor")
    assert thor.compute_capability == "11.0"
    assert thor.alt_compute_capabilities == ("10.1",)
    facts = target_facts(thor)
    assert facts["target.compute_capabilities"].value == ["11.0", "10.1"]


@pytest.mark.parametrize(
    ("spec", "suggestion"),
    [("RTX 4606 Ti", "RTX 4060 Ti"), ("A1000", "A100"), ("L40X", "L40"), ("rtx 6000", "RTX A6000")],
)
def test_unknown_names_fail_with_suggestions(spec: str, suggestion: str) -> None:
    with pytest.raises(TargetError) as info:
        resolve_gpu(spec)
    message = str(info.value)
    assert "\n" not in message
    assert f"unknown GPU {spec!r}" in message
    assert repr(suggestion) in message


def test_quadro_rtx_6000_does_not_collapse_into_an_ada_card() -> None:
    with pytest.raises(TargetError):
        resolve_gpu("Quadro RTX 6000")  # Turing, not in the table


def test_empty_name_fails() -> None:
    with pytest.raises(TargetError, match="empty"):
        resolve_gpu("   ")


# ------------------------------------------------------------------------------ cluster keys


@pytest.mark.parametrize(
    ("config", "key", "cc", "sms"),
    [
        ("v0.17.0.post1_qwen2.5-0.5b_bf16_tp1_L4_achatbot-spark-tts.config.json", "L4", "8.9", 58),
        (
            "v0.13.0_llama2-7b_fp16_tp1_rtxa6000_SqueezeBits-ditto.config.json",
            "NVIDIA-RTX-A6000",
            "8.6",
            84,
        ),
    ],
)
def test_cluster_keys_of_real_engine_configs(
    shared: Path, config: str, key: str, cc: str, sms: int
) -> None:
    data = json.loads((shared / "fixtures" / "configs" / config).read_text())
    found = data["build_config"]["auto_parallel_config"]["cluster_key"]
    assert found == key
    gpu = gpu_for_cluster_key(found)
    assert gpu is not None
    assert (gpu.compute_capability, gpu.sm_count) == (cc, sms)


def test_a6000_cluster_info_matches_the_table(shared: Path) -> None:
    name = "v0.13.0_llama2-7b_fp16_tp1_rtxa6000_SqueezeBits-ditto.config.json"
    data = json.loads((shared / "fixtures" / "configs" / name).read_text())
    info = data["build_config"]["auto_parallel_config"]["cluster_info"]
    gpu = gpu_for_cluster_key("NVIDIA-RTX-A6000")
    assert gpu is not None and gpu.memory_gib is not None
    # cluster_info records NVML memory floored to GiB: a 48 GB card shows 47
    assert info["memory_budget_per_device"] in (int(gpu.memory_gib) - 1, int(gpu.memory_gib))


@pytest.mark.parametrize(
    ("key", "cc", "sms"),
    [
        ("A100-SXM-80GB", "8.0", 108),
        ("A100-PCIe-40GB", "8.0", 108),
        ("A10G", "8.6", 80),
        ("H100-SXM", "9.0", 132),
        ("H100-PCIe", "9.0", None),  # H100 SXM's NVML name has no "SXM": also keyed H100-PCIe
        ("H200-NVL", "9.0", 132),
        ("L40S", "8.9", 142),
        ("NVIDIA-GeForce-RTX-4090", "8.9", 128),
        ("Tesla-T4", "7.5", 40),
        ("NVIDIA-B200", "10.0", 148),
    ],
)
def test_cluster_keys(key: str, cc: str, sms: int | None) -> None:
    gpu = gpu_for_cluster_key(key)
    assert gpu is not None
    assert (gpu.compute_capability, gpu.sm_count) == (cc, sms)


@pytest.mark.parametrize("key", ["", "Foo-Bar", "8.9", "NVIDIA-Quadro-RTX-6000"])
def test_unknown_cluster_keys(key: str) -> None:
    assert gpu_for_cluster_key(key) is None


# ------------------------------------------------------------------------------ detect_gpu


def _nvml_works() -> bool:
    try:
        import pynvml
    except ImportError:
        return False
    try:
        pynvml.nvmlInit()
    except Exception:
        return False
    pynvml.nvmlShutdown()
    return True


def test_auto_without_a_gpu_raises_a_clear_error() -> None:
    pytest.importorskip("pynvml")
    if _nvml_works():
        pytest.skip("this machine has an NVIDIA driver")
    with pytest.raises(TargetError) as info:
        detect_gpu()
    message = str(info.value)
    assert message.startswith("--target-gpu auto: no NVIDIA GPU found (NVML: ")
    assert message.endswith(")") and "\n" not in message


def test_auto_without_nvidia_ml_py(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pynvml", None)  # import now raises ImportError
    with pytest.raises(TargetError, match=r"nvidia-ml-py is not installed; pip install"):
        detect_gpu()


def _fake_nvml(name: Any, cc: tuple[int, int], total: int, count: int = 1) -> types.ModuleType:
    mod = types.ModuleType("pynvml")
    calls: list[str] = []

    def call(label: str, value: Any) -> Any:
        def fn(*_args: Any) -> Any:
            calls.append(label)
            return value

        return fn

    mod.nvmlInit = call("init", None)  # type: ignore[attr-defined]
    mod.nvmlShutdown = call("shutdown", None)  # type: ignore[attr-defined]
    mod.nvmlDeviceGetCount = call("count", count)  # type: ignore[attr-defined]
    mod.nvmlDeviceGetHandleByIndex = call("handle", object())  # type: ignore[attr-defined]
    mod.nvmlDeviceGetName = call("name", name)  # type: ignore[attr-defined]
    mod.nvmlDeviceGetCudaComputeCapability = call("cc", cc)  # type: ignore[attr-defined]
    mod.nvmlDeviceGetMemoryInfo = call(  # type: ignore[attr-defined]
        "mem", types.SimpleNamespace(total=total)
    )
    mod.calls = calls  # type: ignore[attr-defined]
    return mod


def test_auto_maps_an_nvml_name_to_the_table(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = _fake_nvml(b"NVIDIA GeForce RTX 4060 Ti", (8, 9), 16_376 * 1024 * 1024)
    monkeypatch.setitem(sys.modules, "pynvml", fake)
    gpu = detect_gpu()
    assert (gpu.name, gpu.compute_capability, gpu.sm_count) == ("RTX 4060 Ti", "8.9", 34)
    assert gpu.memory_mib == 16_376
    assert fake.calls[-1] == "shutdown"  # type: ignore[attr-defined]


def test_auto_unknown_gpu_keeps_nvml_values(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pynvml", _fake_nvml("NVIDIA Future GPU", (13, 0), 2**35))
    gpu = detect_gpu()
    assert (gpu.name, gpu.compute_capability, gpu.sm_count) == ("NVIDIA Future GPU", "13.0", None)
    assert gpu.memory_gib == 32.0


def test_auto_trusts_nvml_cc_over_the_table(monkeypatch: pytest.MonkeyPatch) -> None:
    # Jetson Thor reports 10.1 under CUDA 12.x
    monkeypatch.setitem(sys.modules, "pynvml", _fake_nvml("NVIDIA Thor", (10, 1), 2**37))
    gpu = detect_gpu()
    assert (gpu.name, gpu.compute_capability, gpu.sm_count) == ("Jetson Thor", "10.1", 20)


def test_auto_with_zero_devices(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pynvml", _fake_nvml("x", (8, 9), 1, count=0))
    with pytest.raises(TargetError, match=r"no NVIDIA GPU found \(NVML: 0 devices\)"):
        detect_gpu()


# ------------------------------------------------------------------------------ releases


def test_release_25_06() -> None:
    trtllm = resolve_release("25.06")
    assert trtllm.flavor == "trtllm"
    assert (trtllm.trt_version, trtllm.trtllm_version) == ("10.10.0.31", "0.20.0")
    assert (trtllm.server_version, trtllm.cuda, trtllm.confidence) == (
        "2.59.0",
        "12.9.0.036",
        "S",
    )
    assert trtllm.image == "nvcr.io/nvidia/tritonserver:25.06-trtllm-python-py3"
    plain = resolve_release("25.06", "plain")
    assert (plain.trt_version, plain.confidence, plain.trtllm_version) == ("10.11.0.33", "U", None)


@pytest.mark.parametrize(
    ("yymm", "flavor", "trt", "trtllm", "grade"),
    [
        ("24.05", "trtllm", "9.3.0", "0.9.0", "I"),  # the maintainer's 9.3.0, not compat.md's
        ("25.03", "trtllm", "10.9.0.34", "0.18.0", "S"),
        ("25.11", "trtllm", "10.13.3.9", "1.0.3.2510", "S"),
        ("26.07", "trtllm", "10.14.1.48", "1.2.1", "S"),
        ("23.04", "plain", "8.6.1.2", None, "I"),
        ("24.08", "plain", "10.3.0.26", None, "S"),
        ("25.01", "plain", "10.8.0.43", None, "S"),
        ("26.01", "plain", None, None, None),
    ],
)
def test_release_rows(
    yymm: str, flavor: str, trt: str | None, trtllm: str | None, grade: str | None
) -> None:
    r = resolve_release(yymm, flavor)
    assert (r.trt_version, r.trtllm_version, r.confidence) == (trt, trtllm, grade)


def test_release_accepts_container_tags() -> None:
    assert resolve_release("25.06-py3").flavor == "plain"
    assert resolve_release("tritonserver:25.06-trtllm-python-py3", "plain").flavor == "trtllm"
    assert resolve_release("r25.06").triton == "25.06"


@pytest.mark.parametrize("bad", ["25.6", "2506", "v25.06", "latest", ""])
def test_malformed_release(bad: str) -> None:
    with pytest.raises(TargetError, match=r"expected a container release YY\.MM"):
        resolve_release(bad)


def test_release_month_must_exist() -> None:
    with pytest.raises(TargetError, match=r"'25\.13': month 13 does not exist"):
        resolve_release("25.13")


def test_unknown_release_gives_the_known_range() -> None:
    with pytest.raises(TargetError, match=r"22\.12-trtllm-python-py3 .*known: 23\.10–26\.07"):
        resolve_release("22.12")
    with pytest.raises(TargetError, match=r"known: 19\.01–26\.10"):
        resolve_release("27.01", "plain")
    with pytest.raises(TargetError, match=r"26\.08-trtllm"):
        resolve_release("26.08")  # no trtllm image listed that month


def test_unknown_flavor() -> None:
    with pytest.raises(TargetError, match="flavour"):
        resolve_release("25.06", "vllm")


def test_releases_with_trt() -> None:
    assert [r.triton for r in releases_with_trt("10.9.0.34")] == ["25.03", "25.04", "25.05"]
    assert [r.triton for r in releases_with_trt("10.9.0.34", "plain")] == ["25.03", "25.04"]
    # a 3-part table value (24.07-trtllm: 10.1.0) matches any 10.1.0 build
    assert [r.triton for r in releases_with_trt("10.1.0.27")] == ["24.07"]
    assert releases_with_trt("10.10.0.30") == []


def test_server_version_to_release() -> None:
    assert release_for_server_version("2.59.0") == "25.06"
    assert release_for_server_version("2.59.1") == "25.07"
    assert release_for_server_version("1.0.0") == "19.03"  # TensorRT Inference Server 1.0.0
    assert release_for_server_version("1.8.0") is None  # 19.11's notes print no version
    assert release_for_server_version("garbage") is None


@pytest.mark.parametrize(
    ("trtllm", "trt"),
    [
        ("0.20.0", "10.10.0.31"),
        ("v0.20.0", "10.10.0.31"),
        ("0.17.0.post1", "10.8.0.43"),
        ("0.6.1", "9.2.0.5"),
        ("0.9.0", "9.3.0"),
        ("1.2.1", "10.14.1.48"),
        ("0.12.0.dev2024070900", None),  # a pre-release may ship another TensorRT
        ("0.12.0.dev2024080600", "10.3.0"),  # except the one with its own row (24.08-trtllm)
        ("1.2.0rc2", None),
        ("9.9.9", None),
        ("junk", None),
    ],
)
def test_trt_for_trtllm(trtllm: str, trt: str | None) -> None:
    assert trt_for_trtllm(trtllm) == trt


def test_trtllm_releases_with_trt() -> None:
    assert trtllm_releases_with_trt("10.10.0.31") == ["0.20.0"]
    assert "1.0.0" in trtllm_releases_with_trt("10.11.0.33")


# ------------------------------------------------------------------------------ versions


@pytest.mark.parametrize(
    ("text", "parts"),
    [
        ("10.10.0.31", (10, 10, 0, 31)),
        ("9.3.0.post12.dev1", (9, 3, 0)),
        ("8.6.1.2+cuda12.0.1.011", (8, 6, 1, 2)),
        ("v0.20.0", (0, 20, 0)),
        ("1.2.0rc2", (1, 2, 0)),
        ((10, 1), (10, 1)),
    ],
)
def test_parse_version(text: Any, parts: tuple[int, ...]) -> None:
    assert parse(text) == parts


@pytest.mark.parametrize("bad", ["", "abc", "..1"])
def test_parse_version_rejects_non_versions(bad: str) -> None:
    with pytest.raises(ValueError):
        parse(bad)


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        ("10.10.0.31", "10.10.0.31", True),
        ("9.2.0.5", "9.3.0.1", False),  # "expecting library version 9.2.0.5 got 9.3.0.1"
        ("8.6.1.2", "8.6.1.6", False),  # Triton 23.05 vs TensorRT container 23.05
        ("10.1.0", "10.1.0.27", True),  # a 3-part table value: common prefix
        ("9.1", "9.1.0.4", True),
        ("10.1", "10.11.0.33", False),  # numbers, not string prefixes
        ("9.3.0.post12.dev1", "9.3.0.1", True),
        ("garbage", "10.0.1.6", False),
    ],
)
def test_same_trt_version(a: str, b: str, same: bool) -> None:
    assert same_trt_version(a, b) is same
    assert same_trt_version(b, a) is same


# ------------------------------------------------------------------------------ target facts


def _values(facts: dict[str, Any]) -> dict[str, Any]:
    return {k: f.value for k, f in facts.items()}


def test_target_facts_from_gpu_and_triton() -> None:
    facts = target_facts(resolve_gpu("RTX 4060 Ti"), "25.06", gpu_count=1)
    values = _values(facts)
    assert {k: v for k, v in values.items() if k != "target.sources"} == {
        "target.gpu": "RTX 4060 Ti",
        "target.compute_capability": "8.9",
        "target.sm_count": 34,
        "target.gpu_count": 1,
        "target.triton_version": "25.06",
        "target.triton_server_version": "2.59.0",
        "target.trt_version": "10.10.0.31",
        "target.trt_version_confidence": "S",
        "target.trt_version_plain": "10.11.0.33",
        "target.trt_version_plain_confidence": "U",
        "target.trtllm_version": "0.20.0",
        "target.gpu_category": "geforce",
        "target.release_known": True,
        "target.requirements": values["target.requirements"],  # tests/test_releases_and_plugins
    }
    assert set(values["target.requirements"]) == {"trtllm", "plain"}
    sources = values["target.sources"]
    assert sources["gpu"].startswith("--target-gpu")
    assert sources["trt_version"].startswith("Triton 25.06 trtllm container (release table")
    assert sources["trt_version_plain"].startswith("Triton 25.06 plain container")
    assert all(f.location is None for f in facts.values())
    json.dumps(values)  # JSON-like values only


def test_trt_option_overrides_the_container() -> None:
    facts = _values(
        target_facts(None, "25.06", trt="10.9.0.34", origins={"trt": ".preflight.yaml"})
    )
    assert facts["target.trt_version"] == "10.9.0.34"
    assert facts["target.trt_version_plain"] == "10.9.0.34"
    assert facts["target.sources"]["trt_version"] == ".preflight.yaml"
    assert facts["target.trtllm_version"] == "0.20.0"
    assert "target.trt_version_confidence" not in facts


def test_bare_cc_target_has_no_sm_count() -> None:
    facts = _values(target_facts(resolve_gpu("sm_89")))
    assert facts["target.gpu"] == "sm_89" and facts["target.compute_capability"] == "8.9"
    assert "target.sm_count" not in facts
    assert "target.triton_version" not in facts


def test_unknown_values_are_absent_and_explained() -> None:
    facts = _values(target_facts(None, "26.08"))  # plain known (TensorRT unknown), no trtllm
    assert facts["target.triton_version"] == "26.08"
    assert "target.trt_version" not in facts and "target.trt_version_plain" not in facts
    assert "not in the release table" in facts["target.unknown"]["trtllm"]
    assert "TensorRT unknown" in facts["target.unknown"]["trt_version_plain"]


def test_target_facts_errors() -> None:
    with pytest.raises(TargetError, match=r"YY\.MM"):
        target_facts(None, "2025.06")
    # a well-formed release the table does not know is a finding (TRITON080), not an error
    assert target_facts(None, "21.01")["target.release_known"].value is False
    with pytest.raises(TargetError, match="--trt-version 'ten'"):
        target_facts(None, None, trt="ten")


def test_empty_target() -> None:
    assert target_facts() == {}


def test_target_from_facts() -> None:
    facts = target_facts(resolve_gpu("L4"), "25.06", trtllm="0.20.0")
    assert target_from_facts(facts) == Target(
        gpu="L4",
        compute_capability="8.9",
        sm_count=58,
        triton_version="25.06",
        trt_version="10.10.0.31",
        trtllm_version="0.20.0",
        trt_version_plain="10.11.0.33",
        gpu_memory_mib=22491,  # the table's usable memory of a real L4
    )


def test_gpu_memory_and_world_size_of_the_target() -> None:
    """--gpu-memory (GiB: a MIG slice, a shared GPU) wins over the GPU table's usable MiB,
    which wins over its nominal GB; the launch's world size is kept as given."""
    table = _values(target_facts(resolve_gpu("L4"), "25.06"))
    assert table["target.gpu_memory_mib"] == 22491
    assert "memory_mib" in table["target.sources"]["gpu_memory_mib"]
    mig = target_facts(
        resolve_gpu("A100 SXM4 40GB"),
        gpu_memory=19.5,
        world_size=2,
        origins={"gpu_memory": ".preflight.yaml target.gpu_memory"},
    )
    values = _values(mig)
    assert values["target.gpu_memory_mib"] == 19968.0
    assert values["target.world_size"] == 2
    assert values["target.sources"]["gpu_memory_mib"] == ".preflight.yaml target.gpu_memory"
    assert target_from_facts(mig).world_size == 2
    nominal = _values(target_facts(resolve_gpu("A100 SXM4 80GB")))
    assert nominal["target.gpu_memory_mib"] == 80 * 1024  # no device dump in the table
    assert "nominal" in nominal["target.sources"]["gpu_memory_mib"]


def test_gpu_is_a_frozen_dataclass() -> None:
    gpu = resolve_gpu("L4")
    assert isinstance(gpu, Gpu)
    with pytest.raises(AttributeError):
        gpu.name = "x"  # type: ignore[misc]
