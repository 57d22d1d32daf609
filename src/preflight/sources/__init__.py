"""Sources: one module per artifact, each parsing it into facts (see docs/design.md)."""

from __future__ import annotations

# The integrity manifest `preflight manifest write` leaves in an engine directory; named here so
# that looking for one does not import the hashing code.
MANIFEST_NAME = "preflight-manifest.json"
