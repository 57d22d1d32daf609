"""Batching and instance groups as Triton validates them."""

from __future__ import annotations
