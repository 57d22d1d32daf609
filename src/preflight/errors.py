"""Errors that stop a run, each printed as one line per problem.

Each part raises its own kind; only the Face (``cli``, ``commands``) turns one into exit
status 2. ``lines`` holds one or more ``path:line:col: key: message`` lines.
"""

from __future__ import annotations


class PreflightError(Exception):
    """preflight cannot do its job; ``lines`` says why, one problem a line."""

    def __init__(self, *lines: str) -> None:
        super().__init__("\n".join(lines))
        self.lines = lines


class UsageError(PreflightError):
    """Bad usage of a command: raised by the Face only."""


class YamlError(PreflightError):
    """A YAML file preflight was given (rules, settings) cannot be read or parsed."""


class RuleFileError(PreflightError):
    """One or more rule files are invalid."""


class SettingsError(PreflightError):
    """``.preflight.yaml`` (or ``--config``) is invalid."""


class TargetError(PreflightError, ValueError):
    """A deployment target (GPU, release, version) preflight cannot resolve."""


class RepositoryError(PreflightError):
    """The repository root cannot be read."""
