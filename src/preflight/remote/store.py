"""One object store, through fsspec: the prefix listing, ranged reads, streamed reads.

Credentials follow Triton's conventions (core ``src/filesystem/implementations/``):

- S3: ``AWS_ACCESS_KEY_ID`` + ``AWS_SECRET_ACCESS_KEY`` (+ ``AWS_SESSION_TOKEN``,
  ``AWS_DEFAULT_REGION``), else the ``AWS_PROFILE`` profile, else the default chain
  (``~/.aws/credentials``, ``~/.aws/config``, instance roles);
- GCS: ``GOOGLE_APPLICATION_CREDENTIALS`` (a service account file), else the default chain;
- Azure: ``AZURE_STORAGE_ACCOUNT`` / ``AZURE_STORAGE_KEY``, else the default Azure credential.

Every request is bounded: a connect and read timeout and a number of tries (standard backoff,
which also covers throttling). Requests made and bytes read are counted here (``Stats``); a
failure becomes one sentence (:func:`describe`) in which no secret appears.
"""

from __future__ import annotations

import importlib
import os
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..errors import RepositoryError
from .urls import StoreURL

# scheme -> (the module fsspec needs, the extra that installs it)
EXTRAS = {"s3": ("s3fs", "s3"), "gs": ("gcsfs", "gcs"), "as": ("adlfs", "azure")}
MAX_OBJECTS = 100_000  # a listing stops here, as a local folder walk does
_SECRET_VARS = (
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AZURE_STORAGE_KEY",
    "AZURE_STORAGE_SAS_TOKEN",
    "AZURE_STORAGE_CONNECTION_STRING",
)
_CREDENTIALS_HINT = {
    "s3": "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE, or "
    "~/.aws/credentials (as Triton reads them)",
    "gs": "set GOOGLE_APPLICATION_CREDENTIALS to a service account file (as Triton reads it), "
    "or log in with application default credentials",
    "as": "set AZURE_STORAGE_ACCOUNT and AZURE_STORAGE_KEY (as Triton reads them)",
}


class StoreError(RepositoryError):
    """The store cannot be read at the repository root (exit status 2)."""


@dataclass(slots=True)
class StoreSettings:
    timeout: float = 30.0  # seconds, for connecting and for each read
    retries: int = 3  # tries after the first one, with backoff (throttling included)
    workers: int = 8  # reads at once


@dataclass
class Stats:
    requests: int = 0
    bytes_read: int = 0
    objects_listed: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def count(self, requests: int = 0, nbytes: int = 0) -> None:
        with self._lock:
            self.requests += requests
            self.bytes_read += nbytes


def scrub(text: str, environ: Mapping[str, str] | None = None) -> str:
    """``text`` without the value of any secret the environment holds."""
    env = os.environ if environ is None else environ
    for name in _SECRET_VARS:
        value = env.get(name)
        if value and len(value) >= 4:
            text = text.replace(value, "***")
    return text


def describe(exc: BaseException, store: Store) -> str:
    """One sentence for a store failure: no credentials, access denied, not found, throttled,
    unreachable or timed out, else the error's own first line. Never a secret."""
    return scrub(_describe(exc, store), store.environ)


def _describe(exc: BaseException, store: Store) -> str:
    name = type(exc).__name__
    text = str(exc).splitlines()[0][:300] if str(exc) else name
    cause = exc.__cause__ or exc.__context__  # fsspec's OSError wraps the store's own error
    if cause is not None and str(cause):
        text = f"{text} ({str(cause).splitlines()[0][:200]})" if str(cause) not in text else text
    tries = f"{store.settings.retries + 1} tries, {store.settings.timeout:g} s timeout"
    where = store.url.endpoint or {"s3": "AWS S3", "gs": "Google Cloud Storage"}.get(
        store.url.scheme, f"account {store.url.account}"
    )
    if name in ("NoCredentialsError", "PartialCredentialsError", "DefaultCredentialsError") or (
        "Unable to locate credentials" in text
    ):
        return f"no credentials: {_CREDENTIALS_HINT[store.url.scheme]}"
    if "InvalidAccessKeyId" in text or "SignatureDoesNotMatch" in text:
        return (
            "access denied: the store does not accept these credentials "
            f"({'unknown access key' if 'InvalidAccessKeyId' in text else 'wrong secret key'})"
        )
    if "InvalidObjectState" in text or "archive tier" in text.lower():
        return "archived (its storage class cannot be read until it is restored)"
    if isinstance(exc, PermissionError) or "AccessDenied" in text or "Forbidden" in text:
        return f"access denied: {text}"
    if any(s in text for s in ("SlowDown", "Throttl", "TooManyRequests", "reduce your request")):
        return f"the store is throttling requests ({text}; gave up after {tries})"
    timeouts = ("ConnectTimeoutError", "ReadTimeoutError", "TimeoutError", "FSTimeoutError")
    unreachable = ("EndpointConnectionError", "ClientConnectorError", "ConnectionClosedError")
    if name in timeouts or isinstance(exc, TimeoutError):
        return f"timed out talking to {where} ({tries}; --store-timeout, --store-retries)"
    if name in unreachable or isinstance(exc, ConnectionError):
        return f"cannot reach {where}: {text} ({tries})"
    if "NoSuchBucket" in text or "ContainerNotFound" in text or "bucket does not exist" in text:
        return f"no such bucket: {store.url.bucket}"
    if isinstance(exc, FileNotFoundError):
        return "not found in the store"
    return f"{name}: {text}"


