"""Every rule against its pass and fail fixture, end to end through `preflight check`."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import pytest
import triton_server
from rule_cases import RULE_FIXTURES, build_repo, fixture_folders, run_check

from preflight.rules.loader import builtin_rules_dir, load_rules

CASES = fixture_folders()


@contextlib.contextmanager
def live_server(repo: Path, workdir: Path) -> Iterator[str]:
    """A real tritonserver over ``repo`` with every model loaded; yields its HTTP URL."""
    reason = triton_server.skip_reason()
    if reason:
        pytest.skip(reason)
    with triton_server.TritonServer([repo], workdir / "server") as server:
        for model in sorted(p.name for p in repo.iterdir() if (p / "config.pbtxt").is_file()):
            server.load(model)
        yield f"http://{triton_server.HOST}:{server.http_port}"


@pytest.mark.parametrize(
    ("rule_id", "kind", "folder"), CASES, ids=[f"{r}-{k}" for r, k, _ in CASES]
)
def test_rule_fixture(rule_id: str, kind: str, folder: Path, tmp_path: Path) -> None:
    repo, case = build_repo(folder, tmp_path)
    args = list(case.get("args") or [])
    with contextlib.ExitStack() as stack:
        if case.get("server"):
            args += ["--server", stack.enter_context(live_server(repo, tmp_path))]
        status, report, stderr = run_check(repo, args, tmp_path)
    assert status in (0, 1), f"preflight stopped with {status}: {stderr}"
    mine = [r for r in report["results"] if r["rule"] == rule_id]
    assert mine, f"{rule_id} produced no result on its {kind} fixture"
    if kind == "pass" and case.get("gpu-only"):
        skipped = [r for r in mine if r["status"] == "skip"]
        if skipped:
            assert all(r["status"] == "skip" for r in mine), mine
            pytest.skip(f"{rule_id} needs TensorRT and a GPU here: {skipped[0]['message']}")
    if kind == "pass":
        bad = [r for r in mine if r["status"] != "pass"]
        assert not bad, f"{rule_id} pass fixture: {bad}"
    else:
        assert any(r["status"] == "fail" for r in mine), f"{rule_id} fail fixture passed: {mine}"
        assert status == 1 or all(r["severity"] != "error" for r in mine if r["status"] == "fail")
        for want in case.get("expect") or []:
            matches = [
                r
                for r in mine
                if r["status"] == want.get("status", "fail")
                and want.get("message", "") in r["message"]
                and ("path" not in want or r.get("location", {}).get("path") == want["path"])
                and ("line" not in want or r.get("location", {}).get("line") == want["line"])
            ]
            assert matches, f"{rule_id}: no result matches {want}; got {mine}"


def test_every_rule_has_pass_and_fail_fixtures() -> None:
    rules = load_rules([(builtin_rules_dir(), True)])
    missing = [
        f"{rule.id}/{kind}"
        for rule in rules
        for kind in ("pass", "fail")
        if not (RULE_FIXTURES / rule.id / kind).is_dir()
    ]
    assert not missing, f"rules without fixtures: {missing}"


def test_fixture_folders_name_real_rules() -> None:
    ids = {rule.id for rule in load_rules([(builtin_rules_dir(), True)])}
    orphans = sorted({r for r, _, _ in CASES} - ids)
    assert not orphans, f"fixtures for unknown rules: {orphans}"
