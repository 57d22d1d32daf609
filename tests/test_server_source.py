"""The live-server source (`server.*` facts) and the check that judges its model states."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from preflight.checks import registry
from preflight.model import Location
from preflight.sources import server
from preflight.sources.server import ServerError, parse_url


@pytest.mark.parametrize(
    ("url", "parsed"),
    [
        ("http://127.0.0.1:8000", ("http", "127.0.0.1:8000")),
        ("grpc://host", ("grpc", "host:8001")),
        ("host:9000", ("http", "host:9000")),
        ("http://[::1]", ("http", "[::1]:8000")),
    ],
)
def test_parse_url(url: str, parsed: tuple[str, str]) -> None:
    assert parse_url(url) == parsed


@pytest.mark.parametrize("url", ["ftp://host", "http://", "http://host:port"])
def test_a_bad_url_is_a_server_error(url: str) -> None:
    with pytest.raises(ServerError, match=r"^--server "):
        parse_url(url)


class _FakeClient:
    def __init__(self, index: list[dict[str, Any]], fail: Exception | None = None) -> None:
        self.index, self.fail = index, fail

    def is_server_live(self) -> bool:
        if self.fail is not None:
            raise self.fail
        return True

    def is_server_ready(self) -> bool:
        return False

    def get_server_metadata(self) -> dict[str, str]:
        return {"version": "2.59.0"}

    def get_model_repository_index(self) -> list[dict[str, Any]]:
        return self.index


def _facts(
    monkeypatch: pytest.MonkeyPatch, repo: Path, client: _FakeClient, models: list[str]
) -> dict[str, Any]:
    monkeypatch.setattr(server, "_client", lambda url: (client, "http"))
    return {k: f.value for k, f in server.server_facts("http://h:8000", repo, models).items()}


def test_an_unreachable_server_is_a_fact(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    facts = _facts(monkeypatch, tmp_path, _FakeClient([], OSError("refused\nmore")), ["a"])
    assert facts == {
        "server.url": "http://h:8000",
        "server.reachable": False,
        "server.error": "refused",
    }


def test_model_states_are_facts_not_verdicts(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    index = [
        {"name": "good", "version": "1", "state": "UNAVAILABLE", "reason": "unloaded"},
        {"name": "good", "version": "2", "state": "READY"},
        {"name": "broken", "state": "UNAVAILABLE", "reason": "load failed"},
        {"name": "idle"},
        {"name": "other", "state": "READY"},
    ]
    facts = _facts(monkeypatch, tmp_path, _FakeClient(index), ["good", "broken", "idle", "gone"])
    assert facts["server.version"] == "2.59.0"
    assert facts["server.live"] is True and facts["server.ready"] is False
    assert [m["name"] for m in facts["server.models"]] == ["broken", "good", "idle", "other"]
    assert facts["server.repository_models"] == [
        {
            "name": "good",
            "path": str(tmp_path / "good" / "config.pbtxt"),
            "state": "READY",
            "reason": "",
        },
        {
            "name": "broken",
            "path": str(tmp_path / "broken" / "config.pbtxt"),
            "state": "UNAVAILABLE",
            "reason": "load failed",
        },
        {
            "name": "idle",
            "path": str(tmp_path / "idle" / "config.pbtxt"),
            "state": "",
            "reason": "",
        },
        {
            "name": "gone",
            "path": str(tmp_path / "gone" / "config.pbtxt"),
            "state": None,
            "reason": "",
        },
    ]
    assert not any("text" in m for m in facts["server.repository_models"])

    check = registry()["server.models-ready"]
    found = check.function(
        server.server_facts("http://h:8000", tmp_path, ["good", "broken", "idle", "gone"]), {}
    )
    assert [(p.kind, p.location, p.fields) for p in found] == [
        (
            "not-ready",
            Location(str(tmp_path / "broken" / "config.pbtxt")),
            {"name": "broken", "state": "UNAVAILABLE", "reason": "load failed"},
        ),
        (
            "not-ready",
            Location(str(tmp_path / "idle" / "config.pbtxt")),
            {"name": "idle", "state": "not loaded", "reason": "no reason given"},
        ),
        ("absent", Location(str(tmp_path / "gone" / "config.pbtxt")), {"name": "gone"}),
    ]
