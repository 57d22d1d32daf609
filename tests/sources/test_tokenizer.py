"""A tokenizer folder read as JSON data and a model.py read as text (`tokenizer.*`)."""

from __future__ import annotations

import json
import os
from pathlib import Path

from preflight import safe_files
from preflight.sources import tokenizer

CHATGLM = {  # THUDM/chatglm2-6b tokenizer_config.json (tensorrtllm_backend#197)
    "name_or_path": "THUDM/chatglm2-6b",
    "tokenizer_class": "ChatGLMTokenizer",
    "auto_map": {"AutoTokenizer": ["tokenization_chatglm.ChatGLMTokenizer", None]},
}


def _folder(tmp_path: Path, config: object, *files: str) -> Path:
    folder = tmp_path / "tok"
    folder.mkdir()
    (folder / "tokenizer_config.json").write_text(json.dumps(config, indent=2))
    for name in files:
        (folder / name).write_text("x")
    return folder


def test_auto_map_modules_and_the_class_they_name(tmp_path: Path) -> None:
    facts = tokenizer.extract_dir(_folder(tmp_path, CHATGLM, "tokenizer.model"))
    assert facts["tokenizer.auto_tokenizer_class"].value == "ChatGLMTokenizer"
    assert facts["tokenizer.tokenizer_class"].value == "ChatGLMTokenizer"
    [module] = facts["tokenizer.remote_modules"].value
    assert (module["file"], module["present"], module["line"]) == (
        "tokenization_chatglm.py",
        False,
        4,
    )
    assert "tokenizer.class_files" not in facts  # a custom class: files unknown


def test_hub_references_have_no_local_file(tmp_path: Path) -> None:
    config = {"auto_map": {"AutoTokenizer": ["org/repo--tokenization_x.XTokenizer", None]}}
    facts = tokenizer.extract_dir(_folder(tmp_path, config))
    assert facts["tokenizer.remote_modules"].value == []


def test_class_files_take_the_fast_class_of_a_slow_name(tmp_path: Path) -> None:
    llama = {"tokenizer_class": "LlamaTokenizer"}
    with_json = tokenizer.extract_dir(_folder(tmp_path, llama, "tokenizer.json"))
    assert with_json["tokenizer.class_files"].value == "tokenizer.json or tokenizer.model"
    assert with_json["tokenizer.class_files_present"].value is True
    (tmp_path / "tok" / "tokenizer.json").unlink()
    assert tokenizer.extract_dir(tmp_path / "tok")["tokenizer.class_files_present"].value is False


def test_bpe_needs_both_files(tmp_path: Path) -> None:
    facts = tokenizer.extract_dir(
        _folder(tmp_path, {"tokenizer_class": "GPT2Tokenizer"}, "vocab.json")
    )
    assert facts["tokenizer.class_files_present"].value is False


def test_bad_json_and_no_config(tmp_path: Path) -> None:
    folder = tmp_path / "tok"
    folder.mkdir()
    assert tokenizer.extract_dir(folder) == {}
    (folder / "tokenizer_config.json").write_text("{not json")
    facts = tokenizer.extract_dir(folder)
    assert facts["tokenizer.config_read"].value is False
    (folder / "tokenizer_config.json").write_text("[1, 2]")
    assert tokenizer.extract_dir(folder)["tokenizer.config_read"].value is False


def test_loader_reads_the_from_pretrained_call_only(tmp_path: Path) -> None:
    code = tmp_path / "model.py"
    code.write_text(
        "from transformers import AutoTokenizer\n"
        "class TritonPythonModel:\n"
        "    def initialize(self, args):\n"
        "        self.tokenizer = AutoTokenizer.from_pretrained(\n"
        "            tokenizer_dir, padding_side='left')\n"
        "        other(trust_remote_code=True)\n"
    )
    facts = tokenizer.extract_loader(code)
    assert facts["tokenizer.loader_auto_tokenizer"].value is True
    assert facts["tokenizer.loader_trust_remote_code"].value is False
    assert facts["tokenizer.loader_trust_remote_code"].location.line == 4
    code.write_text(
        "tok = AutoTokenizer.from_pretrained(d, legacy=False,\n    trust_remote_code=True)\n"
    )
    assert tokenizer.extract_loader(code)["tokenizer.loader_trust_remote_code"].value is True
    code.write_text("tok = LlamaTokenizer.from_pretrained(d)\n")
    facts = tokenizer.extract_loader(code)
    assert facts["tokenizer.loader_auto_tokenizer"].value is False
    assert "tokenizer.loader_trust_remote_code" not in facts
    assert tokenizer.extract_loader(tmp_path / "missing.py") == {}


def test_hostile_tokenizer_configs(tmp_path: Path) -> None:
    folder = tmp_path / "tok"
    folder.mkdir()
    os.mkfifo(folder / "tokenizer_config.json")  # never opened: it would block
    assert tokenizer.extract_dir(folder) == {}
    (folder / "tokenizer_config.json").unlink()
    (folder / "tokenizer_config.json").write_text("[" * 100000)  # deeper than json recurses
    assert tokenizer.extract_dir(folder)["tokenizer.config_read"].value is False
    (folder / "tokenizer_config.json").write_text(" " * (tokenizer.MAX_BYTES + 1))
    assert "tokenizer.read_error" in tokenizer.extract_dir(folder)
    weird = {"tokenizer_class": 7, "auto_map": {"AutoTokenizer": [None, 3]}}
    (folder / "tokenizer_config.json").write_text(json.dumps(weird))
    assert set(tokenizer.extract_dir(folder)) == {"tokenizer.config_read"}


def test_a_tokenizer_config_linked_out_of_the_repository_is_not_read(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    folder = repo / "tok"
    folder.mkdir(parents=True)
    secret = tmp_path / "secret.json"
    secret.write_text(json.dumps({"tokenizer_class": "LlamaTokenizer"}))
    os.symlink(secret, folder / "tokenizer_config.json")
    with safe_files.confined(repo):
        facts = tokenizer.extract_dir(folder)
    assert "tokenizer.config_read" not in facts
    assert "outside the repository" in facts["tokenizer.read_error"].value
