"""The deployment target: which GPU, Triton container, TensorRT and TensorRT-LLM serve the repo.

Tables live in ``preflight/data/gpus.yaml`` and ``preflight/data/releases.yaml`` (package data,
loaded lazily and cached). Public entry points:

* :func:`resolve_gpu` / :func:`gpu_for_cluster_key` / :func:`detect_gpu`: GPU lookup.
* :func:`resolve_release`, :func:`releases_with_trt`, :func:`trt_for_trtllm`,
  :func:`trtllm_releases_with_trt`, :func:`release_for_server_version`: container tables.
* :func:`target_facts`: the ``target.*`` facts rules see.
* :func:`normalize_version` / :func:`same_trt_version`: version helpers.

Every lookup failure raises :class:`TargetError` with a one-line message meant for the user.
"""

from __future__ import annotations

import contextlib
import difflib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from .model import Fact, Facts, Target
from .yamlmarks import parse_data

__all__ = [
    "Gpu",
    "Release",
    "TargetError",
    "detect_gpu",
    "gpu_for_cluster_key",
    "known_gpus",
    "normalize_version",
    "release_for_server_version",
    "releases_with_trt",
    "resolve_gpu",
    "resolve_release",
    "same_trt_version",
    "target_facts",
    "target_from_facts",
    "trt_for_trtllm",
    "trtllm_releases_with_trt",
]


class TargetError(ValueError):
    """A target value (GPU, container release, version) that cannot be resolved. One line."""


@dataclass(frozen=True, slots=True)
class Gpu:
    """One GPU (a row of the GPU table), a family of rows, or a bare compute capability.

    ``memory_gib`` is the nominal memory the GPU table gives (NVIDIA's marketing figure);
    ``memory_mib`` the usable memory a real device reported, when the table quotes one.
    ``sm_count``/``memory_gib`` are None when unknown or when the rows of a family differ.
    """

    name: str
    aliases: tuple[str, ...]
    compute_capability: str
    sm_count: int | None
    memory_gib: float | None
    category: str
    source: str
    confidence: str = ""
    nvml_names: tuple[str, ...] = ()
    memory_mib: int | None = None
    alt_compute_capabilities: tuple[str, ...] = ()
    note: str = ""


@dataclass(frozen=True, slots=True)
class Release:
    """One Triton container release of one flavour ("trtllm" or "plain")."""

    triton: str
    flavor: str
    server_version: str | None
    trt_version: str | None
    trtllm_version: str | None
    cuda: str | None
    source: str
    confidence: str | None
    note: str = ""

    @property
    def image(self) -> str:
        suffix = "trtllm-python-py3" if self.flavor == "trtllm" else "py3"
        return f"nvcr.io/nvidia/tritonserver:{self.triton}-{suffix}"


FLAVORS = ("trtllm", "plain")

# ---------------------------------------------------------------------------------- tables


def _load(name: str) -> Any:
    text = resources.files("preflight.data").joinpath(name).read_text(encoding="utf-8")
    return parse_data(text)


@dataclass(frozen=True, slots=True)
class _GpuTable:
    rows: tuple[Gpu, ...]
    families: dict[str, tuple[int, ...]]  # display family name -> row indices
    index: dict[str, tuple[int, ...]]  # compact key -> row indices
    alias_index: dict[str, int]  # compact alias (incl. row name) -> row index
    nvml_index: dict[str, tuple[int, ...]]  # exact NVML name (lower case) -> row indices
    labels: dict[str, str]  # compact key -> display label (for suggestions)
    cluster_keys: dict[str, tuple[int, ...]]
    ccs: frozenset[str]


_PREFIXES = frozenset({"nvidia", "tesla", "geforce", "jetson", "rtx"})
_MEMORY = re.compile(r"^\d+g(?:b|ib)?$")
_FORM = frozenset(
    {"sxm", "sxm2", "sxm4", "sxm5", "sxm6", "ac", "pcie", "nvl", "hbm2", "hbm2e", "hbm3",
     "hbm3e", "generation", "workstation", "server", "edition", "max", "q", "gb"}
)  # fmt: skip


