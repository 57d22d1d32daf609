"""The trtllm-build log against the engine directory: a complete build, the same build."""

from __future__ import annotations
