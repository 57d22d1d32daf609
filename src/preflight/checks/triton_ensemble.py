"""Ensembles: their own config, the data flow between steps, the models they call."""

from __future__ import annotations