def _tokens(text: str) -> list[str]:
    """Lower-case, digits+GB joined ("80 GB" -> "80gb"), punctuation as spaces, prefixes off."""
    s = re.sub(r"(\d)\s*(gib|gb|g)\b", r"\1\2", text.lower())
    words = re.sub(r"[^a-z0-9]+", " ", s).split()
    while len(words) > 1 and words[0] in _PREFIXES:
        words.pop(0)
    return words


def _key(words: Iterable[str]) -> str:
    """Joined words without the vendor/brand prefixes, so "rtx4060ti" == "RTX 4060 Ti"."""
    key = "".join(words)
    stripped = True
    while stripped:
        stripped = False
        for prefix in _PREFIXES:
            if key.startswith(prefix) and len(key) > len(prefix):
                key = key[len(prefix) :]
                stripped = True
    return key


def _plain(text: str) -> str:
    """An NVML name compared exactly, but case-insensitively and with whitespace collapsed."""
    return " ".join(text.lower().split())


def _compact(text: str) -> str:
    return _key(_tokens(text))


def _str_tuple(value: Any) -> tuple[str, ...]:
    return tuple(str(v) for v in value or ())


@cache
def _gpu_table() -> _GpuTable:
    data = _load("gpus.yaml")
    rows: list[Gpu] = []
    families: dict[str, list[int]] = {}
    index: dict[str, list[int]] = {}
    alias_index: dict[str, int] = {}
    nvml_index: dict[str, list[int]] = {}
    labels: dict[str, str] = {}

    def add(key: str, i: int) -> None:
        c = _compact(key)
        if not c:
            return
        bucket = index.setdefault(c, [])
        if i not in bucket:
            bucket.append(i)
        labels.setdefault(c, key)

    raws = list(data["gpus"])
    for raw in raws:
        mem = raw.get("memory_gb")
        rows.append(
            Gpu(
                name=str(raw["name"]),
                aliases=_str_tuple(raw.get("aliases")),
                compute_capability=str(raw["compute_capability"]),
                sm_count=raw.get("sm_count"),
                memory_gib=float(mem) if mem is not None else None,
                category=str(raw["category"]),
                source=f"GPU table ({raw['confidence']}): {raw['source']}",
                confidence=str(raw["confidence"]),
                nvml_names=_str_tuple(raw.get("nvml_names")),
                memory_mib=raw.get("memory_mib"),
                alt_compute_capabilities=_str_tuple(raw.get("alt_compute_capabilities")),
                note=str(raw.get("note") or ""),
            )
        )
    # Passes in label priority: canonical names and aliases, then families/groups, then NVML.
    for i, gpu in enumerate(rows):
        for key in (gpu.name, *gpu.aliases):
            alias_index.setdefault(_compact(key), i)
            add(key, i)
    for i, raw in enumerate(raws):
        family = str(raw["family"])
        for key in (family, *_str_tuple(raw.get("groups"))):
            add(key, i)
        families.setdefault(family, []).append(i)
    for i, gpu in enumerate(rows):
        for key in gpu.nvml_names:
            add(key, i)
            bucket = nvml_index.setdefault(_plain(key), [])
            if i not in bucket:
                bucket.append(i)

    by_name = {g.name: i for i, g in enumerate(rows)}
    clusters = {str(k): tuple(by_name[str(n)] for n in v) for k, v in data["cluster_keys"].items()}
    ccs = frozenset(cc for g in rows for cc in (g.compute_capability, *g.alt_compute_capabilities))
    return _GpuTable(
        rows=tuple(rows),
        families={k: tuple(v) for k, v in families.items()},
        index={k: tuple(v) for k, v in index.items()},
        alias_index=alias_index,
        nvml_index={k: tuple(v) for k, v in nvml_index.items()},
        labels=labels,
        cluster_keys=clusters,
        ccs=ccs,
    )


