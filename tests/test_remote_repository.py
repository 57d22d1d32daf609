"""Repositories where Triton reads them (issue 13): object storage through a real S3 API server
(moto's, on 127.0.0.1; real clients over HTTP), and several repositories in one run."""

from __future__ import annotations

import json
import os
import shutil
import struct
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("s3fs")
pytest.importorskip("moto")

import s3_server
from rule_cases import plan_writer

from preflight.remote import staging, store, urls
from preflight.sources import trt_engine

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "model_repo"
TARGET = ["--target-gpu", "RTX 4060 Ti", "--triton-version", "25.06"]
BUCKET = "models"
GiB = 1 << 30


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "PREFLIGHT_"))}
    env.update(s3_server.KEYS, AWS_DEFAULT_REGION="us-east-1", AWS_EC2_METADATA_DISABLED="true")
    env.update(extra)
    return env


def _check(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "preflight.cli", "check", *args],
        capture_output=True,
        text=True,
        env=env or _env(),
        timeout=120,
        check=False,
    )


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    with s3_server.in_process() as endpoint:
        s3 = s3_server.client(endpoint)
        s3.create_bucket(Bucket=BUCKET)
        s3_server.upload_tree(s3, BUCKET, "example", EXAMPLE)
        yield endpoint


def _url(endpoint: str, path: str) -> str:
    return f"s3://{endpoint.removeprefix('http://')}/{BUCKET}/{path}"


def _verdicts(report: dict[str, Any]) -> list[tuple[str, str, str, str, int | None]]:
    """Rule, status, severity, location (relative to the repository), line of every result."""
    out = []
    for r in report["results"]:
        loc = r.get("location") or {}
        out.append((r["rule"], r["status"], r["severity"], loc.get("path", ""), loc.get("line")))
    return sorted(out)


# --- URLs --------------------------------------------------------------------------------


def test_triton_url_forms() -> None:
    u = urls.parse("s3://bucket//repo/models/")
    assert (u.bucket, u.prefix, u.endpoint, u.text) == (
        "bucket",
        "repo/models",
        None,
        "s3://bucket/repo/models",
    )
    u = urls.parse("s3://https://minio.local:9000/bucket/repo")
    assert (u.endpoint, u.bucket, u.prefix) == ("https://minio.local:9000", "bucket", "repo")
    u = urls.parse("s3://10.0.0.1:9000/bucket")
    assert (u.endpoint, u.bucket, u.prefix) == ("http://10.0.0.1:9000", "bucket", "")
    u = urls.parse("gs://bucket/a/b")
    assert (u.scheme, u.bucket, u.prefix) == ("gs", "bucket", "a/b")
    u = urls.parse("as://acct.blob.core.windows.net/container/repo", environ={})
    assert (u.account, u.bucket, u.prefix) == ("acct", "container", "repo")
    u = urls.parse("as://acct/container/repo", environ={"AZURE_STORAGE_ACCOUNT": "other"})
    assert u.account == "other"


# --- the example, remote against local ---------------------------------------------------


def test_example_in_s3_gives_the_local_verdicts(server: str) -> None:
    local = _check(str(EXAMPLE), *TARGET, "--format", "json")
    remote = _check(_url(server, "example"), *TARGET, "--format", "json", "-v")
    assert local.returncode == remote.returncode == 0, remote.stderr
    lo, re_ = json.loads(local.stdout), json.loads(remote.stdout)
    assert re_["repo"] == _url(server, "example")
    remote_only = [v for v in _verdicts(re_) if v[0] == "PF131"]
    assert remote_only == [("PF131", "pass", "error", ".", None)]
    assert _verdicts(lo) == [v for v in _verdicts(re_) if v[0] != "PF131"]
    assert "run" not in lo  # one local repository: the report's shape is unchanged
    stats = re_["run"]["stores"][_url(server, "example")]
    assert stats["objects_listed"] == sum(1 for p in EXAMPLE.rglob("*") if p.is_file())
    assert stats["requests"] >= 1 and stats["bytes_read"] > 0
    assert stats["manifest_hashes"] == "not-checked"
    assert any("SHA-256 not computed" in n for n in re_["notes"])


