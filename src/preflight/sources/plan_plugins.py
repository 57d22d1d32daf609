"""The plugin creators a TensorRT plan names: ``plan.*`` facts from the plan's bytes.

A plan that uses a plugin layer stores the creator's name (and version and namespace) so that
TensorRT can ask its plugin registry for it at load time ("getPluginCreator could not find
plugin: Decode_TRT version: 1"). The header source reads a few KB; this one scans the plan
in chunks of :data:`CHUNK` bytes, at most :data:`CAP` bytes (memory stays at one chunk plus a
small overlap), for three kinds of evidence:

- a default plugin layer name, ``PLUGIN_V2_<creator>_<n>`` / ``PLUGIN_V3_<creator>_<n>``;
- a name ending in ``_TRT``, the suffix TensorRT's own plugins and most third-party ones use;
- a creator name TensorRT has shipped (``data/trt_plugins.yaml``) that no ONNX node or layer
  name is likely to be (the ``*Plugin*`` and ``*Dynamic`` ones).

Facts (located at the plan file): ``plan.plugins``, ``[{name, evidence}]`` sorted by name;
``plan.plugin_scan``, ``{bytes, complete}`` (``complete`` false when the cap stopped the scan).
Nothing is judged here: which names the serving TensorRT lacks is a check's business.
"""

from __future__ import annotations

import re
from pathlib import Path

from .. import safe_files
from ..data.trt_plugins import all_shipped
from ..model import Fact, Facts, Location

NAMESPACES = ("plan",)

CHUNK = 1 << 20  # bytes read at a time
CAP = 256 << 20  # bytes scanned at most per plan (the engine section precedes the weights)
_OVERLAP = 256  # a name split across two chunks is still seen whole

_LAYER = re.compile(rb"PLUGIN_V[23]_([A-Za-z][A-Za-z0-9_]{1,62}?)_[0-9]+(?![0-9])")
_NAME_BYTES = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_")
_LOWER = frozenset(b"abcdefghijklmnopqrstuvwxyz")


def _distinctive() -> tuple[bytes, ...]:
    """Shipped names that cannot be an ONNX node or layer name by accident (``Split``,
    ``ScatterND`` or ``Proposal`` can): the ``*Plugin*`` and ``*Dynamic`` ones; the ``*_TRT``
    ones are found by their suffix."""
    return tuple(
        n.encode()
        for n in sorted(all_shipped())
        if not n.endswith("_TRT") and ("Plugin" in n or n.endswith("Dynamic"))
    )


def _name_before(window: bytes, end: int) -> str | None:
    """The identifier that ends at ``end`` (exclusive), if it starts with a letter."""
    start = end
    while start > 0 and end - start < 64 and window[start - 1] in _NAME_BYTES:
        start -= 1
    text = window[start:end].decode("ascii")
    if "PLUGIN_V" in text:  # a default layer name: the creator follows PLUGIN_Vn_
        text = text.split("PLUGIN_V", 1)[1][2:]
    return text if text[:1].isalpha() else None


def _scan_window(window: bytes, found: dict[str, str], distinctive: tuple[bytes, ...]) -> None:
    # bytes.find is memchr-fast: a 50 GB plan costs seconds, not minutes
    at = window.find(b"PLUGIN_V")
    while at >= 0:
        match = _LAYER.match(window, at)
        if match:
            found.setdefault(match.group(1).decode(), "plugin layer name")
        at = window.find(b"PLUGIN_V", at + 8)
    at = window.find(b"_TRT")
    while at >= 0:
        end = at + 4
        if end >= len(window) or window[end] not in _LOWER:
            name = _name_before(window, end)
            if name:
                found.setdefault(name, "a *_TRT plugin name")
        at = window.find(b"_TRT", end)
    for known in distinctive:
        at = window.find(known)
        while at >= 0:
            before = window[at - 1] if at > 0 else 0
            after = window[at + len(known)] if at + len(known) < len(window) else 0
            if before not in _NAME_BYTES and after not in _LOWER:
                found.setdefault(known.decode(), "a TensorRT plugin name")
            at = window.find(known, at + len(known))


def scan_plugins(path: Path, cap: int = CAP) -> tuple[dict[str, str], int, bool]:
    """``({name: evidence}, bytes scanned, complete)`` of the plan at ``path``."""
    distinctive = _distinctive()
    found: dict[str, str] = {}
    scanned = 0
    complete = True
    tail = b""
    with safe_files.open_file(path, "engine") as handle:
        while True:
            if scanned >= cap:
                complete = handle.read(1) == b""
                break
            chunk = handle.read(min(CHUNK, cap - scanned))
            if not chunk:
                break
            scanned += len(chunk)
            window = tail + chunk
            _scan_window(window, found, distinctive)
            tail = window[-_OVERLAP:]
    return found, scanned, complete


def extract(path: Path, cap: int = CAP) -> Facts:
    """``plan.*`` facts of one plan file (none when it cannot be read: the header source
    already says why)."""
    here = Location(str(path))
    try:
        found, scanned, complete = scan_plugins(path, cap)
    except OSError:  # Refused is an OSError too
        return {}
    plugins = [{"name": n, "evidence": e} for n, e in sorted(found.items())]
    return {
        "plan.plugins": Fact(plugins, here),
        "plan.plugin_scan": Fact({"bytes": scanned, "complete": complete}, here),
    }