def known_gpus() -> tuple[Gpu, ...]:
    """Every row of the GPU table, in table order."""
    return _gpu_table().rows


# ---------------------------------------------------------------------------------- GPUs

_CC_DOTTED = re.compile(r"^(\d{1,2})\.(\d)$")
_CC_SM = re.compile(r"^(?:sm|compute)[_\-\s]?(\d{1,2})(\d)[a-z]?$")
_CC_TUPLE = re.compile(r"^\(\s*(\d{1,2})\s*,\s*(\d)\s*\)$")


def _parse_cc(spec: str) -> str | None:
    s = spec.strip().lower()
    for pattern in (_CC_DOTTED, _CC_SM, _CC_TUPLE):
        m = pattern.match(s)
        if m:
            return f"{int(m.group(1))}.{int(m.group(2))}"
    return None


def _cc_gpu(cc: str) -> Gpu:
    table = _gpu_table()
    if cc not in table.ccs:
        known = ", ".join(sorted(table.ccs, key=normalize_version))
        raise TargetError(f"compute capability {cc} is not in the GPU table (known: {known})")
    major, minor = cc.split(".")
    return Gpu(
        name=f"sm_{major}{minor}",
        aliases=(),
        compute_capability=cc,
        sm_count=None,
        memory_gib=None,
        category="unknown",
        source="compute capability given directly",
    )


def _common(values: Iterable[Any]) -> Any:
    distinct = set(values)
    return distinct.pop() if len(distinct) == 1 else None


def _aggregate(label: str, indices: tuple[int, ...], source: str) -> Gpu:
    table = _gpu_table()
    rows = [table.rows[i] for i in indices]
    if len(rows) == 1:
        return rows[0]
    ccs = sorted({g.compute_capability for g in rows})
    if len(ccs) > 1:
        listing = "; ".join(f"{g.name} = {g.compute_capability}" for g in rows)
        raise TargetError(f"GPU {label!r} is ambiguous ({listing}); name the exact product")
    names = ", ".join(g.name for g in rows)
    nvml: list[str] = []
    for g in rows:
        nvml.extend(n for n in g.nvml_names if n not in nvml)
    return Gpu(
        name=label,
        aliases=(),
        compute_capability=ccs[0],
        sm_count=_common(g.sm_count for g in rows),
        memory_gib=_common(g.memory_gib for g in rows),
        category=_common(g.category for g in rows) or "mixed",
        source=f"{source}: any of {names} (same compute capability)",
        confidence=_common(g.confidence for g in rows) or "",
        nvml_names=tuple(nvml),
        memory_mib=_common(g.memory_mib for g in rows),
        alt_compute_capabilities=tuple(
            sorted({a for g in rows for a in g.alt_compute_capabilities})
        ),
    )


def _family_label(indices: tuple[int, ...], fallback: str, join: bool = False) -> str:
    """The family whose rows are exactly ``indices``; else, with ``join``, the families
    covering them joined with " / " ("H200 / GH200"); else ``fallback``."""
    table = _gpu_table()
    covering = [f for f, members in table.families.items() if set(members) & set(indices)]
    for family in covering:
        if set(table.families[family]) == set(indices):
            return family
    return " / ".join(covering) if join and covering else fallback


def _lookup(spec: str) -> Gpu | None:
    table = _gpu_table()
    exact = table.nvml_index.get(_plain(spec))
    if exact:
        label = table.rows[exact[0]].name if len(exact) == 1 else _family_label(exact, spec)
        return _aggregate(label, exact, f"GPU table, NVML name {spec.strip()!r}")
    tokens = _tokens(spec)
    attempts = [tokens]
    without_memory = [t for t in tokens if not _MEMORY.match(t)]
    attempts.append(without_memory)
    attempts.append([t for t in without_memory if t not in _FORM])
    for stage, words in enumerate(attempts):
        key = _key(words)
        if not key:
            continue
        if stage == 0 and key in table.alias_index:
            return table.rows[table.alias_index[key]]
        hits = table.index.get(key)
        if hits:
            label = table.labels[key]
            if len(hits) > 1:
                label = _family_label(hits, label)
            how = "GPU table" if stage == 0 else f"GPU table, family of {spec.strip()!r}"
            return _aggregate(label, hits, how)
    return None


