"""The evaluator: the only part that sees both facts and rules.

It selects subjects by a rule's ``applies-to``, evaluates conditions with typed operators
(:mod:`.operators`), runs named checks (:mod:`preflight.checks`), renders the rule's message
templates, orders rules by ``after:`` and applies suppressions (:mod:`.suppress`).
"""

from __future__ import annotations

from .run import DEFAULT_MISSING_MESSAGE, RuleSettings, evaluate, evaluate_rule

__all__ = ["DEFAULT_MISSING_MESSAGE", "RuleSettings", "evaluate", "evaluate_rule"]
