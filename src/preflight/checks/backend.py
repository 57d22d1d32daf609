"""The tensorrtllm backend's parameters against the engine and the models around it."""

from __future__ import annotations