def test_text_report_names_the_url(server: str) -> None:
    proc = _check(_url(server, "example"), *TARGET, "-v")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[0] == f"preflight 0.1.0: {_url(server, 'example')}"
    assert f"{_url(server, 'example')}/tensorrt_llm/config.pbtxt:" in proc.stdout
    assert "objects listed" in proc.stdout and "bytes read in" in proc.stdout
    assert "/tmp/preflight-remote-" not in proc.stdout


def test_verify_hashes_streams_and_catches_a_changed_engine(server: str) -> None:
    s3 = s3_server.client(server)
    s3_server.upload_tree(s3, BUCKET, "changed", EXAMPLE)
    engine = (EXAMPLE / "tensorrt_llm" / "1" / "rank0.engine").read_bytes()
    changed = engine[:-5] + bytes([engine[-5] ^ 1]) + engine[-4:]  # same size, other bytes
    s3.put_object(Bucket=BUCKET, Key="changed/tensorrt_llm/1/rank0.engine", Body=changed)
    plain = _check(_url(server, "changed"), *TARGET, "--format", "json")
    assert plain.returncode == 0  # sizes and headers only: the change is not seen, and said so
    assert any("SHA-256 not computed" in n for n in json.loads(plain.stdout)["notes"])
    verified = _check(_url(server, "changed"), *TARGET, "--format", "json", "--verify-hashes")
    assert verified.returncode == 1
    fails = [r for r in json.loads(verified.stdout)["results"] if r["status"] == "fail"]
    assert [r["location"]["path"] for r in fails] == ["tensorrt_llm/1/rank0.engine"]
    assert "sha256" in fails[0]["message"].lower() or "SHA-256" in fails[0]["message"]
    clean = _check(_url(server, "example"), *TARGET, "--format", "json", "--verify-hashes")
    assert clean.returncode == 0
    meta = json.loads(clean.stdout)["run"]["stores"][_url(server, "example")]
    assert meta["manifest_hashes"] == "streamed"


# --- a 10 GB engine: a few KB read --------------------------------------------------------


def _sparse_plan(path: Path, total: int) -> None:
    plan = bytearray(plan_writer().make_plan("10.10.0.31", "8.9", 34))
    wght_entry = 32 + 24
    wght_at = struct.unpack_from("<Q", plan, wght_entry + 8)[0]
    struct.pack_into("<Q", plan, 16, total)
    struct.pack_into("<Q", plan, wght_entry + 16, total - len(trt_engine.TRAILER) - wght_at)
    with path.open("wb") as fh:
        fh.write(plan[:wght_at])
        fh.seek(total - len(trt_engine.TRAILER))
        fh.write(trt_engine.TRAILER)


def test_ten_gb_engine_read_by_its_header(server: str, tmp_path: Path) -> None:
    big = tmp_path / "rank0.engine"
    _sparse_plan(big, 10 * GiB)
    s3 = s3_server.client(server)
    key = "big/tensorrt_llm/1/rank0.engine"
    s3.put_object(Bucket=BUCKET, Key=key, Body=big.open("rb").read(8192))
    lazy = s3_server.serve_from_file(BUCKET, key, big)
    url = urls.parse(_url(server, "big"))
    st = store.Store(url, store.StoreSettings(), environ=_env())
    listing = st.list()
    assert listing == {"tensorrt_llm/1/rank0.engine": 10 * GiB}
    dest = tmp_path / "staged"
    dest.mkdir()
    staged = staging.stage(st, dest, listing)
    assert staged.unreadable == [] and staged.sparse == 1
    local_facts = trt_engine.read_header(big)
    assert local_facts["truncated"] is False and local_facts["size_bytes"] == 10 * GiB
    assert trt_engine.read_header(dest / "tensorrt_llm/1/rank0.engine") == local_facts
    assert st.stats.bytes_read < 64 * 1024, st.stats
    assert lazy.served == st.stats.bytes_read  # the server agrees with the client's count
    assert os.stat(dest / "tensorrt_llm/1/rank0.engine").st_blocks * 512 < 1 << 20  # sparse


