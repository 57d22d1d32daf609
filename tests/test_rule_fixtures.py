"""Every rule alone against its pass and fail fixture, through `preflight check`.

Like ruff's rule tests: a fixture runs its rule and no other (prerequisites named in `after:`
are not run), and the complete list of its results is compared with the snapshot stored beside
case.yaml (`results.yaml`; `results.no-gpu.yaml` for a `gpu-only` case run without a GPU).
`PREFLIGHT_UPDATE_SNAPSHOTS=1` rewrites the snapshots; without it a missing one fails.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import triton_server
from rule_cases import (
    RULE_FIXTURES,
    UPDATE_SNAPSHOTS,
    build_repo,
    fixture_folders,
    load_case,
    read_snapshot,
    run_rule,
    snapshot_of,
    write_snapshot,
)

from preflight.rules.loader import builtin_rules_dir, load_rules

CASES = fixture_folders()

# Fail fixtures none of whose failures has a line, because what fails is not a line of text:
# a binary engine file, a folder, or the verdict of a live server. Every other fail fixture must
# point at the failing line (test_fail_fixtures_point_at_a_line).
NO_LINE = {
    "PF001": "the run's deployment target, located at the repository folder",
    "PF002": "the run's deployment target (none), located at the repository folder",
    "PF003": "the repository folder itself (the folder above a repository)",
    "PF130": "a model folder (its name is in two repositories)",
    "PF131": "an object in the store that cannot be read (binary or not, no line is read)",
    "TLLM005": "a rank engine file that is missing",
    "TLLM007": "a binary engine file the build log does not account for",
    "TLLM120": "a binary rank engine too large for the GPU (its size)",
    "TRITON005": "a model folder without config.pbtxt",
    "TRITON007": "a version folder (its name)",
    "TRITON008": "a version folder (its name)",
    "TRITON023": "a folder of the repository that is not a model",
    "TRITON024": "the repository folder itself",
    "TRITON080": "the deployment target (a release the tables do not know), not a file",
    "TRITON082": "the deployment target (a release known to break a backend), not a file",
    "TRITON083": "the deployment target (host driver against the image), not a file",
    "TRITON084": "the deployment target (host driver against the release notes), not a file",
    "TRITON085": "the deployment target (GPU against the release), not a file",
    "TRITON090": "the server URL (nothing listens there); located at the repository folder",
    "TRITON091": "the live server's verdict on the model, not a line of its config.pbtxt",
    "TRT001": "a binary engine file",
    "TRT002": "a binary engine file",
    "TRT003": "a binary engine file",
    "TRT004": "the engine folder (its rank engines disagree)",
    "TRT005": "a binary engine file",
    "TRT006": "a binary engine file",
    "TRT007": "a binary engine file (its checksum)",
    "TRT008": "a binary engine file",
    "TRT010": "a binary plan file (the plugin names in its bytes)",
}


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


def _stabilizer(repo: Path, tmp_path: Path, server: str | None) -> Any:
    """Rewrite what changes from run to run: the temporary folders and a live server's URL."""
    swaps = [(str(p), "<repo>") for p in dict.fromkeys((repo.resolve(), repo))]
    swaps += [(str(p), "<tmp>") for p in dict.fromkeys((tmp_path.resolve(), tmp_path))]
    if server:
        swaps.insert(0, (server, "<server>"))

    def stable(text: str) -> str:
        for old, new in swaps:
            text = text.replace(old, new)
        return text

    return stable


def _compare(snapshot: Path, got: list[dict[str, Any]], update: bool = UPDATE_SNAPSHOTS) -> None:
    if update:
        write_snapshot(snapshot, got)
        return
    rel = snapshot.relative_to(snapshot.parents[3])
    assert snapshot.is_file(), f"{rel} is missing: run with PREFLIGHT_UPDATE_SNAPSHOTS=1"
    assert got == read_snapshot(snapshot), (
        f"results differ from {rel} (PREFLIGHT_UPDATE_SNAPSHOTS=1 rewrites it)"
    )


def _matches(want: dict[str, Any], result: dict[str, Any]) -> bool:
    location = result.get("location", {})
    return (
        result["status"] == want.get("status", "fail")
        and want.get("message", "") in result["message"]
        and ("path" not in want or location.get("path") == want["path"])
        and ("line" not in want or location.get("line") == want["line"])
    )


