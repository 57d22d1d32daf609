"""The model folder as Triton lays it out: names, version folders, platform and backend, model files, the repository's own folders."""

from __future__ import annotations
