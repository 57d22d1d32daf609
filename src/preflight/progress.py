"""Progress of long work (hashing many GB of engines) for a person at a terminal.

Sources report bytes done through :func:`advance` inside a :func:`task`; that is all they
know of it. Nothing is shown unless the Face turned the display on (:func:`enable`), which it
does only when standard error is a terminal and ``--quiet`` is not given; then a task of at
least ``MIN_BYTES`` shows a tqdm bar on standard error (bytes, rate, ETA) that is removed when
the task ends. tqdm is imported only then, so start-up and non-interactive runs pay nothing.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

MIN_BYTES = 64 * 1024 * 1024  # below this the work ends before a bar is worth drawing

_enabled = False
_bar: Any = None
_lock = threading.Lock()


def enable(on: bool = True) -> None:
    global _enabled
    _enabled = on


def wanted(stream: Any = None, quiet: bool = False) -> bool:
    """A person is watching: ``stream`` (standard error) is a terminal and not ``quiet``."""
    stream = sys.stderr if stream is None else stream
    try:
        return not quiet and bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


@contextmanager
def task(total: int, label: str) -> Iterator[None]:
    """Show a bar for ``total`` bytes of work while the block runs (when enabled)."""
    global _bar
    if not _enabled or total < MIN_BYTES or _bar is not None:
        yield
        return
    try:
        from tqdm import tqdm
    except ImportError:  # a progress bar is a nicety: the work goes on without it
        yield
        return
    bar = tqdm(
        total=total,
        desc=label,
        unit="B",
        unit_scale=True,
        unit_divisor=1024,
        file=sys.stderr,
        leave=False,
        mininterval=0.25,
        dynamic_ncols=True,
    )
    _bar = bar
    try:
        yield
    finally:
        with _lock:
            _bar = None
        bar.close()


def advance(nbytes: int) -> None:
    """``nbytes`` more of the current task done (from any thread)."""
    bar = _bar
    if bar is not None:
        with _lock:
            bar.update(nbytes)
