from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT / "tests" / "data" / "shared"


@pytest.fixture(scope="session")
def shared() -> Path:
    """The project's reference material (real logs, configs and engines), copied into tests/data."""
    return SHARED


@pytest.fixture(autouse=True)
def _no_serving_container_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    """A run reads the deployment target from an NGC Triton container's own variables
    (sources.target.resolve_inputs): the machine running the suite must not decide a test's
    target. Tests that want them set them (child processes inherit the cleared environment)."""
    for name in ("NVIDIA_TRITON_SERVER_VERSION", "TRITON_SERVER_VERSION", "TRT_VERSION"):
        monkeypatch.delenv(name, raising=False)
