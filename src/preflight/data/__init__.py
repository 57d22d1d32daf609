"""Packaged tables and their loaders: GPUs (:mod:`.gpus`), Triton releases (:mod:`.releases`),
TensorRT serialization tags (:mod:`.trt_tags`), unfilled template parameters by what reads them
(:mod:`.placeholders`).

The YAML files sit beside these modules and are read with importlib.resources, once, on first
use. A lookup that cannot be answered raises :class:`preflight.errors.TargetError`.
"""

from __future__ import annotations

from importlib import resources
from typing import Any

from ..yamlmarks import parse_data


def load_table(name: str) -> Any:
    """The parsed content of one packaged table (``gpus.yaml``, ``releases.yaml`` ...)."""
    text = resources.files(__name__).joinpath(name).read_text(encoding="utf-8")
    return parse_data(text)
