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
    "Release",
    "known_releases",
    "release_for_server_version",
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
