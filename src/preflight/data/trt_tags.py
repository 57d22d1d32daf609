"""The TensorRT serialization-tag table (``trt_tags.yaml``): a plan header's tag -> release."""

from __future__ import annotations

from functools import cache
from typing import Any

from . import load_table

__all__ = ["load_tag_table", "tag_release"]


@cache
def load_tag_table() -> tuple[dict[str, Any], ...]:
    """The rows of ``preflight/data/trt_tags.yaml`` (tag, release, first, last, ...)."""
    data = load_table("trt_tags.yaml")
    rows = data.get("tags", []) if isinstance(data, dict) else []
    return tuple(row for row in rows if isinstance(row, dict) and isinstance(row.get("tag"), int))


def tag_release(tag: int) -> str | None:
    """The TensorRT release line the tag table gives for a serialization tag, for display."""
    for row in load_tag_table():
        if row["tag"] == tag:
            release = row.get("release")
            return str(release) if release is not None else None
    return None
