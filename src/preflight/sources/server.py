"""Live-server facts through tritonclient: is the server up, and in which state is each model?

Only used with ``check --server URL``; this is the one place preflight talks to the network.
``http://host:8000`` uses tritonclient's HTTP client, ``grpc://host:8001`` its gRPC client.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from ..errors import PreflightError
from ..model import Fact, Facts, Subject

NAMESPACES = ("server",)
TIMEOUT_S = 10.0


class ServerError(PreflightError):
    """A --server URL preflight cannot use (malformed, or no tritonclient for its scheme)."""


def shown_url(url: str) -> str:
    """``url`` as preflight prints it: a user name and password replaced by ``***``."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        scheme, rest = "", url
    authority, slash, path = rest.partition("/")
    if "@" not in authority:
        return url
    return f"{scheme}{sep}***@{authority.rpartition('@')[2]}{slash}{path}"


def parse_url(url: str) -> tuple[str, str]:
    """(scheme, host:port) of a --server URL; a bad one raises :class:`ServerError`."""
    try:
        parsed = urlparse(url if "://" in url else f"http://{url}")
        port = parsed.port
    except ValueError as exc:
        raise ServerError(f"--server {shown_url(url)!r}: {exc}") from None
    if parsed.scheme not in ("http", "grpc") or not parsed.hostname:
        raise ServerError(
            f"--server {shown_url(url)!r}: expected http://HOST:PORT or grpc://HOST:PORT"
        )
    port = port or (8000 if parsed.scheme == "http" else 8001)
    host = f"[{parsed.hostname}]" if ":" in parsed.hostname else parsed.hostname
    return parsed.scheme, f"{host}:{port}"


# The module each tritonclient client needs that the core install does not bring.
_CLIENT_NEEDS = {"grpc": "grpc", "http": "geventhttpclient"}


def require_client(url: str) -> None:
    """One line, before any work, when the client for ``url`` is not installed: the core
    install leaves tritonclient's grpc/http extras out (they come with ``[server]``)."""
    import importlib.util

    scheme, _address = parse_url(url)
    if importlib.util.find_spec(_CLIENT_NEEDS[scheme]) is None:
        raise ServerError(
            f"--server needs the server extra: pip install 'triton-preflight[server]' "
            f"(tritonclient's {scheme} client is not installed)"
        )


def _client(url: str) -> tuple[Any, str]:
    scheme, address = parse_url(url)
    try:
        if scheme == "grpc":
            import tritonclient.grpc as grpcclient

            return grpcclient.InferenceServerClient(address), "grpc"
        import tritonclient.http as httpclient

        return httpclient.InferenceServerClient(
            address, connection_timeout=TIMEOUT_S, network_timeout=TIMEOUT_S
        ), "http"
    except (ImportError, RuntimeError) as exc:  # RuntimeError: tritonclient's missing extra
        raise ServerError(f"--server: tritonclient[{scheme}] is not usable: {exc}") from None


def _index(client: Any, kind: str) -> list[dict[str, Any]]:
    if kind == "grpc":
        from google.protobuf import json_format

        reply = client.get_model_repository_index(client_timeout=TIMEOUT_S)
        data = json_format.MessageToDict(reply, preserving_proto_field_name=True)
        return list(data.get("models", []))
    return list(client.get_model_repository_index())


def server_facts(url: str, repo: Path, models: list[str]) -> Facts:
    """`server.*` facts about the server and the repository's ``models`` on it; an unreachable
    server is a fact, not an exception."""
    where = None  # a URL is not a file: findings sit at the repository root
    facts: Facts = {"server.url": Fact(shown_url(url), where)}
    client, kind = _client(url)
    try:
        live = bool(
            client.is_server_live(client_timeout=TIMEOUT_S)
            if kind == "grpc"
            else client.is_server_live()
        )
        ready = bool(
            client.is_server_ready(client_timeout=TIMEOUT_S)
            if kind == "grpc"
            else client.is_server_ready()
        )
        meta = client.get_server_metadata()
        index = _index(client, kind)
    except Exception as exc:  # tritonclient raises its own and the transport's errors
        text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        facts["server.reachable"] = Fact(False, where)
        facts["server.error"] = Fact(text, where)
        return facts
    finally:
        close = getattr(client, "close", None)
        if close is not None:
            close()
    version = meta.version if hasattr(meta, "version") else meta.get("version")
    facts["server.reachable"] = Fact(True, where)
    facts["server.live"] = Fact(live, where)
    facts["server.ready"] = Fact(ready, where)
    if version:
        facts["server.version"] = Fact(str(version), where)
    states: dict[str, dict[str, Any]] = {}
    for entry in index:
        name = str(entry.get("name", ""))
        states.setdefault(name, entry)
        if str(entry.get("state", "")).upper() == "READY":
            states[name] = entry
    facts["server.models"] = Fact(
        [
            {"name": n, "state": e.get("state", ""), "reason": e.get("reason", "")}
            for n, e in sorted(states.items())
        ],
        where,
    )
    # The repository's models as the server's index lists them: state None when it has no
    # entry; Triton leaves state and reason empty for a model it never tried to load.
    facts["server.repository_models"] = Fact(
        [
            {
                "name": name,
                "path": str(repo / name / "config.pbtxt"),
                "state": str(states[name].get("state") or "") if name in states else None,
                "reason": str(states[name].get("reason") or "") if name in states else "",
            }
            for name in models
        ],
        where,
    )
    return facts


def server_subject(url: str, repo: Path, models: list[Subject]) -> Subject:
    names = [m.name for m in models if not m.name.startswith(".")]
    return Subject("server", shown_url(url), str(repo), server_facts(url, repo, names))
