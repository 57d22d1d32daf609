"""Safe YAML loading that remembers where each key and value sits, for one-line errors."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from . import safe_files
from .errors import YamlError

__all__ = ["Document", "YamlError", "json_path", "load", "parse_data"]

try:  # the C loader is several times faster where libyaml is present
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover - depends on the PyYAML build
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]


MAX_MESSAGE = 300  # characters of one error message: values from the file are cut


def _first_alias(root: yaml.Node | None) -> yaml.Node | None:
    """The first node reached twice: an alias (``*name``). Neither format uses them, and
    expanding them is how a few hundred bytes of YAML become gigabytes."""
    seen: set[int] = set()
    stack = [root] if root is not None else []
    while stack:
        node = stack.pop()
        if id(node) in seen:
            return node
        seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                stack.extend((key, value))
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)
    return None


class Document:
    """A parsed YAML file: its data and its node tree, to point errors at lines."""

    def __init__(self, path: Path, data: Any, root: yaml.Node | None) -> None:
        self.path = path
        self.data = data
        self.root = root

    def where(self, keys: Sequence[str | int]) -> tuple[int, int]:
        """1-based (line, column) of the node at ``keys``, or of its deepest existing parent."""
        node = self.root
        best = (1, 1) if node is None else (node.start_mark.line + 1, node.start_mark.column + 1)
        for key in keys:
            nxt: yaml.Node | None = None
            if isinstance(node, yaml.MappingNode):
                for knode, vnode in node.value:
                    if knode.value == str(key):
                        nxt = vnode
                        best = (knode.start_mark.line + 1, knode.start_mark.column + 1)
                        break
            elif (
                isinstance(node, yaml.SequenceNode)
                and isinstance(key, int)
                and 0 <= key < len(node.value)
            ):
                nxt = node.value[key]
                best = (nxt.start_mark.line + 1, nxt.start_mark.column + 1)
            if nxt is None:
                break
            node = nxt
        return best

    def source_text(self, keys: Sequence[str | int]) -> str | None:
        """The text a scalar was written as (``10.10`` before YAML made it 10.1)."""
        node = self.root
        for key in keys:
            if isinstance(node, yaml.MappingNode):
                node = next((v for k, v in node.value if k.value == str(key)), None)
            elif isinstance(node, yaml.SequenceNode) and isinstance(key, int):
                node = node.value[key] if 0 <= key < len(node.value) else None
            else:
                return None
        return str(node.value) if isinstance(node, yaml.ScalarNode) else None

    def error(self, keys: Sequence[str | int], message: str) -> str:
        line, column = self.where(keys)
        if len(message) > MAX_MESSAGE:
            message = message[: MAX_MESSAGE - 3] + "..."
        return f"{self.path}:{line}:{column}: {json_path(keys)}: {message}"


def json_path(keys: Sequence[str | int]) -> str:
    out = "$"
    for key in keys:
        out += f"[{key}]" if isinstance(key, int) else f".{key}"
    return out


def parse_data(text: str) -> Any:
    """Safe-load trusted YAML (the package's own tables) with the fastest safe loader."""
    return yaml.load(text, Loader=_Loader)


def load(path: Path, kind: str = "settings") -> Document:
    """Read and parse one YAML file safely; a bad file raises YamlError with its line.
    ``kind`` names the size cap (``safe_files.CAPS``): a large file is refused unread."""
    try:
        text = safe_files.read_text(path, kind)
    except OSError as exc:
        raise YamlError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise YamlError(f"{path}: cannot read: not UTF-8 text (byte {exc.start})") from None
    loader = _Loader(text)
    root = None
    try:
        root = loader.get_single_node()  # one parse: the node tree gives lines and the data
        alias = _first_alias(root)
        if alias is not None:
            mark = alias.start_mark
            raise YamlError(
                f"{path}:{mark.line + 1}:{mark.column + 1}: $: YAML anchors and aliases "
                "are not supported here; write the value out"
            )
        data = loader.construct_document(root) if root is not None else None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{mark.line + 1}:{mark.column + 1}" if mark is not None else "1:1"
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise YamlError(f"{path}:{where}: $: invalid YAML: {problem}") from None
    except (RecursionError, MemoryError):
        raise YamlError(f"{path}:1:1: $: invalid YAML: nested too deeply") from None
    except ValueError:  # a scalar YAML types but cannot convert: 5000 digits, 2026-13-45
        mark = _unconvertible(loader, root)
        where = f"{mark.line + 1}:{mark.column + 1}" if mark is not None else "1:1"
        raise YamlError(
            f"{path}:{where}: $: invalid YAML: a number or date that cannot be read; quote it"
        ) from None
    finally:
        loader.dispose()
    return Document(path, data, root)


def _unconvertible(loader: Any, root: yaml.Node | None) -> Any:
    """The start mark of the first scalar whose conversion fails (found after the fact)."""
    stack = [root] if root is not None else []
    while stack:
        node = stack.pop()
        if isinstance(node, yaml.ScalarNode):
            convert = loader.yaml_constructors.get(node.tag)
            try:
                if convert is not None:
                    convert(loader, node)
            except ValueError:
                return node.start_mark
        elif isinstance(node, yaml.MappingNode):
            for key, value in reversed(node.value):
                stack.extend((value, key))
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(reversed(node.value))
    return None