def _suggestions(spec: str) -> list[str]:
    table = _gpu_table()
    key = _compact(spec)
    close = difflib.get_close_matches(key, list(table.labels), n=5, cutoff=0.6)
    out: list[str] = []
    for c in close:
        label = table.labels[c]
        if label not in out:
            out.append(label)
    return out


def resolve_gpu(spec: str) -> Gpu:
    """Resolve a ``--target-gpu`` value to a :class:`Gpu`.

    Accepted forms:

    * a compute capability: ``8.9``, ``sm_89``, ``sm89``, ``SM_89``, ``sm_90a``, ``compute_89``,
      ``(8, 9)`` (the build log's form) -> ``Gpu(name="sm_89", sm_count=None)``. A bare number
      such as ``89`` is **not** a compute capability (it reads like a product number, ``4090``);
      a CC not present in the GPU table is refused, to catch typos such as ``8.8``.
    * a product name, alias or NVML name, case-insensitively, with any spacing or punctuation
      and without the ``NVIDIA``/``Tesla``/``GeForce``/``Jetson``/``RTX`` prefixes:
      ``"RTX 4060 Ti"``, ``rtx4060ti``, ``"NVIDIA GeForce RTX 4060 Ti"``, ``L4``, ``T4``,
      ``"H100 SXM"``, TensorRT-LLM cluster keys (``A100-SXM-80GB``, ``NVIDIA-RTX-A6000``).
    * a family or group name (``A100``, ``H100``, ``"A100 80GB"``): every row of the family must
      share the compute capability; the Gpu is named after the family and its ``sm_count`` /
      ``memory_gib`` are None where the rows differ. Memory and form-factor suffixes
      (``80GB``, ``SXM4``, ``PCIe``, ``NVL`` …) are dropped when the full name is unknown, so an
      unknown variant still resolves to its family's compute capability.

    Raises :class:`TargetError` with close matches for an unknown name.
    """
    text = spec.strip()
    if not text:
        raise TargetError("--target-gpu: empty GPU name")
    cc = _parse_cc(text)
    if cc is not None:
        return _cc_gpu(cc)
    found = _lookup(text)
    if found is not None:
        return found
    if re.fullmatch(r"\d{2,3}", text):
        raise TargetError(
            f"unknown GPU {text!r}: write a compute capability as "
            f"{text[:-1]}.{text[-1]} or sm_{text}"
        )
    close = _suggestions(text)
    hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""
    raise TargetError(
        f"unknown GPU {text!r}{hint} (or give a compute capability such as 8.9 / sm_89)"
    )


def table_cluster_keys() -> frozenset[str]:
    """TensorRT-LLM's own cluster keys (the GPU table's `cluster_keys`), lower case."""
    return frozenset(key.lower() for key in _gpu_table().cluster_keys)


def gpu_for_cluster_key(key: str) -> Gpu | None:
    """The GPU behind TensorRT-LLM's ``build_config.auto_parallel_config.cluster_key``.

    Keys of TensorRT-LLM's own table (``A100-SXM-80GB``, ``H100-PCIe``, ``L4`` …) map to the rows
    whose NVML names TensorRT-LLM gives that key; ``H100-PCIe`` therefore also covers the H100
    SXM (its NVML name has no "SXM") and H100 NVL, so its SM count is None. Other keys are the
    device name with spaces replaced by dashes (``NVIDIA-RTX-A6000``) and resolve through the
    NVML names of the table. Returns None when the key matches no GPU.
    """
    table = _gpu_table()
    text = key.strip()
    if not text:
        return None
    for known, indices in table.cluster_keys.items():
        if known.lower() == text.lower():
            label = (
                table.rows[indices[0]].name
                if len(indices) == 1
                else _family_label(indices, known, join=True)
            )
            return _aggregate(label, indices, f"TensorRT-LLM cluster_key {known!r}")
    if _parse_cc(text) is not None:
        return None
    try:
        return resolve_gpu(text)
    except TargetError:
        return None


