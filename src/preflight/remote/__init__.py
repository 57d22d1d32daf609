"""Model repositories where Triton reads them: object storage (``s3://``, ``gs://``, ``as://``).

Kept light: :func:`is_remote` is all the command line needs to decide; the store clients
(fsspec with ``s3fs``, ``gcsfs`` or ``adlfs``, optional extras) are imported only when a remote
URL is checked. ``urls`` parses Triton's URL forms, ``store`` talks to the store (listing,
ranged reads, counted), ``staging`` lays the repository out in a temporary folder that the
unchanged scan reads.
"""

from __future__ import annotations

SCHEMES = ("s3://", "gs://", "as://")


def is_remote(text: str) -> bool:
    """Whether a repository argument names object storage, as Triton tells them apart."""
    return text.startswith(SCHEMES)
