"""Property: ``preflight check`` (and ``facts``) on a generated hostile repository keeps the CLI
contract: exit 0/1/2 (0/1 when the hostile part is an artifact inside the repository, a finding,
not a failure to run), one line per problem, no traceback, no internal error, bounded time,
and nothing read from outside the repository shows in the output.

Each example is the example repository with one artifact replaced by a hostile one (the
strategies of test_prop_parsers), or with hostile entries added to its tree: odd names, links
leaving the repository, link loops, FIFOs, links to /dev/zero and to /, unreadable entries.
"""

from __future__ import annotations

import itertools
import os
import shutil
import stat
from pathlib import Path
from typing import Any

import pytest
from hypothesis import strategies as st
from prop_kit import (
    PARSER_SECONDS,
    REPORT_FILES,
    TARGET,
    as_root,
    assert_contract,
    assert_reports,
    copy_example,
    encode,
    one_of_list,
    report_options,
    run_cli,
    run_property,
    sizes,
    time_bound,
    token,
)
from test_prop_parsers import (
    build_logs,
    config_jsons,
    engines,
    generated_pbtxt,
    manifests,
    pbtxts,
    rule_yamls,
    settings_yamls,
)

SECRET = "SECRET-OUTSIDE-4242"


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("fuzzcli")
    outside = base / "outside"
    (outside / "model" / "1").mkdir(parents=True)
    (outside / "secret.txt").write_text(f"{SECRET}\n")
    (outside / "model" / "config.pbtxt").write_text(f'name: "{SECRET}"\nbackend: "{SECRET}"\n')
    return base


_counter = itertools.count()


def fresh_repo(scratch: Path) -> Path:
    return copy_example(scratch / f"ex{next(_counter)}")


def remove(repo: Path) -> None:
    """Make everything writable again (unreadable entries) and delete the copy."""
    for folder, dirs, _files in os.walk(repo.parent):
        for name in dirs:
            p = Path(folder) / name
            if not p.is_symlink():
                p.chmod(0o755)
    repo.parent.chmod(0o755)
    shutil.rmtree(repo.parent, ignore_errors=True)


def check(repo: Path, *extra: str) -> Any:
    return run_cli("check", str(repo), *TARGET, "--color", "never", *extra)


def check_all_formats(repo: Path) -> Any:
    """One run, every report: the text one on stdout, the others beside the repository."""
    res = check(repo, *report_options(repo.parent))
    if res.status in (0, 1):
        assert_reports(repo.parent)
        for file in REPORT_FILES.values():
            assert SECRET not in (repo.parent / file).read_text(encoding="utf-8"), file
    return res


def no_secret(res: Any) -> None:
    assert SECRET not in res.out + res.err, res


# --- one artifact replaced ------------------------------------------------------------------

# slot -> (path in the repository, strategy, statuses allowed)
ARTIFACTS: dict[str, tuple[str, Any, tuple[int, ...]]] = {
    "build_log": ("tensorrt_llm/1/build.log", build_logs, (0, 1)),
    "engine": ("tensorrt_llm/1/rank0.engine", engines, (0, 1)),
    "config_json": ("tensorrt_llm/1/config.json", config_jsons, (0, 1)),
    "config_pbtxt": ("tensorrt_llm/config.pbtxt", pbtxts, (0, 1)),
    "ensemble_pbtxt": ("ensemble/config.pbtxt", pbtxts, (0, 1)),
    "manifest": ("tensorrt_llm/1/preflight-manifest.json", manifests, (0, 1)),
    # invalid settings or rules stop the run: status 2, one line per problem
    "preflight_yaml": (".preflight.yaml", settings_yamls, (0, 1, 2)),
    "rule_yaml": (".rules/TLLM999.yaml", rule_yamls, (0, 1, 2)),
}
# `preflight facts` reads these alone
FACTS_OPTION = {
    "build_log": "--build-log",
    "engine": "--engine",
    "config_json": "--engine-config",
    "config_pbtxt": "--pbtxt",
}


@pytest.mark.parametrize("slot", list(ARTIFACTS))
@pytest.mark.parametrize("examples", sizes(10, slow_divisor=4))
def test_check_on_a_repository_with_a_hostile_artifact(
    slot: str, examples: int, scratch: Path
) -> None:
    relative, strategy, statuses = ARTIFACTS[slot]

    def cli(data: bytes) -> None:
        repo = fresh_repo(scratch)
        try:
            path = repo / relative
            path.parent.mkdir(exist_ok=True)
            path.write_bytes(data)
            if slot == "rule_yaml":
                with (repo / ".preflight.yaml").open("a") as fh:
                    fh.write("rule-dirs: [.rules]\n")
            res = check_all_formats(repo)
            assert_contract(res, statuses)
            if slot in ("manifest", "engine"):
                verify = run_cli("manifest", "verify", str(path.parent))
                assert_contract(verify, (0, 1), text=False)
            if slot in FACTS_OPTION:
                facts = run_cli("facts", FACTS_OPTION[slot], str(path))
                assert_contract(facts, (0, 1, 2), text=False)
        finally:
            remove(repo)

    cli.__name__ = f"cli_{slot}"
    assert run_property(examples, strategy, cli) > 0


# --- hostile entries in the tree ------------------------------------------------------------

