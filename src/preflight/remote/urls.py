"""Triton's repository URL forms, parsed as Triton's core parses them (``src/filesystem/``).

- ``s3://bucket/path`` and ``s3://[http://|https://]host:port/bucket/path`` for an
  S3-compatible endpoint (core ``S3FileSystem::CleanPath`` and ``ParsePath``: leading,
  trailing and doubled slashes removed, then the ``host:port`` regex, else the first part is
  the bucket; plain ``http`` unless ``https://`` is written). Triton's client uses path-style
  addressing (``useVirtualAdressing false``), so does preflight.
- ``gs://bucket/path`` (core ``GCSFileSystem::ParsePath``).
- ``as://account/container/path`` (core ``AS_URL_PATTERN``); the account is
  ``AZURE_STORAGE_ACCOUNT`` when set, else the first part without ``.blob.core.windows.net``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass

from ..errors import RepositoryError

# core src/filesystem/implementations/s3.h, S3FileSystem::S3FileSystem
_S3_ENDPOINT = re.compile(
    r"s3://(http://|https://|)([0-9a-zA-Z\-.]+):([0-9]+)/([0-9a-z.\-]+)(((/[0-9a-zA-Z.\-_]+)*)?)"
)
# core src/filesystem/implementations/as.h, AS_URL_PATTERN
_AS = re.compile(r"as://([^/]+)/([^/?]+)(?:/([^?]*))?(\?.*)?")
_AZURE_HOST = ".blob.core.windows.net"


@dataclass(frozen=True, slots=True)
class StoreURL:
    scheme: str  # "s3", "gs" or "as"
    bucket: str  # the bucket, or the Azure container
    prefix: str  # the repository's key prefix, without leading or trailing "/"
    text: str  # the URL as shown in reports (cleaned, no trailing "/")
    endpoint: str | None = None  # s3: "http://host:port" of an S3-compatible store
    account: str | None = None  # as: the storage account

    def key(self, rel: str = "") -> str:
        """The store path of ``rel`` (a "/" path inside the repository) for fsspec."""
        parts = [p for p in (self.bucket, self.prefix, rel.strip("/")) if p]
        return "/".join(parts)

    def url_of(self, rel: str) -> str:
        rel = rel.strip("/")
        return f"{self.text}/{rel}" if rel else self.text


def _clean_s3(url: str) -> str:
    """core ``S3FileSystem::CleanPath``: scheme kept, slashes trimmed and collapsed."""
    path = url[len("s3://") :]
    clean = "s3://"
    for proto in ("https://", "http://"):
        at = path.find(proto)
        if at != -1:
            path = path[at + len(proto) :]
            clean += proto
            break
    trimmed = path.strip("/")
    if not trimmed:
        raise RepositoryError(f"{url}: invalid bucket name: '{path}'")
    return clean + re.sub(r"/{2,}", "/", trimmed)


def parse(url: str, environ: Mapping[str, str] | None = None) -> StoreURL:
    """The store, bucket and prefix ``url`` names; :class:`RepositoryError` (one line) when it
    is not one of Triton's forms."""
    env = os.environ if environ is None else environ
    if url.startswith("s3://"):
        clean = _clean_s3(url)
        match = _S3_ENDPOINT.fullmatch(clean)
        if match:
            proto, host, port, bucket, path = match.group(1, 2, 3, 4, 5)
            scheme = "https" if proto == "https://" else "http"
            return StoreURL(
                "s3", bucket, path.strip("/"), clean, endpoint=f"{scheme}://{host}:{port}"
            )
        rest = clean[len("s3://") :]
        for proto in ("https://", "http://"):
            rest = rest.removeprefix(proto)
        bucket, _, path = rest.partition("/")
        if not bucket or ":" in bucket:
            raise RepositoryError(
                f"{url}: no bucket name found in the path (expected s3://bucket/path or "
                "s3://host:port/bucket/path)"
            )
        return StoreURL("s3", bucket, path.strip("/"), clean)
    if url.startswith("gs://"):
        rest = re.sub(r"/{2,}", "/", url[len("gs://") :]).strip("/")
        bucket, _, path = rest.partition("/")
        if not bucket:
            raise RepositoryError(f"{url}: no bucket name found in the path (gs://bucket/path)")
        return StoreURL("gs", bucket, path.strip("/"), f"gs://{rest}")
    if url.startswith("as://"):
        match = _AS.fullmatch(url.rstrip("/"))
        if not match:
            raise RepositoryError(
                f"{url}: not an Azure Storage path (expected as://account/container/path)"
            )
        host, container, blob, _query = match.groups()
        host = host.split(_AZURE_HOST)[0] if _AZURE_HOST in host else host
        account = env.get("AZURE_STORAGE_ACCOUNT") or host
        blob = re.sub(r"/{2,}", "/", blob or "").strip("/")
        text = f"as://{match.group(1)}/{container}" + (f"/{blob}" if blob else "")
        return StoreURL("as", container, blob, text, account=account)
    raise RepositoryError(f"{url}: not a store URL (s3://, gs:// or as://)")
