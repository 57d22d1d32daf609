"""The Triton release tables (``releases.yaml``): container -> server, TensorRT, TensorRT-LLM.

* :func:`resolve_release` / :func:`known_releases`: one flavour's rows ("trtllm":
  ``YY.MM-trtllm-python-py3``, "plain": ``YY.MM-py3``).
* :func:`releases_with_trt`, :func:`release_for_server_version`: reverse lookups.
* :func:`trt_for_trtllm`, :func:`trtllm_releases_with_trt`: the TensorRT-LLM -> TensorRT table.

A lookup that cannot be answered raises :class:`~preflight.errors.TargetError`, one line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import Any

from .. import versions
from ..errors import TargetError
from ..versions import same_trt_version
from . import load_table

__all__ = [
    "FLAVORS",
    "KnownBad",
    "Release",
    "Requirements",
    "find_release",
    "known_bad",
    "known_releases",
    "missing_row",
    "parse_release",
    "release_for_server_version",
    "release_requirements",
    "releases_with_trt",
    "resolve_release",
    "trt_for_trtllm",
    "trtllm_releases_with_trt",
]


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


def _opt_str(value: Any) -> str | None:
    return None if value is None else str(value)


def _row_source(doc: str, src: Any) -> str:
    if not src:
        return doc
    # rows read from NVIDIA's release-note pages name the page, not the research document
    return str(src) if str(src).startswith("release notes") else f"{doc}: {src}"


@cache
def _release_tables() -> dict[str, tuple[Release, ...]]:
    data = load_table("releases.yaml")
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
                    source=_row_source(doc[flavor], src),
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
        for r in load_table("releases.yaml")["trtllm_trt"]
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
    r"(?P<suffix>-trtllm-python-py3|-vllm-python-py3|-pyt-python-py3|-py3)?$"
)


def parse_release(triton_version: str) -> tuple[str, str | None]:
    """``(YY.MM, flavour or None)`` of a ``--triton-version`` value: ``25.06``, ``r25.06``, a
    container tag (``25.06-py3``, ``nvcr.io/nvidia/tritonserver:25.06-trtllm-python-py3``,
    whose suffix names the flavour: trtllm, plain, or vllm / pyt, which the tables have no
    rows for), or a server version as ``GET /v2`` reports it (``2.59.0``; one the table does
    not know comes back as it is). Whether the table has the month is not checked here.
    Raises :class:`TargetError` for text that names no release.
    """
    text = str(triton_version).strip()
    m = _TAG.match(text)
    if not m:
        server = _SERVER.match(text)
        month = release_for_server_version(text) if server else None
        if month is not None:
            return month, None
        if server:  # a real server version the table does not know: a finding, not bad usage
            return text, None
        raise TargetError(
            f"Triton version {text!r}: expected a container release YY.MM such as 25.06"
        )
    if not 1 <= int(m.group(2)) <= 12:
        raise TargetError(f"Triton version {text!r}: month {m.group(2)} does not exist")
    suffix = m.group("suffix") or ""
    flavor = next((f for f in ("trtllm", "vllm", "pyt") if f"-{f}-" in suffix), None)
    if suffix and flavor is None:
        flavor = "plain"
    return f"{m.group(1)}.{m.group(2)}", flavor


_SERVER = re.compile(r"^[12]\.\d+\.\d+$")


def find_release(yymm: str, flavor: str) -> Release | None:
    """The row of container ``yymm`` of ``flavor``, or None when the table has none."""
    _check_flavor(flavor)
    return next((r for r in _release_tables()[flavor] if r.triton == yymm), None)


def missing_row(yymm: str, flavor: str) -> str:
    """The sentence that says which table row is missing."""
    if flavor not in FLAVORS:
        return f"Triton {yymm}-{flavor}-python-py3: the release tables have no {flavor} images"
    rows = _release_tables()[flavor]
    image = "-trtllm-python-py3" if flavor == "trtllm" else "-py3"
    if _SERVER.match(yymm):
        image = f" (server version; {flavor} image)"
    return (
        f"Triton {yymm}{image} is not in the release table "
        f"(known: {rows[0].triton}–{rows[-1].triton}, releases.yaml {flavor} rows)"
    )


def resolve_release(triton_version: str, flavor: str = "trtllm") -> Release:
    """The container ``YY.MM`` of ``flavor`` ("trtllm": ``YY.MM-trtllm-python-py3``, "plain":
    ``YY.MM-py3``). Also accepts what :func:`parse_release` accepts; a tag's suffix then sets
    the flavour. Raises :class:`TargetError` for a malformed version or one outside the table
    (the message gives the known range).
    """
    _check_flavor(flavor)
    yymm, named = parse_release(triton_version)
    flavor = named or flavor
    row = find_release(yymm, flavor)
    if row is None:
        raise TargetError(missing_row(yymm, flavor))
    return row


def release_for_server_version(server_version: str) -> str | None:
    """The ``YY.MM`` of a server version as ``GET /v2`` reports it (``"2.59.0"`` -> ``"25.06"``).

    Every flavour of a month reports the same version, so this cannot tell the flavour.
    """
    try:
        wanted = versions.parse(server_version)
    except ValueError:
        return None
    for flavor in ("plain", "trtllm"):
        for row in _release_tables()[flavor]:
            if row.server_version and versions.parse(row.server_version) == wanted:
                return row.triton
    return None


def releases_with_trt(trt_version: str, flavor: str = "trtllm") -> list[Release]:
    """The containers of ``flavor`` whose TensorRT matches ``trt_version`` (see
    :func:`~preflight.versions.same_trt_version`), oldest first: "deploy on 25.03-trtllm, which
    ships 10.9.0.34"."""
    _check_flavor(flavor)
    return [
        r
        for r in _release_tables()[flavor]
        if r.trt_version is not None and same_trt_version(r.trt_version, trt_version)
    ]