def detect_gpu() -> Gpu:
    """``--target-gpu auto``: ask NVML (``nvidia-ml-py``, optional) for GPU 0 of this machine.

    The compute capability always comes from NVML; the SM count and memory from the GPU table
    when the NVML name is in it (else None and the NVML memory). Raises :class:`TargetError`
    when ``nvidia-ml-py`` is missing or NVML finds no GPU.
    """
    try:
        import pynvml
    except ImportError:
        raise TargetError(
            "--target-gpu auto: nvidia-ml-py is not installed; pip install 'preflight[nvml]'"
        ) from None
    try:
        pynvml.nvmlInit()
    except Exception as exc:  # NVMLError and subclasses: no driver, no library, no device
        raise TargetError(f"--target-gpu auto: no NVIDIA GPU found (NVML: {exc})") from None
    try:
        count = int(pynvml.nvmlDeviceGetCount())
        if count < 1:
            raise TargetError("--target-gpu auto: no NVIDIA GPU found (NVML: 0 devices)")
        handle = pynvml.nvmlDeviceGetHandleByIndex(0)
        raw_name = pynvml.nvmlDeviceGetName(handle)
        name = raw_name.decode() if isinstance(raw_name, bytes) else str(raw_name)
        major, minor = pynvml.nvmlDeviceGetCudaComputeCapability(handle)
        total = int(pynvml.nvmlDeviceGetMemoryInfo(handle).total)
    except TargetError:
        raise
    except Exception as exc:
        raise TargetError(f"--target-gpu auto: NVML query failed ({exc})") from None
    finally:
        with contextlib.suppress(Exception):
            pynvml.nvmlShutdown()
    cc = f"{int(major)}.{int(minor)}"
    mib = total // (1024 * 1024)
    row = _lookup(name)
    where = f"NVML on this machine ({count} GPU{'s' if count != 1 else ''}, GPU 0: {name})"
    if row is not None and cc in (row.compute_capability, *row.alt_compute_capabilities):
        return Gpu(
            name=row.name,
            aliases=row.aliases,
            compute_capability=cc,
            sm_count=row.sm_count,
            memory_gib=row.memory_gib,
            category=row.category,
            source=f"{where}; {row.source}",
            confidence=row.confidence,
            nvml_names=(name,),
            memory_mib=mib,
        )
    return Gpu(
        name=name,
        aliases=(),
        compute_capability=cc,
        sm_count=None,
        memory_gib=round(mib / 1024, 2),
        category="unknown",
        source=where,
        nvml_names=(name,),
        memory_mib=mib,
    )


# ---------------------------------------------------------------------------------- versions

_VERSION_START = re.compile(r"^[vV]?(\d+(?:\.\d+)*)")


def normalize_version(v: str | int | float | tuple[int, ...] | list[int]) -> tuple[int, ...]:
    """``"10.10.0.31"`` -> ``(10, 10, 0, 31)``.

    Reads the leading dotted numbers and stops at the first non-numeric part, so
    ``"9.3.0.post12.dev1"`` -> ``(9, 3, 0)``, ``"8.6.1.2+cuda12.0"`` -> ``(8, 6, 1, 2)``,
    ``"v0.20.0"`` -> ``(0, 20, 0)``, ``"1.2.0rc2"`` -> ``(1, 2, 0)``. Raises ValueError when
    the value does not start with a number.
    """
    if isinstance(v, bool):
        raise ValueError(f"not a version: {v!r}")
    if isinstance(v, (tuple, list)):
        return tuple(int(p) for p in v)
    if isinstance(v, int):
        return (v,)
    m = _VERSION_START.match(str(v).strip())
    if not m:
        raise ValueError(f"not a version: {v!r}")
    return tuple(int(p) for p in m.group(1).split("."))


