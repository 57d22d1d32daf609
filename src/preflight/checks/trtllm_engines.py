"""The engine directory of a TensorRT-LLM model: found, complete, consistent, as manifested."""

from __future__ import annotations
