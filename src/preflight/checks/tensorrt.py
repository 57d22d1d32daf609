"""TensorRT engines against the TensorRT and GPU that will load them."""

from __future__ import annotations
