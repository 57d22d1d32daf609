"""preflight's static verdict against a real Triton server's verdict, variant by variant.

One real tritonserver (CPU only, Python backend) holds every corpus variant as its own
``--model-repository`` and loads each variant's models on request. Triton's verdict is
"every model of the variant became ready". preflight's verdict is "``preflight check`` has at
least one result with status fail and severity error". They must agree on every variant, with
the documented exceptions of the corpus: ``lenient`` (Triton loads it, preflight may only
warn) and ``environment`` (Triton refuses it only because this server has no GPU).

The table of verdicts is written to a temporary folder (its path is in the failure message);
``PREFLIGHT_WRITE_AGREEMENT=1`` writes it to ``tests/agreement/agreement_table.md`` instead.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
from triton_server import TritonServer, skip_reason

from agreement.corpus import (
    CATEGORIES,
    INVALID,
    LENIENT,
    VALID,
    VARIANTS,
    Variant,
    materialize,
    model_names,
)

TABLE = Path(__file__).with_name("agreement_table.md")
BY_NAME = {v.name: v for v in VARIANTS}
IDS = [v.name for v in VARIANTS]
# Parallel variants: the Python stub of each model takes about a second to start, mostly idle.
LOAD_WORKERS = 4
LOAD_TIMEOUT = 60.0


@dataclass(frozen=True)
class TritonVerdict:
    ready: bool
    message: str


@dataclass(frozen=True)
class PreflightVerdict:
    error: bool  # at least one result with status fail and severity error
    status: int
    failing: tuple[str, ...]  # "RULE(severity)" of every failing result
    messages: tuple[str, ...]  # messages of the failing errors


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("agreement")
    return {v.name: materialize(v, root / "repos") for v in VARIANTS}


def _triton_one(server: TritonServer, repo: Path) -> TritonVerdict:
    names = model_names(repo)
    errors = []
    loaded = []
    for name in names:
        ready, error = server.load(name, timeout=LOAD_TIMEOUT)
        if ready:
            loaded.append(name)
        else:
            errors.append(f"{name}: {error}")
    for name in loaded:
        server.unload(name)
    root = str(repo.parent)
    return TritonVerdict(not errors, " || ".join(errors).replace(root, "<repos>"))


def _all_verdicts(
    corpus: dict[str, Path], work: Path, workers: int
) -> tuple[dict[str, TritonVerdict] | None, str]:
    """Every variant's verdict from one server, or (None, log tail) when the server died."""
    extra = ["--model-load-thread-count=4"]
    with (
        TritonServer(list(corpus.values()), work, extra_args=extra) as server,
        ThreadPoolExecutor(workers) as pool,
    ):
        found = pool.map(lambda r: _triton_one(server, r), corpus.values())
        verdicts = dict(zip(corpus, found, strict=True))
        if not server.running:
            return None, server.log_tail()
    return verdicts, ""


@pytest.fixture(scope="module")
def triton(
    corpus: dict[str, Path], tmp_path_factory: pytest.TempPathFactory
) -> dict[str, TritonVerdict]:
    reason = skip_reason()
    if reason:
        pytest.skip(reason)
    started = time.monotonic()
    # Parallel loads have crashed this server build once (SIGSEGV with 8 threads); when the
    # server dies, the whole corpus is run again on a fresh server, one variant at a time.
    verdicts, tail = _all_verdicts(corpus, tmp_path_factory.mktemp("server"), LOAD_WORKERS)
    if verdicts is None:
        sys.stderr.write(f"\ntritonserver died during parallel loads, retrying serially:\n{tail}\n")
        verdicts, tail = _all_verdicts(corpus, tmp_path_factory.mktemp("server"), 1)
    if verdicts is None:
        pytest.fail(f"tritonserver died while loading the corpus:\n{tail}")
    took = time.monotonic() - started
    sys.stderr.write(f"\ntriton verdicts: {len(verdicts)} variants in {took:.1f} s\n")
    return verdicts


