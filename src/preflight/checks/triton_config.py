"""config.pbtxt as a file: it parses, every field is known, no template value is left unfilled."""

from __future__ import annotations
