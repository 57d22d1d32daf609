"""A model's parsed config.pbtxt for the Triton checks: the ``ModelConfig`` message rebuilt
from the ``triton.config`` fact, and locations of its fields from ``triton.locations``."""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from ..facts import value_of
from ..model import Facts, Location
from ..triton_proto import from_plain
from . import MissingFact

# id(value) -> (value, message). Holding the value keeps its id from being reused while the
# entry lives; every check of one model reads the same fact value, so it is rebuilt once.
_CACHE: OrderedDict[int, tuple[Any, Any]] = OrderedDict()
_CACHE_SIZE = 4096  # evaluation goes rule by rule over every model: room for a large repository


def message_of(value: dict[str, Any]) -> Any:
    """The ``ModelConfig`` message of a ``triton.config`` value (memoised per value)."""
    hit = _CACHE.get(id(value))
    if hit is not None and hit[0] is value:
        _CACHE.move_to_end(id(value))
        return hit[1]
    message = from_plain(value)
    _CACHE[id(value)] = (value, message)
    while len(_CACHE) > _CACHE_SIZE:
        _CACHE.popitem(last=False)
    return message


@dataclass(frozen=True, slots=True)
class Config:
    """One model's config: the message, the folder name and where its fields are."""

    message: Any
    model: str  # the model folder's name (Triton names the model after it)
    path: str  # the config.pbtxt
    locations: dict[str, list[int]]

    def at(self, field: str | None = None) -> Location:
        """Where ``field`` sits; line 1 of the file when it is not written there."""
        pos = self.locations.get(field) if field else None
        if pos is None:
            return Location(self.path, 1, None)
        return Location(self.path, pos[0], pos[1])

    def has(self, field: str) -> bool:
        return field in self.locations


def config_path(facts: Facts) -> str:
    """The model's config.pbtxt, also when it is missing or does not parse."""
    path = value_of(facts, "triton.config_path")
    if isinstance(path, str):
        return path
    for key in ("layout.config_file", "triton.config"):
        found = facts.get(key)
        if found is not None and found.location is not None:
            return found.location.path
    raise MissingFact("triton.config_path")


def model_name(facts: Facts) -> str:
    """The model folder's name."""
    name = value_of(facts, "layout.folder_name")
    if not isinstance(name, str):
        raise MissingFact("layout.folder_name")
    return name


def config(facts: Facts) -> Config:
    """The model's parsed config; raises MissingFact("triton.config") when it does not parse."""
    value = value_of(facts, "triton.config")
    if not isinstance(value, dict):
        raise MissingFact("triton.config")
    locations = value_of(facts, "triton.locations")
    return Config(
        message_of(value),
        model_name(facts),
        config_path(facts),
        locations if isinstance(locations, dict) else {},
    )


def resolved(facts: Facts, msg: Any | None = None) -> tuple[str, str, str]:
    """(platform, backend, default_model_filename) after Triton's auto-complete
    (``autocomplete.*``, derive/autocomplete.py); the config's own values when those facts are
    absent (a check run on facts without the derivation)."""
    got = [value_of(facts, f"autocomplete.{k}") for k in _RESOLVED]
    if all(isinstance(v, str) for v in got):
        return str(got[0]), str(got[1]), str(got[2])
    if msg is None:
        return "", "", ""
    return str(msg.platform), str(msg.backend), str(msg.default_model_filename)


_RESOLVED = ("platform", "backend", "default_model_filename")


def is_tensorrt(msg: Any, facts: Facts | None = None) -> bool:
    """Whether the TensorRT backend serves the model: the backend after auto-complete (a
    ``model.plan`` with no platform in the config is one). A set backend wins over the
    platform: Triton loads ``platform: "tensorrt_plan"`` beside ``backend: "python"`` with the
    Python backend (tests/agreement variant lenient_platform_with_python_backend)."""
    if facts is not None:
        _, backend, _ = resolved(facts, msg)
        if backend:
            return backend == "tensorrt"
    if msg.backend:
        return bool(msg.backend == "tensorrt")
    return bool(msg.platform == "tensorrt_plan")
