"""preflight: stop a broken model before it reaches a Triton Inference Server."""

__version__ = "0.1.0"