def test_truncated_engine_in_s3_is_truncated(server: str, tmp_path: Path) -> None:
    whole = tmp_path / "whole.engine"
    _sparse_plan(whole, 1 << 20)
    s3 = s3_server.client(server)
    s3.put_object(Bucket=BUCKET, Key="cut/e/rank0.engine", Body=whole.read_bytes()[:700_000])
    st = store.Store(urls.parse(_url(server, "cut")), store.StoreSettings(), environ=_env())
    dest = tmp_path / "s"
    dest.mkdir()
    staging.stage(st, dest, st.list())
    cut = tmp_path / "cut.engine"
    cut.write_bytes(whole.read_bytes()[:700_000])
    remote = trt_engine.read_header(dest / "e" / "rank0.engine")
    assert remote == trt_engine.read_header(cut) and remote["truncated"] is True


# --- failures of the store -----------------------------------------------------------------


def test_missing_bucket_and_empty_prefix_are_one_line(server: str) -> None:
    nobucket = _check(f"s3://{server.removeprefix('http://')}/no-such-bucket/x", *TARGET)
    assert nobucket.returncode == 2
    assert nobucket.stderr.strip().endswith("no such bucket: no-such-bucket")
    assert len(nobucket.stderr.strip().splitlines()) == 1
    empty = _check(_url(server, "nothing/here"), *TARGET)
    assert empty.returncode == 2
    assert "nothing under this path" in empty.stderr
    assert len(empty.stderr.strip().splitlines()) == 1


def test_unreachable_endpoint_is_one_bounded_line() -> None:
    port = s3_server.free_port()
    proc = _check(
        f"s3://127.0.0.1:{port}/bucket/repo",
        *TARGET,
        "--store-retries",
        "1",
        "--store-timeout",
        "2",
    )
    assert proc.returncode == 2
    line = proc.stderr.strip()
    assert len(line.splitlines()) == 1
    assert f"cannot reach http://127.0.0.1:{port}" in line and "2 tries" in line


def test_no_credentials_is_one_line(server: str, tmp_path: Path) -> None:
    env = _env(
        AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "none"), AWS_CONFIG_FILE=str(tmp_path / "none")
    )
    for key in s3_server.KEYS:
        env.pop(key)
    proc = _check(_url(server, "example"), *TARGET, env=env)
    assert proc.returncode == 2
    assert "no credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY" in proc.stderr


def test_wrong_keys_are_access_denied_and_no_secret_is_printed() -> None:
    # the server checks credentials after the two set-up requests; no user has these keys
    with s3_server.subprocess_server({"INITIAL_NO_AUTH_ACTION_COUNT": "2"}) as endpoint:
        s3 = s3_server.client(endpoint)
        s3.create_bucket(Bucket=BUCKET)
        s3.put_object(Bucket=BUCKET, Key="repo/m/config.pbtxt", Body=b'name: "m"\n')
        proc = _check(f"s3://{endpoint.removeprefix('http://')}/{BUCKET}/repo", *TARGET)
    assert proc.returncode == 2
    assert "access denied: the store does not accept these credentials" in proc.stderr
    assert s3_server.KEYS["AWS_SECRET_ACCESS_KEY"] not in proc.stderr + proc.stdout


def test_an_unreadable_object_inside_is_a_finding(server: str) -> None:
    s3 = s3_server.client(server)
    s3_server.upload_tree(s3, BUCKET, "archived", EXAMPLE)
    key = "archived/tensorrt_llm/1/config.json"
    body = (EXAMPLE / "tensorrt_llm" / "1" / "config.json").read_bytes() * 20  # over 64 KiB
    s3.put_object(Bucket=BUCKET, Key=key, Body=body, StorageClass="GLACIER")
    proc = _check(_url(server, "archived"), *TARGET, "--format", "json")
    assert proc.returncode == 1, proc.stderr
    fails = [r for r in json.loads(proc.stdout)["results"] if r["rule"] == "PF131"]
    assert len(fails) == 1 and fails[0]["status"] == "fail"
    assert fails[0]["location"]["path"] == "tensorrt_llm/1/config.json"
    assert "cannot read this object from the store: archived" in fails[0]["message"]


