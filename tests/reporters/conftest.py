from __future__ import annotations

import pytest
from reporter_sample import make_run

from preflight.model import RunResult


@pytest.fixture
def run() -> RunResult:
    """A fresh copy of the shared sample run."""
    return make_run()