# TRITON_CLOUD_CREDENTIAL_PATH (core src/filesystem/api.cc LoadCredentials): a JSON file of
# credentials by store and by name, the name being a path prefix (the longest one matching the
# repository path wins); when it is set, Triton reads no credential variable. Its keys, as the
# variables they stand for:
_FILE_KEYS = {
    "s3": {
        "key_id": "AWS_ACCESS_KEY_ID",
        "secret_key": "AWS_SECRET_ACCESS_KEY",
        "session_token": "AWS_SESSION_TOKEN",
        "region": "AWS_DEFAULT_REGION",
        "profile": "AWS_PROFILE",
    },
    "as": {"account_str": "AZURE_STORAGE_ACCOUNT", "account_key": "AZURE_STORAGE_KEY"},
}
_CREDENTIAL_VARS = (
    *(v for keys in _FILE_KEYS.values() for v in keys.values()),
    "GOOGLE_APPLICATION_CREDENTIALS",
)


def credentials(url: str, scheme: str, environ: Mapping[str, str]) -> dict[str, str]:
    """The environment the store client sees: ``environ`` itself, or, with
    ``TRITON_CLOUD_CREDENTIAL_PATH``, the credential variables replaced by the file's entry
    for ``url`` (``StoreError`` when the file cannot be read or holds none for it)."""
    path = environ.get("TRITON_CLOUD_CREDENTIAL_PATH")
    if not path:
        return dict(environ)
    import json

    try:
        with open(path, encoding="utf-8") as fh:
            doc = json.loads(fh.read(1 << 20))
    except (OSError, ValueError) as exc:
        why = getattr(exc, "strerror", None) or exc
        raise StoreError(f"TRITON_CLOUD_CREDENTIAL_PATH {path}: cannot read it: {why}") from None
    section = doc.get(scheme) if isinstance(doc, dict) else None
    names = [n for n in (section or {}) if isinstance(n, str) and url.startswith(n)]
    if not names:
        raise StoreError(
            f"{url}: TRITON_CLOUD_CREDENTIAL_PATH {path} holds no '{scheme}' credential whose "
            "name is a prefix of this path (Triton fails the same way)"
        )
    entry = section[max(names, key=len)]  # type: ignore[index]
    env = {k: v for k, v in environ.items() if k not in _CREDENTIAL_VARS}
    if scheme == "gs" and isinstance(entry, str):
        env["GOOGLE_APPLICATION_CREDENTIALS"] = entry
    elif isinstance(entry, dict):
        for key, var in _FILE_KEYS.get(scheme, {}).items():
            if isinstance(entry.get(key), str) and entry[key]:
                env[var] = entry[key]
    return env


