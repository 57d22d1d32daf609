"""The GPU table (``gpus.yaml``): rows, name matching, TensorRT-LLM cluster keys.

* :func:`resolve_gpu`: a ``--target-gpu`` value (compute capability, product, alias, NVML name,
  family) to a :class:`Gpu`.
* :func:`lookup`: the same for a name only, None when unknown (NVML detection uses it).
* :func:`gpu_for_cluster_key` / :func:`table_cluster_keys`: TensorRT-LLM's cluster keys.
* :func:`known_gpus`: every row.

A name that cannot be resolved raises :class:`~preflight.errors.TargetError`, one line.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from typing import Any

from .. import versions
from ..errors import TargetError
from . import load_table

__all__ = [
    "Gpu",
    "compact_name",
    "gpu_for_cluster_key",
    "known_gpus",
    "lookup",
    "resolve_gpu",
    "table_cluster_keys",
]


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


def compact_name(text: str) -> str:
    """A name as the table indexes it: "NVIDIA GeForce RTX 4060 Ti" -> "4060ti"."""
    return _key(_tokens(text))


def _str_tuple(value: Any) -> tuple[str, ...]:
    return tuple(str(v) for v in value or ())


@cache
def _gpu_table() -> _GpuTable:
    data = load_table("gpus.yaml")
    rows: list[Gpu] = []
    families: dict[str, list[int]] = {}
    index: dict[str, list[int]] = {}
    alias_index: dict[str, int] = {}
    nvml_index: dict[str, list[int]] = {}
    labels: dict[str, str] = {}

    def add(key: str, i: int) -> None:
        c = compact_name(key)
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
            alias_index.setdefault(compact_name(key), i)
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


# ---------------------------------------------------------------------------------- lookups

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
        known = ", ".join(sorted(table.ccs, key=versions.parse))
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


def lookup(spec: str) -> Gpu | None:
    """The row (or family) a product, alias or NVML name selects; None when the table has none."""
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
    key = compact_name(spec)
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
    found = lookup(text)
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
