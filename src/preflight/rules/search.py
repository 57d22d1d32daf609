"""Find the rule behind a pasted error line: ``preflight explain "<message text>"``.

Triton, TensorRT and TensorRT-LLM print lines whose names and numbers vary ("failed to load
'my_model' version 3: ... expecting library version 10.3.0.26 got 10.11.0.33"). Both the
pasted text and each rule's ``example``, ``message``/``messages`` and ``title`` are reduced to
their words, without numbers, quoted names, paths and template fields; a rule scores by the
share of the pasted words it holds, each word weighted by how rare it is among the rules
(inverse document frequency), with the best single line of its example compared as text on
top. Pure functions over :class:`~preflight.model.Rule`; nothing is read.
"""

from __future__ import annotations

import difflib
import math
import re
from dataclasses import dataclass

from ..model import Rule

__all__ = ["Match", "looks_like_message", "search"]

_FIELD = re.compile(r"\{[^{}]*\}")  # a template field of a rule message
# a quoted name ('my_model', "onnxruntime"); a quoted sentence (a rule quoting Triton) stays
_QUOTED = re.compile(r"'[^'\s]{0,200}'|\"[^\"\s]{0,200}\"|`[^`\s]{0,200}`")
_PATH = re.compile(r"(?:[A-Za-z]:)?(?:/[\w.+-]+){2,}/?")
_HEX = re.compile(r"\b0x[0-9a-fA-F]+\b")
_NUMBER = re.compile(r"\d+(?:\.\d+)*")
_WORD = re.compile(r"[a-z][a-z_]+")
_STOP = frozenset(
    {
        "a", "an", "and", "are", "as", "at", "be", "but", "by", "for", "from", "has", "have",
        "if", "in", "into", "is", "it", "its", "of", "on", "or", "so", "than", "that", "the",
        "then", "this", "to", "was", "were", "will", "with", "not", "no", "can", "cannot",
    }
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Match:
    rule: Rule
    score: float


def _normal(text: str) -> str:
    text = _FIELD.sub(" ", text)
    text = _QUOTED.sub(" q ", text)
    text = _PATH.sub(" p ", text)
    text = _HEX.sub(" ", text)
    text = _NUMBER.sub(" ", text)
    return " ".join(text.lower().split())


def _words(text: str) -> set[str]:
    return {w for w in _WORD.findall(_normal(text)) if w not in _STOP and len(w) > 2}


def _example_lines(rule: Rule) -> list[str]:
    lines = []
    for line in (rule.example or "").splitlines():
        code = line.split("   #", 1)[0].strip()
        if len(code) > 12:
            lines.append(_normal(code))
    return lines


def _corpus(rule: Rule) -> str:
    return " ".join([rule.example, rule.message, *rule.messages.values(), rule.title, rule.name])


def looks_like_message(text: str) -> bool:
    """A pasted line rather than a rule id or name: it has white space or punctuation."""
    return bool(re.search(r"\s|[:'\"()\[\]]", text.strip()))


def search(rules: list[Rule], text: str, limit: int = 3, floor: float = 0.25) -> list[Match]:
    """The rules that best explain ``text``, best first, at most ``limit``, each scoring at
    least ``floor`` (0..1)."""
    query = _words(text)
    if not query:
        return []
    docs = {rule.id: _words(_corpus(rule)) for rule in rules}
    count = len(rules) or 1

    def idf(word: str) -> float:
        holders = sum(1 for words in docs.values() if word in words)
        return math.log((count + 1) / (holders + 1)) + 1.0

    weights = {w: idf(w) for w in query}
    total = sum(weights.values())
    normal = _normal(text)
    scored = []
    for rule in rules:
        shared = sum(weights[w] for w in query & docs[rule.id])
        overlap = shared / total if total else 0.0
        lines = _example_lines(rule)
        similar = max(
            (difflib.SequenceMatcher(None, normal, line).ratio() for line in lines), default=0.0
        )
        score = 0.7 * overlap + 0.3 * similar
        if score >= floor:
            scored.append(Match(rule, round(score, 3)))
    scored.sort(key=lambda m: (-m.score, m.rule.id))
    return scored[:limit]