def test_an_object_gone_after_the_listing_is_kept_not_raised(server: str, tmp_path: Path) -> None:
    s3 = s3_server.client(server)
    s3_server.upload_tree(s3, BUCKET, "racing", EXAMPLE)
    st = store.Store(urls.parse(_url(server, "racing")), store.StoreSettings(), environ=_env())
    listing = st.list()
    s3.delete_object(Bucket=BUCKET, Key="racing/tensorrt_llm/config.pbtxt")
    dest = tmp_path / "s"
    dest.mkdir()
    staged = staging.stage(st, dest, listing)
    assert staged.unreadable == [("tensorrt_llm/config.pbtxt", "not found in the store")]


def test_a_missing_extra_is_named() -> None:
    pytest.importorskip("s3fs")
    try:
        import gcsfs  # noqa: F401
    except ImportError:
        proc = _check("gs://bucket/repo", *TARGET)
        assert proc.returncode == 2
        assert "needs the gcs extra: pip install 'triton-preflight[gcs]'" in proc.stderr
    else:
        pytest.skip("gcsfs is installed")


def test_deserialize_is_refused_for_a_store() -> None:
    proc = _check("s3://bucket/repo", *TARGET, "--deserialize")
    assert proc.returncode == 2 and "run it on a local copy" in proc.stderr


# --- several repositories -------------------------------------------------------------------


def _split_example(tmp_path: Path) -> tuple[Path, Path]:
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    for name in ("preprocessing", "postprocessing", "ensemble"):
        shutil.copytree(EXAMPLE / name, a / name)
    shutil.copytree(EXAMPLE / "tensorrt_llm", b / "tensorrt_llm")
    return a, b


def test_two_repositories_with_a_duplicated_model_fail_with_tritons_reason(tmp_path: Path) -> None:
    a, b = _split_example(tmp_path)
    shutil.copytree(EXAMPLE / "preprocessing", b / "preprocessing")
    proc = _check(str(a), str(b), *TARGET, "--format", "json", "--select", "PF130")
    assert proc.returncode == 1, proc.stderr
    report = json.loads(proc.stdout)
    fails = [r for r in report["results"] if r["status"] == "fail"]
    assert len(fails) == 2  # both copies: Triton unloads both
    for r in fails:
        assert r["rule"] == "PF130"
        assert (
            "failed to poll model 'preprocessing': not unique across all model repositories"
            in r["message"]
        )
    assert report["run"]["repositories"] == [str(a), str(b)]
    text = _check(str(a), str(b), *TARGET).stdout
    assert "not unique across all model repositories (also in " in text


def test_two_repositories_without_duplicates_pass(tmp_path: Path) -> None:
    a, b = _split_example(tmp_path)
    shutil.copy(EXAMPLE / ".preflight.yaml", a / ".preflight.yaml")
    proc = _check(str(a), str(b), *TARGET, "--format", "json", "--select", "PF130")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    passes = [r for r in json.loads(proc.stdout)["results"] if r["rule"] == "PF130"]
    assert len(passes) == 4 and all(r["status"] == "pass" for r in passes)


def test_one_local_repository_has_no_multi_repository_results() -> None:
    proc = _check(str(EXAMPLE), *TARGET, "--format", "json")
    rules = {r["rule"] for r in json.loads(proc.stdout)["results"]}
    assert not rules & {"PF130", "PF131"}


