"""The packaged GPU and release tables: well-formed, unambiguous, and faithful to the docs."""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
import yaml

from preflight import versions
from preflight.data import gpus as gpu_table
from preflight.data import releases as release_table

CC = re.compile(r"^\d{1,2}\.\d$")
YYMM = re.compile(r"^\d{2}\.(0[1-9]|1[0-2])$")
VERSION = re.compile(r"^\d+(\.\d+){1,3}$")
TRTLLM_VERSION = re.compile(r"^\d+(\.\d+){1,3}(\.post\d+|\.dev\d+|rc\d+)?$")
GRADES = {"S", "I", "W", "INF", "U"}
LETTERS = "HMLU"


def _load(name: str) -> Any:
    text = resources.files("preflight.data").joinpath(name).read_text(encoding="utf-8")
    return yaml.safe_load(text)


@pytest.fixture(scope="module")
def gpus() -> dict[str, Any]:
    data: dict[str, Any] = _load("gpus.yaml")
    return data


@pytest.fixture(scope="module")
def releases() -> dict[str, Any]:
    data: dict[str, Any] = _load("releases.yaml")
    return data


def _norm(text: str) -> str:
    # the same normalisation the resolver uses for aliases
    return gpu_table.compact_name(text)


# ------------------------------------------------------------------------------ gpus.yaml


def test_header_names_the_source_doc() -> None:
    head = resources.files("preflight.data").joinpath("gpus.yaml").read_text().splitlines()[:6]
    assert any("gpu_table.md" in line for line in head)
    head = resources.files("preflight.data").joinpath("releases.yaml").read_text().splitlines()
    assert any("release_tables.md" in line for line in head[:6])


def test_every_gpu_row_is_well_formed(gpus: dict[str, Any]) -> None:
    allowed = {
        "name", "family", "groups", "aliases", "nvml_names", "compute_capability",
        "alt_compute_capabilities", "sm_count", "memory_gb", "memory_mib", "category",
        "confidence", "source", "note",
    }  # fmt: skip
    assert len(gpus["gpus"]) >= 60
    for row in gpus["gpus"]:
        where = row.get("name")
        assert set(row) <= allowed, where
        assert isinstance(row["name"], str) and row["name"], where
        assert isinstance(row["family"], str) and row["family"], where
        assert CC.match(row["compute_capability"]), where
        for alt in row.get("alt_compute_capabilities", []):
            assert CC.match(alt), where
        sm = row["sm_count"]
        assert sm is None or (isinstance(sm, int) and not isinstance(sm, bool) and sm > 0), where
        mem = row["memory_gb"]
        assert mem is None or (isinstance(mem, (int, float)) and mem > 0), where
        mib = row.get("memory_mib")
        assert mib is None or (isinstance(mib, int) and mib > 0), where
        if mib is not None and mem is not None:
            # reported MiB never exceeds the nominal figure by more than decimal-vs-binary slack
            assert mib / 1024 <= mem * 1.08, where
        assert row["category"] in {"datacenter", "workstation", "geforce", "jetson"}, where
        assert re.fullmatch(f"[{LETTERS}]/[{LETTERS}]", row["confidence"]), where
        assert isinstance(row["source"], str) and row["source"].strip(), where
        assert isinstance(row["aliases"], list) and row["aliases"], where
        assert isinstance(row["nvml_names"], list), where
        if row["confidence"].endswith("/U") and row["sm_count"] is not None:
            assert "seed" in row["source"], f"{where}: an unsourced SM count must say so"


def test_names_and_aliases_are_unique_across_rows(gpus: dict[str, Any]) -> None:
    owner: dict[str, str] = {}
    for row in gpus["gpus"]:
        for alias in {_norm(a) for a in (row["name"], *row["aliases"])}:
            assert alias not in owner, f"{alias!r}: {owner.get(alias)} and {row['name']}"
            owner[alias] = row["name"]
    # a family or group key may select several rows, but never a row alias of another family
    for row in gpus["gpus"]:
        for key in (row["family"], *row.get("groups", [])):
            holder = owner.get(_norm(key))
            if holder is not None:
                fam = next(r["family"] for r in gpus["gpus"] if r["name"] == holder)
                assert fam == row["family"], f"group {key!r} collides with alias of {holder}"