@contextlib.contextmanager
def _in_store(repo: Path, store: dict[str, Any]) -> Iterator[str]:
    """``repo`` in a bucket of a real S3 API server (tests/s3_server.py); ``store: {archived:
    [path]}`` puts those objects in the GLACIER storage class (listed, not readable)."""
    pytest.importorskip("s3fs")
    import os

    import s3_server

    archived = set((store or {}).get("archived") or [])
    saved = {k: os.environ.get(k) for k in s3_server.KEYS}
    os.environ.update(s3_server.KEYS)
    try:
        with s3_server.in_process() as endpoint:
            s3 = s3_server.client(endpoint)
            s3.create_bucket(Bucket="fixture")
            for path in sorted(p for p in repo.rglob("*") if p.is_file()):
                rel = path.relative_to(repo).as_posix()
                extra = {"StorageClass": "GLACIER"} if rel in archived else {}
                s3.put_object(Bucket="fixture", Key=f"repo/{rel}", Body=path.read_bytes(), **extra)
            yield f"s3://{endpoint.removeprefix('http://')}/fixture/repo"
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@pytest.mark.parametrize(
    ("rule_id", "kind", "folder"), CASES, ids=[f"{r}-{k}" for r, k, _ in CASES]
)
def test_rule_fixture(rule_id: str, kind: str, folder: Path, tmp_path: Path) -> None:
    repo, case = build_repo(folder, tmp_path)
    # <repo> in an argument: the fixture's repository (a second one: --model-repository)
    args = [str(a).replace("<repo>", str(repo)) for a in case.get("args") or []]
    server = None
    with contextlib.ExitStack() as stack:
        if case.get("server"):
            server = stack.enter_context(live_server(repo, tmp_path))
            args += ["--server", server]
        checked: Any = repo
        if case.get("store"):  # the repository uploaded to a real S3 API server, checked there
            checked = server = stack.enter_context(_in_store(repo, case["store"]))
        status, report, stderr = run_rule(checked, rule_id, args, tmp_path)
    assert status in (0, 1), f"preflight stopped with {status}: {stderr}"
    results = report["results"]
    others = sorted({r["rule"] for r in results} - {rule_id})
    assert not others, f"{rule_id} ran with other rules: {others}"
    assert results, f"{rule_id} produced no result on its {kind} fixture"
    got = snapshot_of(results, _stabilizer(repo, tmp_path, server))
    outside = [r for r in got if r["path"] and r["path"].startswith(("<repo>", "<tmp>", "/"))]
    assert not outside, f"locations not relative to the repository: {outside}"

    skipped = [r for r in results if r["status"] == "skip"]
    if kind == "pass" and case.get("gpu-only") and skipped:
        assert len(skipped) == len(results), results
        # Why this machine cannot run it (no driver, no TensorRT) varies between machines.
        for row in got:
            row["message"] = re.sub(r"\bskipped\b.*", "skipped: <why>", row["message"], flags=re.S)
        _compare(folder / "results.no-gpu.yaml", got)
        pytest.skip(f"{rule_id} needs TensorRT and a GPU here: {skipped[0]['message']}")
    _compare(folder / "results.yaml", got)

    if kind == "pass":
        bad = [r for r in results if r["status"] != "pass"]
        assert not bad, f"{rule_id} pass fixture: {bad}"
        assert status == 0
    else:
        assert any(r["status"] == "fail" for r in results), f"{rule_id} fail fixture passed"
        assert status == 1 or all(
            r["severity"] != "error" for r in results if r["status"] == "fail"
        )
    for want in case.get("expect") or []:
        assert any(_matches(want, r) for r in results), f"{rule_id}: no result matches {want}"


def test_a_snapshot_catches_an_extra_a_missing_and_a_changed_result(tmp_path: Path) -> None:
    snapshot = tmp_path / "rules" / "X001" / "fail" / "results.yaml"
    snapshot.parent.mkdir(parents=True)
    one = {
        "status": "fail",
        "severity": "error",
        "path": "m/config.pbtxt",
        "line": 3,
        "message": "m: x",
    }
    two = {**one, "line": 7, "message": "m: y"}
    with pytest.raises(AssertionError, match="is missing"):
        _compare(snapshot, [one], update=False)
    _compare(snapshot, [one, two], update=True)
    _compare(snapshot, [one, two], update=False)
    for got in ([one], [one, two, {**two, "line": 8}], [one, {**two, "message": "m: z"}]):
        with pytest.raises(AssertionError, match="results differ"):
            _compare(snapshot, got, update=False)


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


def test_every_fixture_folder_has_a_snapshot() -> None:
    missing = [
        f"{rule_id}/{kind}"
        for rule_id, kind, folder in CASES
        if not (folder / "results.yaml").is_file()
        and not (load_case(folder).get("gpu-only") and (folder / "results.no-gpu.yaml").is_file())
    ]
    assert not missing, f"fixtures without results.yaml: {missing}"
    stray = [
        f"{rule_id}/{kind}"
        for rule_id, kind, folder in CASES
        if (folder / "results.no-gpu.yaml").is_file() and not load_case(folder).get("gpu-only")
    ]
    assert not stray, f"results.no-gpu.yaml in fixtures that are not gpu-only: {stray}"


def test_fail_fixtures_point_at_a_line() -> None:
    """A failure on a text artifact names its line; exceptions are listed in NO_LINE."""
    without_line, stale = [], []
    for rule_id, kind, folder in CASES:
        snapshot = folder / "results.yaml"
        if kind != "fail" or not snapshot.is_file():
            continue
        fails = [r for r in read_snapshot(snapshot) if r["status"] == "fail"]
        has_line = any(r["line"] for r in fails)
        if not has_line and rule_id not in NO_LINE:
            without_line.append(f"{rule_id}: {[(r['path'], r['message']) for r in fails]}")
        if has_line and rule_id in NO_LINE:
            stale.append(rule_id)
    assert not without_line, "fail fixtures with no line:\n" + "\n".join(without_line)
    assert not stale, f"NO_LINE lists rules whose failures have a line: {stale}"


def test_no_line_exceptions_name_real_fixtures() -> None:
    fail_fixtures = {r for r, k, _ in CASES if k == "fail"}
    assert not sorted(set(NO_LINE) - fail_fixtures)


def test_snapshots_hold_no_run_specific_text() -> None:
    """No temporary folder and no timing in a snapshot: they must compare equal run after run."""
    timing = re.compile(r"\b\d+(\.\d+)?\s?(ms|s|seconds?)\b")
    bad = []
    for folder in sorted(RULE_FIXTURES.glob("*/*")):
        for snapshot in sorted(folder.glob("results*.yaml")):
            text = snapshot.read_text(encoding="utf-8")
            if "/tmp" in text or "pytest-of-" in text or timing.search(text):
                bad.append(str(snapshot.relative_to(RULE_FIXTURES)))
    assert not bad, f"run-specific text in {bad}"
