"""Build a repository from a rule fixture's case.yaml and run `preflight check` on it."""

from __future__ import annotations

import importlib.util
import io
import json
import shutil
from contextlib import redirect_stderr
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any

import yaml

from preflight.cli import main

ROOT = Path(__file__).resolve().parents[1]
RULE_FIXTURES = ROOT / "tests" / "rules"


@cache
def plan_writer() -> ModuleType:
    path = ROOT / "examples" / "tools" / "make_plan_header.py"
    spec = importlib.util.spec_from_file_location("make_plan_header", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def load_case(folder: Path) -> dict[str, Any]:
    case_file = folder / "case.yaml"
    if not case_file.is_file():
        return {}
    data = yaml.safe_load(case_file.read_text(encoding="utf-8")) or {}
    assert isinstance(data, dict), f"{case_file}: expected a mapping"
    return data


def build_repo(folder: Path, dest: Path) -> tuple[Path, dict[str, Any]]:
    """Lay out the fixture's repository in ``dest`` and return it with the case data."""
    case = load_case(folder)
    repo = dest / "repo"
    if case.get("base"):
        shutil.copytree(ROOT / case["base"], repo, symlinks=True)
    else:
        repo.mkdir(parents=True)
    for item in sorted(folder.rglob("*")):
        rel = item.relative_to(folder)
        if rel.as_posix() == "case.yaml" or item.is_dir():
            continue
        target = repo / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(item, target)
    for rel, text in (case.get("write") or {}).items():
        target = repo / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    for edit in case.get("replace") or []:
        target = repo / edit["path"]
        text = target.read_text(encoding="utf-8")
        assert edit["old"] in text, f"{folder}: {edit['old']!r} not in {edit['path']}"
        target.write_text(text.replace(edit["old"], edit["new"]), encoding="utf-8")
    for rel in case.get("delete") or []:
        target = repo / rel
        if target.is_dir() and not target.is_symlink():
            shutil.rmtree(target)
        else:
            target.unlink()
    for plan in case.get("plan") or []:
        target = repo / plan["path"]
        target.parent.mkdir(parents=True, exist_ok=True)
        data = plan_writer().make_plan(str(plan["trt_version"]), str(plan["cc"]), int(plan["sms"]))
        target.write_bytes(data)
    for link in case.get("symlink") or []:
        target = repo / link["path"]
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.exists() or target.is_symlink():
            target.unlink()
        target.symlink_to(link["to"])
    return repo, case


def run_check(repo: Path, args: list[str], out_dir: Path) -> tuple[int, dict[str, Any], str]:
    out = out_dir / "report.json"
    err = io.StringIO()
    with redirect_stderr(err):
        status = main(["check", str(repo), "--format", "json", "--output", str(out), *args])
    report = json.loads(out.read_text(encoding="utf-8")) if out.exists() else {}
    return status, report, err.getvalue()


def fixture_folders() -> list[tuple[str, str, Path]]:
    found = []
    for rule_dir in sorted(p for p in RULE_FIXTURES.iterdir() if p.is_dir()):
        for kind in ("pass", "fail"):
            folder = rule_dir / kind
            if folder.is_dir():
                found.append((rule_dir.name, kind, folder))
    return found