def same_trt_version(a: str | tuple[int, ...], b: str | tuple[int, ...]) -> bool:
    """Would a TensorRT runtime of version ``a`` accept a plan built by ``b`` (or vice versa)?

    TensorRT checks the plan's serialization tag, then the **full library version**: a plan
    loads only on the exact release that built it ("expecting library version 9.2.0.5 got
    9.3.0.1" – 4 parts from TensorRT 8.5 on, 3 parts before), regardless of patch/build order.
    So all four parts must be equal. When one side is known with fewer parts (a table row such
    as ``10.1.0`` or ``9.1``), only the common prefix is compared. Version-compatible plans
    (``kVERSION_COMPATIBLE`` + the backend's ``version-compatible=true``) relax this to
    same-major, but the header does not reveal that flag, so it is not modelled here.
    Unparsable input compares unequal.
    """
    try:
        va, vb = normalize_version(a), normalize_version(b)
    except ValueError:
        return False
    n = min(len(va), len(vb))
    return n > 0 and va[:n] == vb[:n]


# ---------------------------------------------------------------------------------- releases


def _opt_str(value: Any) -> str | None:
    return None if value is None else str(value)


@cache
def _release_tables() -> dict[str, tuple[Release, ...]]:
    data = _load("releases.yaml")
    doc = {"plain": "release_tables.md T1", "trtllm": "release_tables.md T2"}
    out: dict[str, tuple[Release, ...]] = {}
    for flavor in FLAVORS:
        rows = []
        for raw in data[flavor]:
            src = raw.get("source")
            rows.append(
                Release(
                    triton=str(raw["triton"]),
                    flavor=flavor,
                    server_version=_opt_str(raw.get("server")),
                    trt_version=_opt_str(raw.get("trt")),
                    trtllm_version=_opt_str(raw.get("trtllm")),
                    cuda=_opt_str(raw.get("cuda")),
                    source=f"{doc[flavor]}: {src}" if src else doc[flavor],
                    confidence=_opt_str(raw.get("confidence")),
                    note=str(raw.get("note") or ""),
                )
            )
        out[flavor] = tuple(rows)
    return out


@cache
def _trtllm_trt_table() -> tuple[tuple[str, str, str, str], ...]:
    """(trtllm, trt, confidence, source) rows."""
    return tuple(
        (str(r["trtllm"]), str(r["trt"]), str(r["confidence"]), str(r["source"]))
        for r in _load("releases.yaml")["trtllm_trt"]
    )


def known_releases(flavor: str = "trtllm") -> tuple[Release, ...]:
    """Every row of one flavour's table, oldest first."""
    _check_flavor(flavor)
    return _release_tables()[flavor]


def _check_flavor(flavor: str) -> None:
    if flavor not in FLAVORS:
        raise TargetError(f"unknown container flavour {flavor!r} (expected trtllm or plain)")


_TAG = re.compile(
    r"^(?:nvcr\.io/nvidia/)?(?:tritonserver:)?r?(\d{2})\.(\d{2})"
    r"(?P<suffix>-trtllm-python-py3|-py3)?$"
)


def resolve_release(triton_version: str, flavor: str = "trtllm") -> Release:
    """The container ``YY.MM`` of ``flavor`` ("trtllm": ``YY.MM-trtllm-python-py3``, "plain":
    ``YY.MM-py3``). Also accepts a container tag (``25.06-py3``, ``tritonserver:25.06-trtllm-
    python-py3``), whose suffix then sets the flavour. Raises :class:`TargetError` for a
    malformed version or one outside the table (the message gives the known range).
    """
    _check_flavor(flavor)
    text = str(triton_version).strip()
    m = _TAG.match(text)
    if not m:
        raise TargetError(
            f"Triton version {text!r}: expected a container release YY.MM such as 25.06"
        )
    if not 1 <= int(m.group(2)) <= 12:
        raise TargetError(f"Triton version {text!r}: month {m.group(2)} does not exist")
    if m.group("suffix"):
        flavor = "trtllm" if "trtllm" in m.group("suffix") else "plain"
    yymm = f"{m.group(1)}.{m.group(2)}"
    rows = _release_tables()[flavor]
    for row in rows:
        if row.triton == yymm:
            return row
    image = "-trtllm-python-py3" if flavor == "trtllm" else "-py3"
    raise TargetError(
        f"Triton {yymm}{image} is not in the release table "
        f"(known: {rows[0].triton}–{rows[-1].triton})"
    )


