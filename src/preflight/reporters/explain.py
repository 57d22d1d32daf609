"""``explain RULE``: what one rule checks, why, an example, how to fix it, its options."""

from __future__ import annotations

from typing import TextIO

from preflight.model import Rule


def to_text(rule: Rule) -> str:
    out = [
        f"{rule.id} {rule.name} ({rule.severity.value}, applies to {rule.applies_to})",
        "",
        rule.title,
    ]
    if rule.why:
        out += ["", "Why:", f"  {rule.why.strip()}"]
    if rule.example:
        out += ["", "Example:"] + [f"  {line}" for line in rule.example.strip().splitlines()]
    out += ["", "How to fix:", f"  {rule.remediation.strip()}"]
    if rule.options:
        out += [
            "",
            "Options (set in .preflight.yaml under rules: {" + rule.id + ": {options: ...}}):",
        ]
        out += [f"  {k} = {v!r}: {rule.option_help.get(k, '')}" for k, v in rule.options.items()]
    out += ["", f"Docs: {rule.docs}"]
    return "\n".join(out) + "\n"


def render(rule: Rule, out: TextIO) -> None:
    out.write(to_text(rule))
