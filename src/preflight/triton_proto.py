"""Triton's ``ModelConfig`` protobuf schema, shared by the config.pbtxt source and the checks.

The source parses a file into a plain dict (:func:`to_plain`); a check rebuilds the message
from that dict (:func:`from_plain`) to read it with protobuf's own defaults and presence.
Nothing here reads a model repository.
"""

from __future__ import annotations

import base64
import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any, cast

_PB2_NAME = "tritonclient.grpc.model_config_pb2"


def load_model_config_pb2() -> ModuleType:
    """tritonclient's generated ``model_config_pb2``, loaded without grpc and numpy.

    The package ``tritonclient/grpc/__init__.py`` imports grpc (and numpy), about ten times
    the cost of the generated module alone (see ``benchmarks/bench_pbtxt_import.py``), so
    the module file is loaded directly under its usual name; the ordinary import is the
    fallback when that is not possible.
    """
    loaded = sys.modules.get(_PB2_NAME)
    if loaded is not None:
        return loaded
    try:
        spec = importlib.util.find_spec("tritonclient")
        roots = list(spec.submodule_search_locations or []) if spec else []
        for root in roots:
            file = Path(root) / "grpc" / "model_config_pb2.py"
            if not file.is_file():
                continue
            direct = importlib.util.spec_from_file_location(_PB2_NAME, file)
            if direct is None or direct.loader is None:
                break
            module = importlib.util.module_from_spec(direct)
            sys.modules[_PB2_NAME] = module
            try:
                direct.loader.exec_module(module)
            except Exception:
                sys.modules.pop(_PB2_NAME, None)
                raise
            return module
    except Exception:  # fall back to the ordinary import below
        pass
    import tritonclient.grpc.model_config_pb2 as pb2

    return cast(ModuleType, pb2)


def to_plain(message: Any) -> dict[str, Any]:
    """The fields a message has set, as JSON-like values: ints stay ints, enums become their
    names (a number no name has stays a number), maps become dicts with string keys, bytes
    become base64. :func:`from_plain` reads it back into an equal message."""
    return {fd.name: _field(fd, value) for fd, value in message.ListFields()}


def _field(fd: Any, value: Any) -> Any:
    if is_map(fd):
        inner = fd.message_type.fields_by_name["value"]
        return {str(k): _scalar(inner, v) for k, v in value.items()}
    if is_repeated(fd):
        return [_scalar(fd, v) for v in value]
    return _scalar(fd, value)


def _scalar(fd: Any, value: Any) -> Any:
    if fd.message_type is not None:
        return to_plain(value)
    if fd.enum_type is not None:
        known = fd.enum_type.values_by_number.get(value)
        return known.name if known is not None else int(value)
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    return value


def is_repeated(fd: Any) -> bool:
    """Whether a field descriptor is a repeated field (a map is one too)."""
    flag = getattr(type(fd), "is_repeated", None)
    if flag is not None:  # protobuf >= 5.29: ``label`` is deprecated
        return bool(fd.is_repeated)
    return bool(fd.label == fd.LABEL_REPEATED)


def is_map(fd: Any) -> bool:
    """Whether a field descriptor is a map field."""
    entry = fd.message_type
    return bool(entry is not None and entry.GetOptions().map_entry)


def from_plain(value: dict[str, Any]) -> Any:
    """A ``ModelConfig`` message rebuilt from :func:`to_plain`'s dict."""
    from google.protobuf import json_format

    message = load_model_config_pb2().ModelConfig()
    json_format.ParseDict(value, message)
    return message