def _preflight_one(repo: Path) -> PreflightVerdict:
    proc = subprocess.run(
        # the corpus judges layout and config against the server here, no engine target
        [
            *(sys.executable, "-m", "preflight.cli", "check", str(repo)),
            *("--format", "json", "--target", "none"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if proc.returncode not in (0, 1):
        return PreflightVerdict(
            False, proc.returncode, (), (f"exit {proc.returncode}: {proc.stderr.strip()[-300:]}",)
        )
    results = json.loads(proc.stdout)["results"]
    # PF002 is the note that --target none was given
    failing = [r for r in results if r["status"] == "fail" and r["rule"] != "PF002"]
    errors = [r for r in failing if r["severity"] == "error"]
    return PreflightVerdict(
        bool(errors),
        proc.returncode,
        tuple(f"{r['rule']}({r['severity']})" for r in failing),
        tuple(r["message"] for r in errors),
    )


@pytest.fixture(scope="module")
def preflight(corpus: dict[str, Path]) -> dict[str, PreflightVerdict]:
    if importlib.util.find_spec("preflight.cli") is None:
        pytest.skip("preflight is not installed: pip install -e .")
    with ThreadPoolExecutor(2) as pool:
        return dict(zip(corpus, pool.map(_preflight_one, corpus.values()), strict=True))


def _static_error_expected(variant: Variant) -> bool:
    return variant.expected == INVALID


def _triton_ready_expected(variant: Variant) -> bool:
    return variant.expected in (VALID, LENIENT)


# ------------------------------------------------------------------------------ the corpus


def test_corpus_is_broad_and_well_formed() -> None:
    assert len(VARIANTS) >= 40
    assert len(BY_NAME) == len(VARIANTS), "variant names must be unique"
    counts = {c: sum(v.expected == c for v in VARIANTS) for c in CATEGORIES}
    assert counts[VALID] >= 10 and counts[INVALID] >= 25, counts
    for v in VARIANTS:
        assert v.expected in CATEGORIES, v.name
        assert v.description and v.files, v.name
        folders = {rel.split("/", 1)[0] for rel in v.files if "/" in rel}
        # Model folders carry the variant's name, so one server can hold every variant.
        models = {f for f in folders if not f.startswith(".")}
        assert all(f.startswith(v.name) for f in models), (v.name, models)


def test_corpus_materializes_every_file(tmp_path: Path) -> None:
    variant = BY_NAME["valid_ensemble"]
    repo = materialize(variant, tmp_path)
    assert model_names(repo) == ["valid_ensemble", "valid_ensemble_a", "valid_ensemble_b"]
    for rel, text in variant.files.items():
        assert (repo / rel).read_text() == text


# ------------------------------------------------------------------------------ Triton


@pytest.mark.parametrize("name", IDS)
def test_triton_verdict_matches_corpus(name: str, triton: dict[str, TritonVerdict]) -> None:
    """The real server treats each variant as the corpus says (the corpus is honest)."""
    variant, verdict = BY_NAME[name], triton[name]
    assert verdict.ready == _triton_ready_expected(variant), verdict.message
    assert variant.triton_says in verdict.message


# ------------------------------------------------------------------------------ preflight


@pytest.mark.parametrize("name", IDS)
def test_preflight_agrees(name: str, preflight: dict[str, PreflightVerdict]) -> None:
    variant, verdict = BY_NAME[name], preflight[name]
    assert verdict.status in (0, 1), verdict.messages
    if _static_error_expected(variant):
        assert verdict.error, f"{name} ({variant.description}): preflight found no error"
    else:
        assert not verdict.error, f"{name} ({variant.description}): {verdict.messages}"


def _cell(text: str, limit: int = 220) -> str:
    text = text.replace("|", "\\|").replace("\n", " ")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def render_table(
    triton: dict[str, TritonVerdict], preflight: dict[str, PreflightVerdict] | None
) -> tuple[str, int, int]:
    """Markdown table of every variant; returns (text, agreeing, total)."""
    head = "| variant | expected | Triton | Triton message | preflight | failing rules | agree |\n"
    head += "|---|---|---|---|---|---|---|\n"
    rows = []
    agree = 0
    for v in VARIANTS:
        t = triton.get(v.name)
        p = preflight.get(v.name) if preflight else None
        t_cell = "-" if t is None else ("ready" if t.ready else "refused")
        p_cell = "-" if p is None else ("error" if p.error else "no error")
        ok = (
            p is not None
            and p.status in (0, 1)
            and p.error == _static_error_expected(v)
            and (t is None or t.ready == _triton_ready_expected(v))
        )
        agree += ok
        rows.append(
            f"| {v.name} | {v.expected} | {t_cell} | {_cell(t.message if t else '')} | {p_cell} "
            f"| {_cell(', '.join(p.failing) if p else '')} | {'yes' if ok else 'NO'} |"
        )
    return head + "\n".join(rows) + "\n", agree, len(VARIANTS)


def test_agreement_table(
    triton: dict[str, TritonVerdict],
    preflight: dict[str, PreflightVerdict],
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """Records the table: in the checkout with PREFLIGHT_WRITE_AGREEMENT=1, else in a temp dir."""
    text, agree, total = render_table(triton, preflight)
    table = (
        TABLE
        if os.environ.get("PREFLIGHT_WRITE_AGREEMENT")
        else (tmp_path_factory.mktemp("agreement") / TABLE.name)
    )
    table.write_text(
        "# Agreement: preflight check vs a real Triton server\n\n"
        "Written by `tests/agreement/test_agreement.py`; see docs/agreement.md.\n\n" + text
    )
    line = f"agreement: {agree}/{total} variants"
    print(line)
    sys.stderr.write(line + "\n")
    assert agree == total, f"{line}; see {table}"
