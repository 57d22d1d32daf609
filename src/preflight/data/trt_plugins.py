"""Which plugin creators libnvinfer_plugin ships with each TensorRT release (``trt_plugins.yaml``,
generated from NVIDIA/TensorRT's ``plugin/`` folder at each release tag)."""

from __future__ import annotations

from functools import cache

from .. import versions
from . import load_table

__all__ = ["all_shipped", "shipped_plugins"]


@cache
def _table() -> tuple[tuple[tuple[int, ...], str, frozenset[str]], ...]:
    rows = [
        (versions.parse(str(tag)), str(tag), frozenset(str(n) for n in names))
        for tag, names in load_table("trt_plugins.yaml")["releases"].items()
    ]
    return tuple(sorted(rows))


def shipped_plugins(trt_version: str) -> tuple[frozenset[str], str, bool] | None:
    """``(names, tag, exact)``: the plugin creators of the newest release tag at or below
    ``trt_version`` (``exact``: the tag is the same major.minor.patch), or None when the
    version is older than every tag or unreadable."""
    try:
        wanted = versions.parse(trt_version)[:3]
    except ValueError:
        return None
    found = None
    for parts, tag, names in _table():
        if parts[:3] <= wanted:
            found = (names, tag, parts[:3] == wanted[: len(parts[:3])])
    return found


@cache
def all_shipped() -> frozenset[str]:
    """Every plugin creator name any TensorRT release shipped."""
    return frozenset().union(*(names for _p, _t, names in _table()))