def trtllm_releases_with_trt(trt_version: str) -> list[str]:
    """The TensorRT-LLM releases (or release lines) built for ``trt_version``."""
    return [t for t, trt, _c, _s in _trtllm_trt_table() if same_trt_version(trt, trt_version)]


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
    if versions.is_prerelease(text):  # PEP 440, as pip reads it
        return None
    try:
        parts = versions.parse(text)
    except ValueError:
        return None
    for n in (3, 2):
        if len(parts) < n:
            continue
        for t, trt, _c, _s in table:
            tp = versions.parse(t)
            if len(tp) == n and tp == parts[:n]:
                return trt
    return None


@dataclass(frozen=True, slots=True)
class Requirements:
    """What a release needs of the host: the minimum driver of its CUDA, the older driver
    branches NVIDIA lists for data-center GPUs (forward compatibility), the minimum compute
    capability. Any of them may be unknown (None)."""

    triton: str
    flavor: str
    min_driver: str | None
    datacenter_drivers: tuple[str, ...] | None
    min_compute_capability: str | None
    source: str
    note: str = ""


@cache
def _requirements() -> dict[tuple[str, str], Requirements]:
    out: dict[tuple[str, str], Requirements] = {}
    for flavor, rows in load_table("releases.yaml").get("requirements", {}).items():
        for month, raw in rows.items():
            dc = raw.get("datacenter")
            out[(flavor, str(month))] = Requirements(
                triton=str(month),
                flavor=str(flavor),
                min_driver=_opt_str(raw.get("min_driver")),
                datacenter_drivers=None if dc is None else tuple(str(d) for d in dc),
                min_compute_capability=_opt_str(raw.get("min_cc")),
                source=str(raw.get("source") or "releases.yaml requirements"),
                note=str(raw.get("note") or ""),
            )
    return out


def release_requirements(triton: str, flavor: str = "trtllm") -> Requirements | None:
    """The host requirements of container ``triton`` (``YY.MM``) of ``flavor``, or None when
    the table has no row for it."""
    _check_flavor(flavor)
    return _requirements().get((flavor, triton))


@dataclass(frozen=True, slots=True)
class KnownBad:
    """A release whose image breaks models of ``backend`` for a documented reason."""

    flavor: str
    releases: tuple[str, ...]
    backend: str
    what: str
    issue: str
    fixed: str | None
    source: str


@cache
def known_bad() -> tuple[KnownBad, ...]:
    """Every row of the known-bad table."""
    return tuple(
        KnownBad(
            flavor=str(r["flavor"]),
            releases=tuple(str(m) for m in r["releases"]),
            backend=str(r["backend"]),
            what=str(r["what"]),
            issue=str(r["issue"]),
            fixed=_opt_str(r.get("fixed")),
            source=str(r.get("source") or ""),
        )
        for r in load_table("releases.yaml").get("known_bad", [])
    )
