"""The repository is a boundary (issue 12): links out of it are findings, never read; only
regular files are opened, without blocking, under a size cap; writes only where asked;
quoted text is neutralised; interrupts and output failures keep the exit contract."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from preflight import safe_files
from preflight.sources import engine_config, manifest, server, triton_config, trt_engine, trtllm_log
from preflight.templates import errors, neutral, render

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "model_repo"
SECRET = "s3cr3t-token-do-not-print"
TARGET = ("--target-gpu", "L4", "--triton-version", "25.06")


def run(*args: str, cwd: Path = ROOT, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "preflight.cli", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=timeout,
    )


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    dest = tmp_path / "repo"
    shutil.copytree(EXAMPLE, dest)
    return dest


@pytest.fixture
def secret(tmp_path: Path) -> Path:
    """A file outside the repository whose text must never show (like /proc/self/environ)."""
    path = tmp_path / "outside" / "environ"
    path.parent.mkdir()
    path.write_text(f"CI_TOKEN={SECRET}\n" * 3)
    return path


def check(repo: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    proc = run("check", str(repo), *TARGET, *extra)
    assert "Traceback" not in proc.stderr, proc.stderr
    assert proc.returncode in (0, 1, 2), proc.stderr
    return proc


def relink(path: Path, target: Path | str) -> None:
    path.unlink()
    path.symlink_to(target)


# --- the boundary, file by file -------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "tensorrt_llm/config.pbtxt",
        "tensorrt_llm/1/config.json",
        "tensorrt_llm/1/build.log",
        "tensorrt_llm/1/preflight-manifest.json",
        "tensorrt_llm/1/rank0.engine",
    ],
)
def test_a_link_out_of_the_repository_is_a_finding_and_never_read(
    repo: Path, secret: Path, name: str
) -> None:
    relink(repo / name, secret)
    proc = check(repo)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert SECRET not in proc.stdout + proc.stderr
    assert "points outside the repository: not read" in proc.stdout
    facts = run("facts", "--repo", str(repo), "--format", "json")
    assert SECRET not in facts.stdout + facts.stderr


def test_sources_refuse_the_link_by_the_same_fact(tmp_path: Path, secret: Path) -> None:
    inside = tmp_path / "repo"
    inside.mkdir()
    for name in ("build.log", "config.json", "config.pbtxt", "rank0.engine"):
        (inside / name).symlink_to(secret)
    with safe_files.confined(inside):
        log = trtllm_log.extract(inside / "build.log")
        cfg = engine_config.extract(inside / "config.json")
        pbtxt = triton_config.parse(inside / "config.pbtxt")
        engine = trt_engine.read_header(inside / "rank0.engine")
    assert log["build_log.read_error"].value == safe_files.OUTSIDE
    assert cfg["engine_config.read_error"].value == safe_files.OUTSIDE
    assert pbtxt.error is not None and safe_files.OUTSIDE in pbtxt.error["message"]
    assert engine["format"] == "unreadable" and safe_files.OUTSIDE in engine["error"]


def test_a_model_folder_linked_from_outside_is_not_walked(repo: Path, tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere"
    (repo / "postprocessing").rename(outside)
    (repo / "postprocessing").symlink_to(outside)
    proc = check(repo)
    assert "postprocessing/config.pbtxt" in proc.stdout
    assert "points outside the repository: not read" in proc.stdout
    # allowed on the command line, it is read as part of the repository
    allowed = check(repo, "--allow-root", str(outside))
    assert "points outside" not in allowed.stdout


def test_an_absolute_engine_path_outside_is_not_followed(repo: Path, tmp_path: Path) -> None:
    engines = tmp_path / "engines"
    shutil.copytree(repo / "tensorrt_llm" / "1", engines)
    (engines / "config.json").write_text('{"secret": "' + SECRET + '"')
    config = repo / "tensorrt_llm" / "config.pbtxt"
    config.write_text(config.read_text().replace('"/models/tensorrt_llm/1"', f'"{engines}"'))
    proc = check(repo, "--verbose")
    assert SECRET not in proc.stdout + proc.stderr
    assert f"{engines} points outside the repository: not read" in proc.stdout
    # a --path-map target is allowed: the same path then is read
    mapped = check(repo, "--path-map", f"{engines}={engines}")
    assert "config.json" in mapped.stdout


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("rule-dirs: [/]\n", "$.rule-dirs[0]: points outside the repository: not read"),
        ("build-log: /etc/passwd\n", "$.build-log: points outside the repository: not read"),
        ("rule-dirs: [../..]\n", "$.rule-dirs[0]: points outside the repository: not read"),
    ],
)
def test_settings_may_not_point_out_of_the_repository(repo: Path, text: str, needle: str) -> None:
    (repo / ".preflight.yaml").write_text(text)
    proc = check(repo)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and needle in lines[0], proc.stderr


def test_settings_file_linked_out_is_not_read(repo: Path, secret: Path) -> None:
    relink(repo / ".preflight.yaml", secret) if (repo / ".preflight.yaml").exists() else (
        (repo / ".preflight.yaml").symlink_to(secret)
    )
    proc = check(repo)
    assert proc.returncode == 2 and SECRET not in proc.stderr
    assert "points outside the repository" in proc.stderr


def test_rule_file_linked_out_is_not_read(repo: Path, secret: Path) -> None:
    rules = repo / ".rules"
    rules.mkdir()
    (rules / "TLLM990.yaml").symlink_to(secret)
    (rules / "linked").symlink_to("/")  # a folder link: never walked
    (repo / ".preflight.yaml").write_text("rule-dirs: [.rules]\n")
    proc = check(repo)
    assert proc.returncode == 2 and SECRET not in proc.stderr
    assert proc.stderr.count("\n") == 1 and "points outside the repository" in proc.stderr


@pytest.mark.parametrize(
    "name",
    ["tensorrt_llm/1/rank0.engine", "tensorrt_llm/1/build.log", "ensemble/config.pbtxt"],
)
def test_devices_and_fifos_never_block(repo: Path, name: str) -> None:
    relink(repo / name, "/dev/zero")
    start = time.monotonic()
    proc = check(repo)
    # an engine or config that is a device is a finding; a log that is one is no log
    assert proc.returncode == (0 if name.endswith(".log") else 1), proc.stdout
    fifo = repo / "tensorrt_llm" / "1" / "preflight-manifest.json"
    fifo.unlink()
    os.mkfifo(fifo)
    proc = check(repo)
    assert proc.returncode in (0, 1) and time.monotonic() - start < 30


def test_size_caps_are_findings_and_configurable(repo: Path) -> None:
    (repo / ".preflight.yaml").write_text("limits: {config.pbtxt: 100}\n")
    proc = check(repo)
    assert proc.returncode == 1
    assert "over the 100-byte limit for a config.pbtxt file: not read" in proc.stdout
    (repo / ".preflight.yaml").write_text("limits: {config.pbtxt: lots}\n")
    proc = check(repo)
    assert proc.returncode == 2 and "$.limits.config.pbtxt: expected a size" in proc.stderr


def test_walks_are_bounded_and_never_follow_links(tmp_path: Path) -> None:
    root = tmp_path / "rules"
    deep = root
    for _ in range(200):
        deep = deep / "d"
    deep.mkdir(parents=True)
    (deep / "X.yaml").write_text("x: 1\n")
    (root / "up").symlink_to(tmp_path)
    (root / "A.yaml").write_text("x: 1\n")
    found = safe_files.walk_files(root, (".yaml",))
    assert found == [root / "A.yaml"]  # deeper than MAX_WALK_DEPTH, and no link entered


# --- writes only where asked ------------------------------------------------------------------


def test_manifest_write_never_follows_a_planted_link(repo: Path, tmp_path: Path) -> None:
    engine_dir = repo / "tensorrt_llm" / "1"
    victim = tmp_path / "victim.txt"
    victim.write_text("untouched")
    (engine_dir / "preflight-manifest.json.tmp").symlink_to(victim)
    for n in range(3):
        (engine_dir / f".preflight-manifest.json.{os.getpid()}.{n}.tmp").symlink_to(victim)
    proc = run("manifest", "write", str(engine_dir))
    assert proc.returncode == 0, proc.stderr
    assert victim.read_text() == "untouched"
    assert not (engine_dir / "preflight-manifest.json").is_symlink()
    assert not list(engine_dir.glob(".preflight-manifest.json.*.tmp")) or all(
        p.is_symlink() for p in engine_dir.glob(".preflight-manifest.json.*.tmp")
    )
    # the manifest itself a link: replaced by a file, its target untouched
    relink(engine_dir / "preflight-manifest.json", victim)
    proc = run("manifest", "write", str(engine_dir))
    assert proc.returncode == 2 and "not replaced" in proc.stderr
    assert victim.read_text() == "untouched"


def test_manifest_write_failures_are_one_line(repo: Path) -> None:
    engine_dir = repo / "tensorrt_llm" / "1"
    engine_dir.chmod(0o555)
    try:
        proc = run("manifest", "write", str(engine_dir))
    finally:
        engine_dir.chmod(0o755)
    if os.geteuid() == 0:
        assert proc.returncode == 0  # root writes anyway
    else:
        assert proc.returncode == 2 and len(proc.stderr.strip().splitlines()) == 1
    assert not list(engine_dir.glob(".preflight-manifest.json.*.tmp"))


def test_manifest_verify_does_not_hash_files_outside(repo: Path, tmp_path: Path) -> None:
    engine_dir = repo / "tensorrt_llm" / "1"
    outside = tmp_path / "rank0.engine"
    shutil.copy(engine_dir / "rank0.engine", outside)
    relink(engine_dir / "rank0.engine", outside)
    proc = run("manifest", "verify", str(engine_dir))
    assert proc.returncode == 1
    assert "points outside the repository: not read" in proc.stdout
    with safe_files.confined(engine_dir):
        facts = manifest.extract(engine_dir)
    [entry] = facts["manifest.entries"].value
    assert "sha256" not in entry and entry["read_error"] == safe_files.OUTSIDE


# --- quoting -----------------------------------------------------------------------------------


def test_quoted_text_is_escaped_and_bounded() -> None:
    hostile = "model\x1b[2J\x1b]0;owned\x07\nsecond line\r\u202eevil"
    text = render("{subject}: bad", {"subject": hostile}, {})
    assert "\x1b" not in text and "\n" not in text and "\r" not in text and "\u202e" not in text
    assert text.startswith("model\\x1b[2J\\x1b]0;owned\\x07\\nsecond line\\r\\u202eevil")
    assert len(render("{subject}", {"subject": "x" * 100_000}, {})) < 600
    assert neutral("plain text") == "plain text"


def test_huge_format_widths_are_refused_at_load_and_ignored_at_render() -> None:
    assert errors("{subject:>100000000}") == [
        "template field {subject}: format spec '>100000000' is too wide"
    ]
    start = time.monotonic()
    assert render("{subject:>100000000}|{subject:>{actual}}", {"subject": "a", "actual": 10**9}, {})
    assert time.monotonic() - start < 1
    assert render("{subject:>5}", {"subject": "a"}, {}) == "    a"


def test_escape_sequences_in_names_reach_no_output_raw(repo: Path) -> None:
    hostile = repo / "evil\x1b[31mred"
    shutil.copytree(repo / "preprocessing", hostile)
    proc = check(repo)
    assert "\x1b[31m" not in proc.stdout + proc.stderr


def test_parse_errors_quoting_the_line_are_escaped(repo: Path) -> None:
    (repo / ".preflight.yaml").write_text("target: {gpu: [\x1b[2J\n")
    proc = check(repo)
    assert proc.returncode == 2 and "\x1b" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


def test_credentials_in_the_server_url_are_masked() -> None:
    assert server.shown_url("http://user:pa55@host:8000/x") == "http://***@host:8000/x"
    assert server.shown_url("grpc://host:8001") == "grpc://host:8001"
    proc = run("check", str(EXAMPLE), *TARGET, "--server", "http://user:pa55@127.0.0.1:9")
    assert "pa55" not in proc.stdout + proc.stderr
    proc = run("check", str(EXAMPLE), *TARGET, "--server", "ftp://user:pa55@x")
    assert proc.returncode == 2 and "pa55" not in proc.stderr


# --- interrupts and output failures --------------------------------------------------------------


def test_sigterm_ends_the_deserialize_child_too(tmp_path: Path) -> None:
    pidfile = tmp_path / "child.pid"
    engine = EXAMPLE / "tensorrt_llm" / "1" / "rank0.engine"
    sleeper = (
        f"import os, time; open({str(pidfile)!r}, 'w').write(str(os.getpid())); time.sleep(120)"
    )
    driver = tmp_path / "driver.py"
    driver.write_text(
        "import sys\n"
        "from preflight import cli\n"
        "from preflight.sources import deserialize\n"
        "real = deserialize.deserialize\n"
        "def slow(engine, *a, **k):\n"
        f"    return real(engine, module='tensorrt', _child_argv=[sys.executable, '-c', {sleeper!r}])\n"
        "deserialize.deserialize = slow\n"
        f"sys.exit(cli.main(['facts', '--engine', {str(engine)!r}, '--deserialize']))\n"
    )
    for signum, status in ((signal.SIGTERM, 143), (signal.SIGINT, 130)):
        pidfile.unlink(missing_ok=True)
        proc = subprocess.Popen(
            [sys.executable, str(driver)], stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        deadline = time.monotonic() + 60
        while not pidfile.exists() or not pidfile.read_text():
            assert time.monotonic() < deadline and proc.poll() is None
            time.sleep(0.05)
        child = int(pidfile.read_text())
        proc.send_signal(signum)
        _out, err = proc.communicate(timeout=30)
        assert proc.returncode == status, err
        assert b"Traceback" not in err and len(err.strip().splitlines()) == 1
        deadline = time.monotonic() + 10
        while _alive(child):
            assert time.monotonic() < deadline, "the child outlived its parent"
            time.sleep(0.05)


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().split(")")[-1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def test_closed_or_full_stdout_is_one_line() -> None:
    base = f"{sys.executable} -m preflight.cli check {EXAMPLE} {' '.join(TARGET)}"
    closed = subprocess.run(
        ["bash", "-c", f"{base} >&-"], capture_output=True, text=True, timeout=60
    )
    assert closed.returncode == 2 and len(closed.stderr.strip().splitlines()) == 1, closed.stderr
    full = subprocess.run(
        ["bash", "-c", f"{base} --verbose >/dev/full"], capture_output=True, text=True, timeout=60
    )
    assert full.returncode == 2, full.stderr
    assert full.stderr.strip().splitlines() == [
        "preflight: cannot write the output: No space left on device"
    ]


# --- numbers --------------------------------------------------------------------------------------


def test_absurd_numbers_in_a_build_log_are_facts_not_exceptions() -> None:
    text = (
        "[05/18/2024-18:59:02] [TRT] [I] Engine generation completed in . seconds.\n"
        "[05/18/2024-18:59:02] [TRT] [I] Engine generation completed in 1.2.3 seconds.\n"
        f"[05/18/2024-18:59:02] [TRT-LLM] [I] SM count: {'9' * 5000}\n"
        f"[05/18/2024-18:59:10] [TRT-LLM] [I] Serializing engine to /x/rank{'7' * 5000}.engine...\n"
        f"[05/18/2024-18:59:10] [TRT-LLM] [I] Set tokens_per_block to {'1' * 5000}.\n"
    )
    facts = trtllm_log.parse(text, "build.log")
    keys = [item["key"] for item in facts["build_log.absurd_values"].value]
    assert keys == [
        "engine_generation_seconds",
        "engine_generation_seconds",
        "gpu.sm_count",
        "rank",
    ]
    assert "build_log.gpu.sm_count" not in facts
    assert facts["build_log.started_engines"].value[0]["rank"] is None


def test_lfs_pointer_with_odd_digits_is_read(tmp_path: Path) -> None:
    pointer = tmp_path / "rank0.engine"
    pointer.write_text(
        "version https://git-lfs.github.com/spec/v1\noid sha256:abc\nsize \u0663\u0664\n"
    )
    header = trt_engine.read_header(pointer)
    assert header["format"] == "lfs-pointer"
    pointer.write_text("version https://git-lfs.github.com/spec/v1\nsize " + "9" * 5000 + "\n")
    assert trt_engine.read_header(pointer)["format"] == "lfs-pointer"


def test_huge_integers_in_config_json_are_a_finding(repo: Path) -> None:
    config = repo / "tensorrt_llm" / "1" / "config.json"
    data = json.loads(config.read_text())
    config.write_text(json.dumps(data).replace('"world_size": 1', '"world_size": ' + "9" * 5000))
    proc = check(repo)
    assert proc.returncode == 1
