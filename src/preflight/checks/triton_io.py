"""Inputs and outputs as Triton validates them: names, data types, dims, reshape, formats."""

from __future__ import annotations
