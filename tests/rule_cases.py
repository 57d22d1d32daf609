"""Build a repository from a rule fixture's case.yaml and run `preflight check` on it, with
every rule or with one rule alone, and keep its results as a snapshot beside case.yaml."""

from __future__ import annotations

import importlib.util
import io
import json
import os
import shutil
from collections.abc import Callable
from contextlib import redirect_stderr
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any

import yaml

from preflight.cli import main

ROOT = Path(__file__).resolve().parents[1]
RULE_FIXTURES = ROOT / "tests" / "rules"
# Files of a fixture folder that describe the case and are not copied into the repository.
CASE_FILES = ("case.yaml", "results.yaml", "results.no-gpu.yaml")
UPDATE_SNAPSHOTS = os.environ.get("PREFLIGHT_UPDATE_SNAPSHOTS") == "1"


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
        if rel.as_posix() in CASE_FILES or item.is_dir():
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
        if plan.get("size"):
            _grow_weights(target, data, int(plan["size"]))
    for link in case.get("symlink") or []:
        target = repo / link["path"]
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.exists() or target.is_symlink():
            target.unlink()
        target.symlink_to(link["to"])
    return repo, case


def _grow_weights(target: Path, data: bytes, size: int) -> None:
    """Make the plan at ``target`` a sparse file of ``size`` bytes (a real engine's size) whose
    header declares it: the weights section (the last one, 10.6 and later) takes the rest."""
    trailer = plan_writer().TRAILER
    count = int.from_bytes(data[8:16], "little")
    entry = 32 + 24 * (count - 1)  # the last section's table entry: tag, u32, u64 offset, size
    offset = int.from_bytes(data[entry + 8 : entry + 16], "little")
    weights = (size - len(trailer) - offset) // 8 * 8
    total = offset + weights + len(trailer)
    with target.open("r+b") as handle:
        handle.seek(16)
        handle.write(total.to_bytes(8, "little"))
        handle.seek(entry + 16)
        handle.write(weights.to_bytes(8, "little"))
        handle.truncate(offset + weights)
        handle.seek(offset + weights)
        handle.write(trailer)


def run_check(repo: Path, args: list[str], out_dir: Path) -> tuple[int, dict[str, Any], str]:
    out = out_dir / "report.json"
    err = io.StringIO()
    with redirect_stderr(err):
        status = main(["check", str(repo), "--format", "json", "--output", str(out), *args])
    report = json.loads(out.read_text(encoding="utf-8")) if out.exists() else {}
    return status, report, err.getvalue()


def run_rule(
    repo: Path, rule_id: str, args: list[str], out_dir: Path
) -> tuple[int, dict[str, Any], str]:
    """`preflight check --format json --select RULE` on ``repo``: the rule alone, as a user
    selects it. Rules named in its ``after:`` are not evaluated, so nothing is skipped because
    a prerequisite failed."""
    return run_check(repo, [*args, "--select", rule_id], out_dir)


def snapshot_of(
    results: list[dict[str, Any]], stable: Callable[[str], str]
) -> list[dict[str, Any]]:
    """The snapshot form of a report's results, in a stable order; ``stable`` rewrites text that
    changes from run to run (temporary folders, server ports)."""
    rows = []
    for r in results:
        location = r.get("location") or {}
        path = location.get("path")
        rows.append(
            {
                "status": r["status"],
                "severity": r["severity"],
                "path": None if path is None else stable(path),
                "line": location.get("line"),
                "message": stable(r["message"]),
            }
        )
    return sorted(rows, key=lambda r: (r["path"] or "", r["line"] or 0, r["status"], r["message"]))


def read_snapshot(path: Path) -> list[dict[str, Any]]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(data, list), f"{path}: expected a list of results"
    return data


def write_snapshot(path: Path, rows: list[dict[str, Any]]) -> None:
    text = yaml.safe_dump(rows, sort_keys=False, allow_unicode=True, width=10_000)
    path.write_text(
        "# Generated by tests/test_rule_fixtures.py; regenerate with PREFLIGHT_UPDATE_SNAPSHOTS=1.\n"
        + text,
        encoding="utf-8",
    )


def fixture_folders() -> list[tuple[str, str, Path]]:
    found = []
    for rule_dir in sorted(p for p in RULE_FIXTURES.iterdir() if p.is_dir()):
        for kind in ("pass", "fail"):
            folder = rule_dir / kind
            if folder.is_dir():
                found.append((rule_dir.name, kind, folder))
    return found
