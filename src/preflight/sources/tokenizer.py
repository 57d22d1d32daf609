"""``tokenizer.*``: a pre/postprocessing model's tokenizer folder and how its model.py loads it.

The folder's ``tokenizer_config.json`` is read as JSON data only (never the tokenizer's code):
``auto_map`` names Python modules (``"AutoTokenizer": ["tokenization_chatglm.ChatGLMTokenizer",
null]``) that Hugging Face ``AutoTokenizer`` imports from the folder, only when the caller
passes ``trust_remote_code=True``; ``tokenizer_class`` names the class whose files must be
there. The model's ``model.py`` is read as text (bounded) for the ``from_pretrained`` call.

Facts, at ``tokenizer_config.json`` (:func:`extract_dir`) or ``model.py`` (:func:`extract_loader`):

- ``config_read``: whether tokenizer_config.json was read as a JSON object; ``read_error``.
- ``tokenizer_class``; ``auto_map``: ``{auto class: "module.Class"}`` (the slow class of a pair
  first); ``auto_tokenizer_class``: the class ``auto_map["AutoTokenizer"]`` names (code in the
  folder: when it is also ``tokenizer_class``, transformers has no class of that name and
  needs the folder's code); ``remote_modules``: one item per module ``auto_map`` names,
  ``{module, file, present}`` (``file`` is ``<module>.py`` in the folder; a ``repo--module``
  reference to another Hub repository has no file here and is left out).
- ``class_files``: for a class of :data:`CLASS_FILES`, the files it loads from, as text
  (``tokenizer.json or tokenizer.model``; with its Fast class's: AutoTokenizer takes that by
  default); ``class_files_present``: whether one alternative is complete in the folder.
- ``loader_auto_tokenizer``: model.py calls ``AutoTokenizer.from_pretrained``;
  ``loader_trust_remote_code``: it passes ``trust_remote_code=True`` (at that line).
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

from .. import safe_files
from ..model import Fact, Facts, Location

NAMESPACES = ("tokenizer",)

MAX_BYTES = 1024 * 1024  # a tokenizer_config.json with a chat template is tens of KB
MAX_CODE_BYTES = 512 * 1024

# The files a tokenizer class loads from (transformers' vocab_files_names): any one complete
# alternative will do. Fast classes also build from the slow files.
_SENTENCEPIECE = [["tokenizer.model"]]
_BPE = [["vocab.json", "merges.txt"]]
CLASS_FILES: dict[str, list[list[str]]] = {
    "LlamaTokenizer": _SENTENCEPIECE,
    "LlamaTokenizerFast": [["tokenizer.json"], *_SENTENCEPIECE],
    "CodeLlamaTokenizer": _SENTENCEPIECE,
    "GemmaTokenizer": _SENTENCEPIECE,
    "GemmaTokenizerFast": [["tokenizer.json"], *_SENTENCEPIECE],
    "T5Tokenizer": [["spiece.model"]],
    "T5TokenizerFast": [["tokenizer.json"], ["spiece.model"]],
    "GPT2Tokenizer": _BPE,
    "GPT2TokenizerFast": [["tokenizer.json"], *_BPE],
    "Qwen2Tokenizer": _BPE,
    "Qwen2TokenizerFast": [["tokenizer.json"], *_BPE],
    "BertTokenizer": [["vocab.txt"]],
    "BertTokenizerFast": [["tokenizer.json"], ["vocab.txt"]],
    "PreTrainedTokenizerFast": [["tokenizer.json"]],
}

_AUTO_CALL = re.compile(r"AutoTokenizer\s*\.\s*from_pretrained\s*\(")
_TRUST = re.compile(r"trust_remote_code\s*=\s*True\b")


def _names(folder: Path) -> set[str]:
    try:
        return {e.name for e in os.scandir(folder) if safe_files.is_file(e)}
    except OSError:
        return set()


def extract_dir(folder: Path) -> Facts:
    """``tokenizer.*`` of a tokenizer folder; none when it has no tokenizer_config.json."""
    path = folder / "tokenizer_config.json"
    if not safe_files.is_file(path):
        return {}
    where = Location(str(path), 1)
    try:
        with safe_files.open_file(path, "tokenizer") as handle:  # the boundary, no FIFO
            raw = handle.read(MAX_BYTES + 1)
    except OSError as exc:
        return {"tokenizer.read_error": Fact(exc.strerror or str(exc), where)}
    if len(raw) > MAX_BYTES:
        return {"tokenizer.read_error": Fact(f"larger than {MAX_BYTES} bytes", where)}
    try:
        text = raw.decode("utf-8-sig")
        data = json.loads(text)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        return {
            "tokenizer.config_read": Fact(False, where),
            "tokenizer.read_error": Fact(f"not JSON: {type(exc).__name__}", where),
        }
    if not isinstance(data, dict):
        return {"tokenizer.config_read": Fact(False, where)}
    out: Facts = {"tokenizer.config_read": Fact(True, where)}
    names = _names(folder)
    lines = text.splitlines()

    def at(key: str) -> Location:
        for number, line in enumerate(lines, 1):
            if f'"{key}"' in line:
                return Location(str(path), number, line.index(f'"{key}"') + 1)
        return where

    cls = data.get("tokenizer_class")
    if isinstance(cls, str) and cls:
        out["tokenizer.tokenizer_class"] = Fact(cls, at("tokenizer_class"))
        needs = CLASS_FILES.get(cls)
        fast = CLASS_FILES.get(cls + "Fast") if not cls.endswith("Fast") else None
        if needs is not None and fast is not None:
            # AutoTokenizer (use_fast by default) takes the Fast class of a slow name
            needs = [*fast, *(option for option in needs if option not in fast)]
        if needs is not None:
            present = any(all(n in names for n in option) for option in needs)
            shown_needs = " or ".join(" + ".join(option) for option in needs)
            out["tokenizer.class_files"] = Fact(shown_needs, at("tokenizer_class"))
            out["tokenizer.class_files_present"] = Fact(present, at("tokenizer_class"))
    auto_map = data.get("auto_map")
    if isinstance(auto_map, dict) and auto_map:
        shown: dict[str, str] = {}
        modules: list[dict[str, Any]] = []
        auto_where = at("auto_map")
        for auto_class, ref in auto_map.items():
            refs = ref if isinstance(ref, list) else [ref]
            refs = [r for r in refs if isinstance(r, str) and r]
            if not refs:
                continue
            shown[str(auto_class)] = refs[0]
            if auto_class == "AutoTokenizer":
                name = refs[0].rsplit(".", 1)[-1]
                out["tokenizer.auto_tokenizer_class"] = Fact(name, auto_where)
            for item in refs:
                if "--" in item:
                    continue  # code in another Hub repository: nothing to find here
                module = item.rsplit(".", 1)[0]
                file = module.replace(".", "/") + ".py"
                if any(m["file"] == file for m in modules):
                    continue
                present = safe_files.is_file(folder / file)
                modules.append(
                    {
                        "module": module,
                        "file": file,
                        "present": present,
                        "path": auto_where.path,
                        "line": auto_where.line,
                        "column": auto_where.column,
                    }
                )
        if shown:
            out["tokenizer.auto_map"] = Fact(shown, auto_where)
            out["tokenizer.remote_modules"] = Fact(modules, auto_where)
    return out


def extract_loader(model_py: Path) -> Facts:
    """``tokenizer.loader_*`` from a Python model's ``model.py``, read as text."""
    try:
        with safe_files.open_file(model_py, "script") as handle:
            text = handle.read(MAX_CODE_BYTES).decode("utf-8", errors="replace")
    except OSError:
        return {}
    call = _AUTO_CALL.search(text)
    if call is None:
        return {"tokenizer.loader_auto_tokenizer": Fact(False, Location(str(model_py), 1))}
    line = text.count("\n", 0, call.start()) + 1
    where = Location(str(model_py), line)
    # the call's arguments: up to its closing parenthesis (bounded)
    depth, end = 0, call.end()
    for index in range(call.end() - 1, min(len(text), call.end() + 2000)):
        if text[index] == "(":
            depth += 1
        elif text[index] == ")":
            depth -= 1
            if depth == 0:
                end = index
                break
    trusted = _TRUST.search(text, call.end(), end) is not None
    return {
        "tokenizer.loader_auto_tokenizer": Fact(True, where),
        "tokenizer.loader_trust_remote_code": Fact(trusted, where),
    }