def test_an_ensemble_may_call_a_model_of_another_repository(tmp_path: Path) -> None:
    a, b = _split_example(tmp_path)  # the ensemble in a, the tensorrt_llm model it calls in b
    alone = _check(str(a), *TARGET, "--format", "json", "--select", "TRITON019")
    assert alone.returncode == 1  # a alone lacks the model: Triton would refuse the ensemble
    both = _check(str(a), str(b), *TARGET, "--format", "json", "--select", "TRITON019")
    assert both.returncode == 0, both.stdout
    results = json.loads(both.stdout)["results"]
    assert [r["status"] for r in results if r["rule"] == "TRITON019"] == ["pass"]


def test_model_repository_flag_adds_a_repository(tmp_path: Path) -> None:
    a, b = _split_example(tmp_path)
    proc = _check(str(a), "--model-repository", str(b), *TARGET, "--format", "json")
    assert proc.returncode == 0, proc.stdout
    assert json.loads(proc.stdout)["run"]["repositories"] == [str(a), str(b)]


def test_sarif_names_the_objects_by_url(server: str) -> None:
    s3 = s3_server.client(server)
    s3_server.upload_tree(s3, BUCKET, "sarif", EXAMPLE)
    text = (EXAMPLE / "postprocessing" / "config.pbtxt").read_text()
    broken = text.replace("max_batch_size: 8", "max_batch_size: ${x}")
    assert broken != text
    s3.put_object(Bucket=BUCKET, Key="sarif/postprocessing/config.pbtxt", Body=broken.encode())
    proc = _check(_url(server, "sarif"), *TARGET, "--format", "sarif", "--select", "TRITON001")
    assert proc.returncode == 1, proc.stderr
    uris = {
        loc["physicalLocation"]["artifactLocation"]["uri"]
        for run in json.loads(proc.stdout)["runs"]
        for res in run["results"]
        for loc in res.get("locations", [])
    }
    assert uris == {_url(server, "sarif") + "/postprocessing/config.pbtxt"}


def test_tritons_credential_file_is_read(server: str, tmp_path: Path) -> None:
    """TRITON_CLOUD_CREDENTIAL_PATH: credentials by path prefix, the longest matching one."""
    env = _env()
    for key in s3_server.KEYS:
        env.pop(key)
    creds = tmp_path / "creds.json"
    good = {"key_id": s3_server.KEYS["AWS_ACCESS_KEY_ID"], "secret_key": "x" * 12}
    creds.write_text(json.dumps({"s3": {"s3://": {"key_id": ""}, _url(server, "ex"): good}}))
    env["TRITON_CLOUD_CREDENTIAL_PATH"] = str(creds)
    proc = _check(_url(server, "example"), *TARGET, env=env)
    assert proc.returncode == 0, proc.stderr
    creds.write_text(json.dumps({"s3": {"s3://elsewhere": good}}))
    proc = _check(_url(server, "example"), *TARGET, env=env)
    assert proc.returncode == 2
    assert "holds no 's3' credential whose name is a prefix of this path" in proc.stderr


def test_throttling_is_named() -> None:
    from botocore.exceptions import ClientError

    st = store.Store(urls.parse("s3://bucket/repo"), store.StoreSettings(retries=2), environ={})
    error = {"Error": {"Code": "SlowDown", "Message": "Please reduce your request rate."}}
    text = store.describe(ClientError(error, "ListObjectsV2"), st)
    assert text.startswith("the store is throttling requests") and "3 tries" in text


def test_a_folder_marker_is_a_folder(server: str, tmp_path: Path) -> None:
    """A console's "create folder" writes an empty key ending in '/': Triton's listing shows
    the folder (a version folder without files), so does the staged repository."""
    s3 = s3_server.client(server)
    s3.put_object(Bucket=BUCKET, Key="marker/m/config.pbtxt", Body=b'name: "m"\n')
    s3.put_object(Bucket=BUCKET, Key="marker/m/1/", Body=b"")
    st = store.Store(urls.parse(_url(server, "marker")), store.StoreSettings(), environ=_env())
    dest = tmp_path / "s"
    dest.mkdir()
    staging.stage(st, dest, st.list())
    assert (dest / "m" / "1").is_dir() and (dest / "m" / "config.pbtxt").is_file()