class Store:
    """One repository URL's store: fsspec filesystem, settings, counters."""

    def __init__(
        self, url: StoreURL, settings: StoreSettings, environ: Mapping[str, str] | None = None
    ) -> None:
        self.url = url
        self.settings = settings
        self.stats = Stats()
        self.folders: set[str] = set()  # folder markers: folders without objects still exist
        given = os.environ if environ is None else environ
        self.environ = credentials(url.text, url.scheme, given)
        self.fs = self._filesystem()
        self._count_http = self._hook_requests()

    # --- the filesystem --------------------------------------------------------------

    def _module(self, name: str) -> Any:
        module, extra = EXTRAS[self.url.scheme]
        try:
            importlib.import_module(module)
        except ImportError:
            raise StoreError(
                f"{self.url.text}: reading {self.url.scheme}:// needs the {extra} extra: "
                f"pip install 'triton-preflight[{extra}]'"
            ) from None
        return importlib.import_module(name)

    def _filesystem(self) -> Any:
        env, s = self.environ, self.settings
        if self.url.scheme == "s3":
            s3fs = self._module("s3fs")
            kwargs: dict[str, Any] = {}
            if env.get("AWS_ACCESS_KEY_ID") and env.get("AWS_SECRET_ACCESS_KEY"):
                kwargs.update(key=env["AWS_ACCESS_KEY_ID"], secret=env["AWS_SECRET_ACCESS_KEY"])
                if env.get("AWS_SESSION_TOKEN"):
                    kwargs["token"] = env["AWS_SESSION_TOKEN"]
            elif env.get("AWS_PROFILE"):
                kwargs["profile"] = env["AWS_PROFILE"]
            client: dict[str, Any] = {}
            if self.url.endpoint:
                client["endpoint_url"] = self.url.endpoint
            region = env.get("AWS_DEFAULT_REGION") or env.get("AWS_REGION")
            if region or self.url.endpoint:
                client["region_name"] = region or "us-east-1"
            fs = s3fs.S3FileSystem(
                client_kwargs=client,
                config_kwargs={
                    "connect_timeout": s.timeout,
                    "read_timeout": s.timeout,
                    "retries": {"max_attempts": s.retries + 1, "mode": "standard"},
                    "s3": {"addressing_style": "path"},  # as Triton's client
                },
                skip_instance_cache=True,
                use_listings_cache=False,
                **kwargs,
            )
            fs.retries = 1  # botocore's tries above are the only ones: bounded once
            return fs
        if self.url.scheme == "gs":
            gcsfs = self._module("gcsfs")
            token = env.get("GOOGLE_APPLICATION_CREDENTIALS") or None
            return gcsfs.GCSFileSystem(
                token=token,
                timeout=s.timeout,
                retries=s.retries + 1,
                skip_instance_cache=True,
                use_listings_cache=False,
            )
        adlfs = self._module("adlfs")
        key = env.get("AZURE_STORAGE_KEY") or None
        return adlfs.AzureBlobFileSystem(
            account_name=self.url.account,
            account_key=key,
            anon=False,
            connection_timeout=int(s.timeout),
            read_timeout=int(s.timeout),
            max_retries=s.retries,
            skip_instance_cache=True,
            use_listings_cache=False,
        )

    def _hook_requests(self) -> bool:
        """S3: count the HTTP requests botocore sends (retries and listing pages included).
        Other stores: one request per call made here."""
        if self.url.scheme != "s3":
            return False
        try:
            self.fs.connect()
            events = self.fs.s3.meta.events
        except Exception:  # no client yet: count the calls instead
            return False

        def sent(**_kwargs: Any) -> None:
            self.stats.count(requests=1)

        events.register("before-send.s3", sent)
        return True

    def _call(self) -> None:
        if not self._count_http:
            self.stats.count(requests=1)

    # --- reading -----------------------------------------------------------------------

    def list(self) -> dict[str, int]:
        """Every object under the repository prefix: path inside the repository -> size.
        Raises the store's exception."""
        root = self.url.key()
        self._call()
        found = self.fs.find(root, detail=True, withdirs=False)
        out: dict[str, int] = {}
        for path, info in found.items():
            rel = path[len(root) :].strip("/") if path.startswith(root) else ""
            if rel and path.endswith("/"):  # a folder marker (an "empty folder" of a console)
                self.folders.add(rel)
                continue
            if not rel or info.get("type") == "directory":
                continue
            out[rel] = int(info.get("size") or 0)
            if len(out) >= MAX_OBJECTS:
                break
        self.stats.objects_listed = len(out)
        return out

    def bucket_exists(self) -> bool:
        self._call()
        return bool(self.fs.exists(self.url.bucket))

    def read(self, rel: str, start: int, end: int) -> bytes:
        """Bytes ``[start, end)`` of one object: one ranged request."""
        self._call()
        data = bytes(self.fs.cat_file(self.url.key(rel), start=start, end=end))
        self.stats.count(nbytes=len(data))
        return data

    def stream(self, rel: str, size: int, block: int = 8 << 20) -> Iterator[bytes]:
        """The whole object in blocks (ranged requests), never all in memory."""
        for start in range(0, size, block):
            yield self.read(rel, start, min(size, start + block))
