"""Template placeholders that `fill_template.py` fills: ``${name}``. The one definition."""

from __future__ import annotations

import re

# fill_template.py substitutes ${identifier}; anything else between ${ and } is left as written
# and still marks a value nobody filled in.
PLACEHOLDER = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
ANY_PLACEHOLDER = re.compile(r"\$\{[^}]*\}")


def is_unfilled(value: str) -> bool:
    """Whether ``value`` still holds a ``${...}`` that no template filling replaced."""
    return ANY_PLACEHOLDER.search(value) is not None
