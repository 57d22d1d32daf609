"""Version numbers as TensorRT, TensorRT-LLM and Triton write them: one parser, one comparison."""

from __future__ import annotations

import re

_VERSION_START = re.compile(r"^[vV]?(\d+(?:\.\d+)*)")


def parse(v: str | int | float | tuple[int, ...] | list[int]) -> tuple[int, ...]:
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


def common_prefix(
    a: tuple[int, ...], b: tuple[int, ...]
) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """Both versions cut to the parts both give: ``10.10`` against ``10.10.0.31``."""
    width = min(len(a), len(b))
    return a[:width], b[:width]


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
        va, vb = common_prefix(parse(a), parse(b))
    except ValueError:
        return False
    return len(va) > 0 and va == vb
