"""Reporters: everything preflight prints, one format per module.

``check`` reports: each format's module exposes
``render(result: RunResult, out: TextIO, **options) -> None``; the options are ``color``,
``verbose``, ``quiet``, ``statistics``, ``rules`` (rule metadata), ``root`` (the checkout
root CI formats make paths relative to) and ``fail_on``, and a format ignores the options it
has no use for. ``REPORTERS`` maps a ``--format`` name to a
render function that imports its module only when first called, so importing this package stays
cheap for the CLI. ``RULE_REPORTERS`` (``rules --format``), ``EXPLAIN`` (``explain``) and
``FACTS_REPORTERS`` (``facts --format``) do the same for the other commands.

The helpers the formats share (path display, the contract ``summary``, grouping by model,
a stable order of results) are in :mod:`preflight.reporters.shared`; this module stays light,
so that the CLI reads the format names without importing any of them.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

__all__ = [
    "EXPLAIN",
    "FACTS_FORMATS",
    "FACTS_REPORTERS",
    "FORMATS",
    "REPORTERS",
    "RULE_FORMATS",
    "RULE_REPORTERS",
]

Renderer = Callable[..., None]

# --format name -> module under preflight.reporters, per command
_MODULES: dict[str, str] = {
    "text": "human",
    "json": "json_report",
    "sarif": "sarif",
    "junit": "junit",
    "github": "github",
    "gitlab": "gitlab",
}
_RULE_MODULES: dict[str, str] = {"text": "rules_text", "json": "rules_json", "md": "rules_md"}
_FACTS_MODULES: dict[str, str] = {"json": "facts_json", "text": "facts_text"}

FORMATS: tuple[str, ...] = tuple(_MODULES)
RULE_FORMATS: tuple[str, ...] = tuple(_RULE_MODULES)
FACTS_FORMATS: tuple[str, ...] = tuple(_FACTS_MODULES)


def _lazy(module: str) -> Renderer:
    def render(*args: Any, **options: Any) -> None:
        importlib.import_module(f"{__name__}.{module}").render(*args, **options)

    render.__name__ = f"render_{module}"
    render.__qualname__ = render.__name__
    render.__doc__ = f"Render with preflight.reporters.{module} (imported on use)."
    return render


REPORTERS: dict[str, Renderer] = {name: _lazy(module) for name, module in _MODULES.items()}
RULE_REPORTERS: dict[str, Renderer] = {
    name: _lazy(module) for name, module in _RULE_MODULES.items()
}
FACTS_REPORTERS: dict[str, Renderer] = {
    name: _lazy(module) for name, module in _FACTS_MODULES.items()
}
EXPLAIN: Renderer = _lazy("explain")
