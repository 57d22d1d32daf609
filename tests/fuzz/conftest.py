"""The large property-based runs are marked ``slow`` and run only when asked for
(``pytest -m slow tests/fuzz`` or ``PREFLIGHT_FUZZ_SLOW=1``); the default run keeps the
fixed-seed small sample."""

from __future__ import annotations

import os

import pytest


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if "slow" in (config.getoption("markexpr", "") or "") or os.environ.get("PREFLIGHT_FUZZ_SLOW"):
        return
    skip = pytest.mark.skip(reason="large fuzz run: pytest -m slow (or PREFLIGHT_FUZZ_SLOW=1)")
    for item in items:
        if "fuzz" in item.path.parts and item.get_closest_marker("slow"):
            item.add_marker(skip)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    try:
        from prop_kit import COUNTS
    except ImportError:
        return
    if COUNTS:
        terminalreporter.write_line(
            "fuzz examples run: " + ", ".join(f"{k} {v}" for k, v in sorted(COUNTS.items()))
        )
