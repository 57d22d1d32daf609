from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT / "tests" / "data" / "shared"


@pytest.fixture(scope="session")
def shared() -> Path:
    """The project's reference material (real logs, configs and engines), copied into tests/data."""
    return SHARED
