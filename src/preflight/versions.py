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


# PEP 440, as pip and `packaging` order versions: "0.12.0.dev2024080600" < "1.0.0rc2" is a
# pre-release of 1.0.0; neither equals the final release of the same number. TensorRT-LLM ships
# dev builds in containers (24.08-trtllm carries tensorrt_llm==0.12.0.dev2024080600) and release
# candidates on PyPI; their engines are not the final release's.
_PEP440 = re.compile(
    r"""^\s*[vV]?
    (?:(?P<epoch>\d+)!)?
    (?P<release>\d+(?:\.\d+)*)
    (?:[-_.]?(?P<pre_l>a|b|c|rc|alpha|beta|pre|preview)[-_.]?(?P<pre_n>\d+)?)?
    (?:-(?P<post_n1>\d+)|[-_.]?(?P<post_l>post|rev|r)[-_.]?(?P<post_n2>\d+)?)?
    (?:[-_.]?(?P<dev_l>dev)[-_.]?(?P<dev_n>\d+)?)?
    (?:\+(?P<local>[a-zA-Z0-9]+(?:[-_.][a-zA-Z0-9]+)*))?
    \s*$""",
    re.VERBOSE | re.IGNORECASE,
)
_PRE_RANK = {"a": 0, "alpha": 0, "b": 1, "beta": 1, "c": 2, "rc": 2, "pre": 2, "preview": 2}


class Pep440:
    """One version as PEP 440 reads it (the local label ``+cuda12.0`` is kept, not compared)."""

    __slots__ = ("dev", "epoch", "local", "post", "pre", "release")

    def __init__(
        self,
        release: tuple[int, ...],
        epoch: int = 0,
        pre: tuple[int, int] | None = None,
        post: int | None = None,
        dev: int | None = None,
        local: str | None = None,
    ) -> None:
        self.release, self.epoch, self.pre, self.post = release, epoch, pre, post
        self.dev, self.local = dev, local

    @property
    def is_prerelease(self) -> bool:
        """A development or release-candidate build (``.devN``, ``aN``, ``bN``, ``rcN``)."""
        return self.pre is not None or self.dev is not None

    def key(self, width: int | None = None) -> tuple[object, ...]:
        """The sort key of ``packaging.version.Version``; the release cut or padded with zeros
        to ``width`` parts (so ``0.20`` and ``0.20.0`` sort together)."""
        release = self.release
        if width is not None:
            release = (release + (0,) * width)[:width]
        # a dev release without pre or post sorts before the pre-releases of its number
        if self.pre is None and self.post is None and self.dev is not None:
            pre: tuple[int, int] = (-1, 0)
        elif self.pre is None:
            pre = (9, 0)
        else:
            pre = self.pre
        post = -1 if self.post is None else self.post
        dev = 1 << 62 if self.dev is None else self.dev
        return (self.epoch, release, pre, post, dev)

    def __str__(self) -> str:
        text = ".".join(str(p) for p in self.release)
        if self.epoch:
            text = f"{self.epoch}!{text}"
        if self.pre is not None:
            text += {0: "a", 1: "b", 2: "rc"}[self.pre[0]] + str(self.pre[1])
        if self.post is not None:
            text += f".post{self.post}"
        if self.dev is not None:
            text += f".dev{self.dev}"
        return text


def parse_pep440(v: str) -> Pep440:
    """``"0.12.0.dev2024080600"`` -> release (0, 12, 0), dev 2024080600. Raises ValueError for
    text PEP 440 cannot read."""
    m = _PEP440.match(str(v))
    if not m:
        raise ValueError(f"not a version: {v!r}")
    pre = None
    if m.group("pre_l"):
        pre = (_PRE_RANK[m.group("pre_l").lower()], int(m.group("pre_n") or 0))
    post = None
    if m.group("post_n1"):
        post = int(m.group("post_n1"))
    elif m.group("post_l"):
        post = int(m.group("post_n2") or 0)
    dev = int(m.group("dev_n") or 0) if m.group("dev_l") else None
    return Pep440(
        release=tuple(int(p) for p in m.group("release").split(".")),
        epoch=int(m.group("epoch") or 0),
        pre=pre,
        post=post,
        dev=dev,
        local=m.group("local"),
    )


def compare(a: str, b: str, *, prefix: bool = True) -> int:
    """-1, 0 or 1 as PEP 440 orders ``a`` and ``b`` (``1.0.0rc2`` < ``1.0.0`` < ``1.0.0.post1``).

    With ``prefix`` (the default), release numbers are compared on the parts both give, as
    :func:`common_prefix` does (``0.20`` equals ``0.20.0``): tables write release lines. A
    pre-release or dev build is never equal to the release of the same number. Raises
    ValueError for text that is not a version.
    """
    pa, pb = parse_pep440(a), parse_pep440(b)
    width = (
        min(len(pa.release), len(pb.release)) if prefix else max(len(pa.release), len(pb.release))
    )
    ka, kb = pa.key(width), pb.key(width)
    return (ka > kb) - (ka < kb)


def is_prerelease(v: str) -> bool:
    """Whether ``v`` is a development build or release candidate (False for unreadable text)."""
    try:
        return parse_pep440(v).is_prerelease
    except ValueError:
        return False