def release_for_server_version(server_version: str) -> str | None:
    """The ``YY.MM`` of a server version as ``GET /v2`` reports it (``"2.59.0"`` -> ``"25.06"``).

    Every flavour of a month reports the same version, so this cannot tell the flavour.
    """
    try:
        wanted = normalize_version(server_version)
    except ValueError:
        return None
    for flavor in ("plain", "trtllm"):
        for row in _release_tables()[flavor]:
            if row.server_version and normalize_version(row.server_version) == wanted:
                return row.triton
    return None


def releases_with_trt(trt_version: str, flavor: str = "trtllm") -> list[Release]:
    """The containers of ``flavor`` whose TensorRT matches ``trt_version`` (see
    :func:`same_trt_version`), oldest first: "deploy on 25.03-trtllm, which ships 10.9.0.34"."""
    _check_flavor(flavor)
    return [
        r
        for r in _release_tables()[flavor]
        if r.trt_version is not None and same_trt_version(r.trt_version, trt_version)
    ]


def trtllm_releases_with_trt(trt_version: str) -> list[str]:
    """The TensorRT-LLM releases (or release lines) built for ``trt_version``."""
    return [t for t, trt, _c, _s in _trtllm_trt_table() if same_trt_version(trt, trt_version)]


_PRE_RELEASE = re.compile(r"(?:\d)(?:\.?(?:dev|rc|a|b|alpha|beta|pre))", re.IGNORECASE)


def trt_for_trtllm(trtllm_version: str) -> str | None:
    """The TensorRT a TensorRT-LLM release was built for, or None when the table has no answer.

    Matches the exact release (``0.17.0.post1``), then ``major.minor.patch`` (``0.20.0``), then a
    release line (``0.6`` covers ``0.6.1``). Pre-releases (``0.12.0.dev2024080600``,
    ``1.2.0rc2``) match only an exact row: their TensorRT may differ from the final release.
    """
    text = str(trtllm_version).strip().lstrip("vV")
    table = _trtllm_trt_table()
    for t, trt, _c, _s in table:
        if t == text:
            return trt
    if _PRE_RELEASE.search(text):
        return None
    try:
        parts = normalize_version(text)
    except ValueError:
        return None
    for n in (3, 2):
        if len(parts) < n:
            continue
        for t, trt, _c, _s in table:
            tp = normalize_version(t)
            if len(tp) == n and tp == parts[:n]:
                return trt
    return None


# ---------------------------------------------------------------------------------- facts

_ORIGINS = {
    "gpu": "--target-gpu",
    "triton": "--triton-version",
    "trt": "--trt-version",
    "trtllm": "target.trtllm",
    "gpu_count": "target.gpu_count",
}


def _release_note(r: Release) -> str:
    grade = f"grade {r.confidence}" if r.confidence else "no grade"
    return f"Triton {r.triton} {r.flavor} container (release table, {grade}: {r.source})"