def test_shared_nvml_names_stay_within_one_family(gpus: dict[str, Any]) -> None:
    families: dict[str, set[str]] = {}
    for row in gpus["gpus"]:
        for name in row["nvml_names"]:
            families.setdefault(name.lower(), set()).add(row["family"])
    shared = {n: f for n, f in families.items() if len(f) > 1}
    assert shared == {}
    # the shared names the table warns about are indeed shared
    assert len([r for r in gpus["gpus"] if "Orin" in r["nvml_names"]]) == 6
    assert len([r for r in gpus["gpus"] if "NVIDIA GeForce RTX 3080" in r["nvml_names"]]) == 2


def test_rows_required_by_the_brief_exist() -> None:
    names = {g.name for g in gpu_table.known_gpus()}
    for name in (
        "T4", "A10", "A10G", "A30", "A40", "A100 SXM4 40GB", "A100 SXM4 80GB", "A100 PCIe 40GB",
        "A100 PCIe 80GB", "L4", "L40", "L40S", "H100 PCIe", "H100 SXM5 80GB", "H100 NVL",
        "H200 SXM", "B200", "RTX 3090", "RTX 4060 Ti", "RTX 4090", "RTX 5090",
    ):  # fmt: skip
        assert name in names
    assert any(n.startswith("V100") for n in names)


def _trtllm_cluster_key(device_name: str) -> str:
    """TensorRT-LLM's infer_cluster_key() + its fallback, restated to check the table."""

    def match(product: str) -> bool:
        return re.match(f".*{product}([ -]|$).*", device_name) is not None

    sxm, gb80 = "SXM" in device_name, "80GB" in device_name
    if match("A100"):
        return f"A100-{'SXM' if sxm else 'PCIe'}-{'80GB' if gb80 else '40GB'}"
    for product in ("A10G", "A10", "A30", "A40"):
        if match(product):
            return product
    if match("H100"):
        return "H100-SXM" if sxm else "H100-PCIe"
    if match("H200"):
        return "H200-SXM" if sxm else "H200-NVL"
    for product in ("L40S", "L40", "L4"):
        if match(product):
            return product
    return device_name.replace(" ", "-")


def test_cluster_keys_agree_with_trtllm_name_matching(gpus: dict[str, Any]) -> None:
    table = gpus["cluster_keys"]
    produced: dict[str, set[str]] = {}
    for row in gpus["gpus"]:
        for nvml in row["nvml_names"]:
            produced.setdefault(_trtllm_cluster_key(nvml), set()).add(row["name"])
    for key, rows in table.items():
        if key in produced:
            assert set(rows) == produced[key], key
        else:
            # a key no NVML name in the table produces (H100-SXM, H200-SXM): its intended row
            assert len(rows) == 1, key
    for key, rows in produced.items():
        if key in table:
            continue
        # every other GPU is keyed by its dashed NVML name, which must resolve to the same rows
        gpu = gpu_table.gpu_for_cluster_key(key)
        assert gpu is not None, key
        assert len(rows) > 1 or gpu.name in rows, key


# ------------------------------------------------------------------------------ releases.yaml


def test_release_rows_are_well_formed(releases: dict[str, Any]) -> None:
    for flavor in ("plain", "trtllm"):
        rows = releases[flavor]
        months = [r["triton"] for r in rows]
        assert months == sorted(months) and len(set(months)) == len(months), flavor
        servers = []
        for row in rows:
            where = f"{flavor} {row.get('triton')}"
            assert isinstance(row["triton"], str) and YYMM.match(row["triton"]), where
            if row["server"] is None:  # not printed on the release-note page: a note says so
                assert row.get("note"), f"{where}: a missing server version needs a note"
            else:
                assert isinstance(row["server"], str) and VERSION.match(row["server"]), where
                servers.append(versions.parse(row["server"]))
            trt = row["trt"]
            if trt is None:
                assert row["confidence"] is None or row["note"], where
                assert row.get("note"), f"{where}: a missing TensorRT needs a note"
            else:
                assert isinstance(trt, str) and VERSION.match(trt), where
                assert row["confidence"] in GRADES, where
            cuda = row["cuda"]
            assert cuda is None or (isinstance(cuda, str) and VERSION.match(cuda)), where
            if flavor == "trtllm" and row["trtllm"] is not None:
                assert isinstance(row["trtllm"], str) and TRTLLM_VERSION.match(row["trtllm"]), where
            if row["confidence"] in {"S", "I", "W", "INF"}:
                assert row.get("source") or flavor == "trtllm", where
        assert servers == sorted(servers) and len(set(servers)) == len(servers), flavor