KINDS = [
    "dir",
    "file",
    "config",
    "link-out-file",
    "link-out-dir",
    "link-root",
    "link-loop",
    "link-parent",
    "link-dangling",
    "link-dev-zero",
    "fifo",
    "unreadable-file",
    "unreadable-dir",
]
NAMES = [
    "1",
    "0",
    "01",
    "-1",
    "2_old",
    "١",  # Arabic-Indic one
    "²",
    "9" * 200,
    ".hidden",
    "...",
    " ",
    "config.pbtxt",
    "config.json",
    "build.log",
    "rank0.engine",
    "rank1.engine",
    "model.plan",
    "model.py",
    "preflight-manifest.json",
    ".preflight.yaml",
    "tokenizer",
    "a\nb",
    "\x1b[31mred",
    "é",
    "x" * 255,
]
PARENTS = [
    "",
    "tensorrt_llm",
    "tensorrt_llm/1",
    "ensemble",
    "ensemble/1",
    "preprocessing",
    "preprocessing/1",
    "newmodel",
]
names = one_of_list(NAMES) | st.text(
    st.characters(blacklist_characters="/\x00", blacklist_categories=("Cs",)),
    min_size=1,
    max_size=12,
)
entries = st.lists(
    st.tuples(one_of_list(PARENTS), names, one_of_list(KINDS), token | generated_pbtxt()),
    min_size=1,
    max_size=6,
)


def plant(repo: Path, outside: Path, parent: str, name: str, kind: str, content: Any) -> None:
    """Put one hostile entry at REPO/parent/name (replacing what is there); a name the file
    system refuses (too long, '.'...) is skipped."""
    folder = repo / parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / name
        if path.is_symlink() or (os.path.lexists(path) and not path.is_dir()):
            path.unlink()  # a file, a link, a FIFO (writing into one would wait for a reader)
        elif path.is_dir():
            shutil.rmtree(path)
        data = content if isinstance(content, bytes) else encode(content)
        if kind == "dir":
            path.mkdir()
        elif kind == "file":
            path.write_bytes(data)
        elif kind == "config":
            path.mkdir()
            (path / "config.pbtxt").write_bytes(data)
        elif kind == "link-out-file":
            path.symlink_to(outside / "secret.txt")
        elif kind == "link-out-dir":
            path.symlink_to(outside / "model")
        elif kind == "link-root":
            path.symlink_to("/")
        elif kind == "link-loop":
            path.symlink_to(path.name)
        elif kind == "link-parent":
            path.symlink_to("..")
        elif kind == "link-dangling":
            path.symlink_to(outside / "absent")
        elif kind == "link-dev-zero":
            path.symlink_to("/dev/zero")
        elif kind == "fifo":
            os.mkfifo(path)
        elif kind == "unreadable-file":
            path.write_bytes(data)
            path.chmod(0)
        elif kind == "unreadable-dir":
            path.mkdir()
            (path / "config.pbtxt").write_text('name: "x"\n')
            path.chmod(0)
    except (OSError, ValueError):
        pass


@pytest.mark.parametrize("examples", sizes(20, slow_divisor=4))
def test_check_and_layout_walk_on_a_hostile_tree(examples: int, scratch: Path) -> None:
    from preflight import safe_files
    from preflight.sources import triton_layout

    def layout_walk(planted: list[tuple[str, str, str, Any]]) -> None:
        repo = fresh_repo(scratch)
        try:
            for parent, name, kind, content in planted:
                plant(repo, scratch / "outside", parent, name, kind, content)
            with safe_files.confined(repo), time_bound(PARSER_SECONDS):
                facts = triton_layout.extract_repository(repo)
                for name in facts["repo.models"].value:
                    triton_layout.extract_model(repo / name)
            no_secret_in(facts)
            res = check_all_formats(repo)
            # a .preflight.yaml that cannot be read stops the run (status 2), naming it
            settings_planted = any(p == "" and n == ".preflight.yaml" for p, n, _, _ in planted)
            assert_contract(res, (0, 1, 2) if settings_planted else (0, 1))
            assert res.status != 2 or ".preflight.yaml" in res.err, res
            no_secret(res)
            facts = run_cli("facts", "--repo", str(repo))
            assert_contract(facts, (0, 1, 2), text=False)
            no_secret(facts)
        finally:
            remove(repo)

    assert run_property(examples, entries, layout_walk) > 0


def no_secret_in(facts: Any) -> None:
    assert SECRET not in repr({k: v.value for k, v in facts.items()})


# Every artifact slot x every special file kind, exhaustively (a small space: no sampling).
SLOTS = [
    "tensorrt_llm/config.pbtxt",
    "tensorrt_llm/1/build.log",
    "tensorrt_llm/1/config.json",
    "tensorrt_llm/1/rank0.engine",
    "tensorrt_llm/1/preflight-manifest.json",
    "tensorrt_llm/1",
    "ensemble",
    "preprocessing/1/tokenizer",
    "postprocessing/1/model.py",
    ".preflight.yaml",
]
SPECIAL = [
    "link-out-file",
    "link-out-dir",
    "link-root",
    "link-loop",
    "link-parent",
    "link-dangling",
    "link-dev-zero",
    "fifo",
]


@pytest.mark.parametrize("kind", [*SPECIAL, "unreadable-file", "unreadable-dir"])
@pytest.mark.parametrize("slot", SLOTS)
def test_special_file_in_each_slot(slot: str, kind: str, scratch: Path) -> None:
    if kind.startswith("unreadable") and as_root():
        pytest.skip("root reads a file whatever its mode")
    repo = fresh_repo(scratch)
    try:
        parent, _, name = slot.rpartition("/")
        plant(repo, scratch / "outside", parent, name, kind, b"x")
        assert os.path.lexists(repo / slot)
        if kind == "fifo":
            assert stat.S_ISFIFO(os.lstat(repo / slot).st_mode)
        res = check(repo)
        # settings that cannot be read stop the run (status 2, one line)
        assert_contract(res, (0, 1, 2) if slot == ".preflight.yaml" else (0, 1))
        no_secret(res)
        # and the repository holds the same after the run: nothing written through a link
        assert (scratch / "outside" / "secret.txt").read_text() == f"{SECRET}\n"
    finally:
        remove(repo)