def target_facts(
    gpu: Gpu | None = None,
    triton: str | None = None,
    trt: str | None = None,
    trtllm: str | None = None,
    gpu_count: int | None = None,
    origins: Mapping[str, str] | None = None,
) -> Facts:
    """The ``target.*`` facts.

    ``triton`` (``YY.MM``) implies the TensorRT and TensorRT-LLM of the trtllm container
    (``target.trt_version``, ``target.trtllm_version``) and the TensorRT of the plain container
    (``target.trt_version_plain``, for ordinary ``tensorrt_plan`` models). ``trt`` overrides both
    TensorRT values; ``trtllm`` overrides the TensorRT-LLM one. ``origins`` names where each
    input came from (keys gpu/triton/trt/trtllm/gpu_count; default: the CLI option), recorded in
    ``target.sources`` (a dict: fact name -> where the value came from). Grades of table values
    are in ``target.trt_version_confidence`` / ``target.trt_version_plain_confidence``; values
    the tables cannot give are explained in ``target.unknown`` (a dict: name -> reason).
    ``target.compute_capabilities`` lists every CC of a GPU that reports more than one (Thor).
    Raises :class:`TargetError` for a malformed or unknown ``triton``. Facts carry no location.
    """
    where = {**_ORIGINS, **(origins or {})}
    facts: Facts = {}
    sources: dict[str, str] = {}
    unknown: dict[str, str] = {}

    def put(key: str, value: Any, source: str) -> None:
        facts[f"target.{key}"] = Fact(value)
        sources[key] = source

    if gpu is not None:
        label = f"{where['gpu']} ({gpu.source})"
        put("gpu", gpu.name, label)
        put("compute_capability", gpu.compute_capability, label)
        if gpu.alt_compute_capabilities:
            put(
                "compute_capabilities",
                [gpu.compute_capability, *gpu.alt_compute_capabilities],
                f"{label}; {gpu.note}" if gpu.note else label,
            )
        if gpu.sm_count is not None:
            put("sm_count", gpu.sm_count, label)
        if gpu.memory_gib is not None:
            put("gpu_memory_gib", gpu.memory_gib, label)
    if gpu_count is not None:
        put("gpu_count", gpu_count, where["gpu_count"])

    trtllm_row: Release | None = None
    plain_row: Release | None = None
    if triton is not None:
        errors: list[str] = []
        for flavor in FLAVORS:
            try:
                row = resolve_release(triton, flavor)
            except TargetError as exc:
                errors.append(str(exc))
                continue
            if flavor == "trtllm":
                trtllm_row = row
            else:
                plain_row = row
        if trtllm_row is None and plain_row is None:
            raise TargetError(errors[-1])
        if trtllm_row is None:
            unknown["trtllm"] = errors[0]
        some = trtllm_row or plain_row
        assert some is not None
        put("triton_version", some.triton, where["triton"])
        if some.server_version is not None:
            put("triton_server_version", some.server_version, _release_note(some))

    if trt is not None:
        try:
            normalize_version(trt)
        except ValueError:
            raise TargetError(
                f"{where['trt']} {trt!r}: expected a TensorRT version such as 10.10.0.31"
            ) from None
        put("trt_version", str(trt), where["trt"])
        put("trt_version_plain", str(trt), where["trt"])
    else:
        for key, rel in (("trt_version", trtllm_row), ("trt_version_plain", plain_row)):
            if rel is None:
                continue
            if rel.trt_version is None:
                unknown[key] = f"{_release_note(rel)}: TensorRT unknown. {rel.note}".strip()
                continue
            put(key, rel.trt_version, _release_note(rel))
            if rel.confidence:
                facts[f"target.{key}_confidence"] = Fact(rel.confidence)

    if trtllm is not None:
        put("trtllm_version", str(trtllm), where["trtllm"])
    elif trtllm_row is not None and trtllm_row.trtllm_version is not None:
        put("trtllm_version", trtllm_row.trtllm_version, _release_note(trtllm_row))

    if sources:
        facts["target.sources"] = Fact(sources)
    if unknown:
        facts["target.unknown"] = Fact(unknown)
    return facts


def target_from_facts(facts: Facts) -> Target:
    """The report's :class:`preflight.model.Target` from ``target.*`` facts."""

    def get(key: str) -> Any:
        fact = facts.get(f"target.{key}")
        return None if fact is None else fact.value

    return Target(
        gpu=get("gpu"),
        compute_capability=get("compute_capability"),
        sm_count=get("sm_count"),
        triton_version=get("triton_version"),
        trt_version=get("trt_version"),
        trtllm_version=get("trtllm_version"),
        trt_version_plain=get("trt_version_plain"),
    )