def test_trtllm_trt_rows_are_well_formed(releases: dict[str, Any]) -> None:
    seen = set()
    for row in releases["trtllm_trt"]:
        assert isinstance(row["trtllm"], str) and TRTLLM_VERSION.match(row["trtllm"]), row
        assert isinstance(row["trt"], str) and VERSION.match(row["trt"]), row
        assert row["confidence"] in GRADES and row["source"], row
        assert row["trtllm"] not in seen
        seen.add(row["trtllm"])


def test_container_and_trtllm_tables_agree(releases: dict[str, Any]) -> None:
    """A trtllm container ships the TensorRT its TensorRT-LLM release was built for."""
    for row in releases["trtllm"]:
        if row["trt"] is None or row["trtllm"] is None or row["confidence"] != "S":
            continue
        if row["trtllm"] == "1.0.3.2510":  # printed oddly in compatibility.md
            continue
        expected = release_table.trt_for_trtllm(row["trtllm"])
        assert expected is not None, row["trtllm"]
        assert versions.same_trt_version(expected, row["trt"]), (row["triton"], expected)


# ------------------------------------------------------------------------------ against the docs


def _md_rows(path: Path, heading: str) -> list[list[str]]:
    """Cells of the markdown table rows under ``heading`` up to the next heading."""
    lines = path.read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(heading))
    out = []
    for line in lines[start + 1 :]:
        if line.startswith("#"):
            break
        if line.startswith("|") and not line.startswith("|---"):
            out.append([c.strip() for c in line.strip().strip("|").split("|")])
    return out


def test_gpu_rows_match_gpu_table_doc(shared: Path) -> None:
    doc = shared / "docs" / "gpu_table.md"
    by_nvml: dict[str, list[gpu_table.Gpu]] = {}
    for gpu in gpu_table.known_gpus():
        for name in gpu.nvml_names:
            by_nvml.setdefault(name, []).append(gpu)
    checked = 0
    for heading in ("### Data center", "### Workstation", "### GeForce", "### Jetson"):
        for cells in _md_rows(doc, heading)[1:]:
            names = re.findall(r"`([^`]+)`", cells[1])
            cc_cell = cells[2].replace("*", "")
            ccs = re.findall(r"\d{1,2}\.\d", cc_cell)
            sm = cells[3]
            for name in names:
                rows = by_nvml.get(name.replace("…", "").strip())
                if not rows:
                    continue
                for gpu in rows:
                    assert gpu.compute_capability in ccs, (name, gpu.name, cc_cell)
                    checked += 1
                if len(rows) == 1 and re.fullmatch(r"\d+", sm):
                    assert rows[0].sm_count == int(sm), (name, sm)
    assert checked >= 55


def _version_cell(cell: str) -> str | None:
    text = cell.replace("*", "").strip()
    return text if VERSION.match(text) else None


def test_release_rows_match_release_tables_doc(shared: Path) -> None:
    doc = shared / "docs" / "release_tables.md"
    checked = 0
    for heading, flavor, col in (("## T1.", "plain", 2), ("## T2.", "trtllm", 3)):
        for cells in _md_rows(doc, heading)[1:]:
            month = cells[0]
            if not YYMM.match(month):
                continue
            trt = _version_cell(cells[col])
            if trt is None:
                continue
            release = release_table.resolve_release(month, flavor)
            assert release.trt_version == trt, (flavor, month, trt)
            server = _version_cell(cells[1])
            if server:
                assert release.server_version == server, (flavor, month)
            checked += 1
    assert checked >= 60
