"""Errors that stop a run with exit status 2, each printed as one line."""

from __future__ import annotations


class UsageError(Exception):
    """preflight cannot do its job: bad usage, an invalid rule file or config, an unreadable root.

    ``lines`` holds one or more ``path:line:col: key: message`` lines.
    """

    def __init__(self, *lines: str) -> None:
        super().__init__("\n".join(lines))
        self.lines = lines
