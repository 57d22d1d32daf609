"""`trtllm.*` and `engines.*` (one TensorRT-LLM model joined across its artifacts) and the checks
of checks/trtllm_build.py and checks/trtllm_engines.py, with the words of their rules."""

from __future__ import annotations

from functools import cache
from typing import Any

import pytest

from preflight.checks import MissingFact, registry
from preflight.derive import engines, trtllm
from preflight.evaluator import evaluate_rule
from preflight.facts import fact
from preflight.model import Facts, Problem, Result, Rule, Status, Subject
from preflight.rules.loader import builtin_rules_dir, load_rules

LOG = "/r/m/1/build.log"
CONFIG = "/r/m/1/config.json"


def _check(name: str, facts: Facts) -> list[Problem]:
    return registry()[name].function(facts, {})


@cache
def _rules() -> dict[str, Rule]:
    return {r.id: r for r in load_rules([(builtin_rules_dir(), False)])}


def _failures(rule_id: str, facts: Facts) -> list[Result]:
    subject = Subject("trtllm-model", "m", "/r/m", facts)
    return [r for r in evaluate_rule(_rules()[rule_id], subject) if r.status is Status.FAIL]


def _log(**values: Any) -> Facts:
    facts: Facts = {"scan.build_log": fact("m/1/build.log", LOG)}
    for key, value in values.items():
        facts[f"build_log.{key}"] = fact(value, LOG, 1)
    return facts


# --- trtllm.* --------------------------------------------------------------------------------


def test_log_and_config_differences_keep_the_raw_values() -> None:
    facts: Facts = {
        **_log(),
        "engine_config.format": fact("new", CONFIG),
        "engine_config.plugin_config.remove_input_padding": fact(True, CONFIG, 40),
        "build_log.plugins.remove_input_padding": fact(False, LOG, 17),
        "engine_config.plugin_config.gemm_plugin": fact("float16", CONFIG, 41),
        "build_log.plugins.gemm_plugin": fact("float16", LOG, 4),
    }
    out = trtllm.derive(facts)
    assert out["trtllm.log_config_differences"].value == [
        {"setting": "remove_input_padding", "log": False, "config": True, "path": LOG, "line": 17}
    ]
    assert out["trtllm.remove_input_padding"].value is False  # off wins, at the log line
    [failure] = _failures("TLLM006", {**facts, **_log(trtllm_version="0.20.0"), **out})
    assert failure.message == (
        "m: the build log sets remove_input_padding to False (line 17) but config.json has "
        "True: the log and config.json come from different builds"
    )
    assert failure.location is not None and failure.location.line == 17


def test_no_differences_fact_without_both_artifacts() -> None:
    facts: Facts = {"engine_config.plugin_config.gemm_plugin": fact("float16", CONFIG, 41)}
    assert "trtllm.log_config_differences" not in trtllm.derive(facts)


def test_cluster_key_gpu_from_the_table() -> None:
    key = {"engine_config.cluster_key": fact("A100-SXM-80GB", CONFIG, 90)}
    out = trtllm.derive(key)
    assert out["trtllm.cluster_key_compute_capability"].value == "8.0"
    assert out["trtllm.cluster_key_in_trtllm_table"].value is True
    assert out["trtllm.build_compute_capability"].value == "8.0"
    device = trtllm.derive({"engine_config.cluster_key": fact("NVIDIA-L4", CONFIG, 90)})
    assert device["trtllm.cluster_key_in_trtllm_table"].value is False


def test_hardware_lines_of_another_gpu_than_the_cluster_key() -> None:
    facts: Facts = {
        **_log(trtllm_version="0.20.0"),
        "build_log.gpu.compute_capability": fact("8.9", LOG, 30),
        "engine_config.version": fact("0.20.0", CONFIG, 2),
        "engine_config.format": fact("new", CONFIG),
        "engine_config.cluster_key": fact("A100-SXM-80GB", CONFIG, 90),
    }
    facts.update(trtllm.derive(facts))
    [problem] = _check("trtllm.build-log-matches-config", facts)
    assert problem.kind == "gpu" and problem.fields["cc"] == "8.0"
    [failure] = _failures("TLLM006", facts)
    assert "show compute capability 8.9, but config.json's cluster_key 'A100-SXM-80GB'" in (
        failure.message
    )


def test_version_mismatch_comes_first_and_a_missing_config_version_is_unknown() -> None:
    facts: Facts = {
        **_log(trtllm_version="0.19.0"),
        "engine_config.version": fact("0.20.0", CONFIG),
    }
    [problem] = _check("trtllm.build-log-matches-config", facts)
    assert problem.kind == "version"
    del facts["engine_config.version"]
    with pytest.raises(MissingFact, match=r"engine_config\.version"):
        _check("trtllm.build-log-matches-config", facts)


# --- TLLM001: why a log does not show a complete build ----------------------------------------


@pytest.mark.parametrize(
    ("values", "kind", "words"),
    [
        ({"read_error": "Permission denied"}, "unreadable", "the log cannot be read: Permission"),
        ({"line_count": 0, "build_succeeded": None}, "empty", "the log is empty"),
        (
            {"line_count": 9, "build_succeeded": None, "missing_ranks": [0, 1], "fatal_errors": []},
            "ranks-not-started",
            "rank0.engine, rank1.engine never started, while higher ranks did",
        ),
        (
            {"line_count": 9, "build_succeeded": None, "fatal_errors": []},
            "no-engine-started",
            "no `Serializing engine to` line in its 9 lines",
        ),
    ],
)
def test_incomplete_build_says_why(values: dict[str, Any], kind: str, words: str) -> None:
    facts = {**_log(**values), "scan.build_log_found": fact(True, "/r/m/1")}
    [problem] = _check("trtllm.build-succeeded", facts)
    assert problem.kind == kind
    [failure] = _failures("TLLM001", facts)
    assert failure.message.startswith("m: the build log does not show a complete build: ")
    assert words in failure.message


def test_no_log_found_is_a_skip_unless_a_log_is_required() -> None:
    """trtllm-build writes no log file: without one the build facts come from config.json."""
    facts = {
        "scan.build_log_found": fact(False, "/r/m/1"),
        "scan.build_log_discovery": fact("no *.log file in 1/ (pass --build-log FILE)", "/r/m"),
    }
    with pytest.raises(MissingFact, match=r"scan\.build_log"):
        _check("trtllm.build-succeeded", facts)
    subject = Subject("trtllm-model", "m", "/r/m", facts)
    [skip] = evaluate_rule(_rules()["TLLM001"], subject)
    assert skip.status is Status.SKIP
    assert skip.message == (
        "m: no trtllm-build log (no *.log file in 1/ (pass --build-log FILE)); build facts from "
        "config.json and the engine headers"
    )
    facts["scan.require_build_log"] = fact(True, "/r/m")
    [failure] = _failures("TLLM001", facts)
    assert failure.message == (
        "m: no trtllm-build log found (no *.log file in 1/ (pass --build-log FILE)) and "
        "require-build-log is set"
    )


# --- engines.* ---------------------------------------------------------------------------------


def _legacy(**builder: Any) -> Facts:
    facts: Facts = {"engine_config.format": fact("legacy", CONFIG)}
    for key, value in builder.items():
        facts[f"engine_config.{key}"] = fact(value, CONFIG)
    return facts


def test_rank_file_names() -> None:
    assert engines.rank_file_names({"engine_config.format": fact("new", CONFIG)}, 2, []) == {
        0: "rank0.engine",
        1: "rank1.engine",
    }
    legacy = _legacy(builder_name="llama", dtype="float16", **{"mapping.tp_size": 2})
    assert engines.rank_file_names(legacy, 2, [])[1] == "llama_float16_tp2_rank1.engine"
    with_pp = {**legacy, "engine_config.mapping.pp_size": fact(2, CONFIG)}
    assert engines.rank_file_names(with_pp, 1, [])[0] == "llama_float16_tp2_pp2_rank0.engine"
    # without a name in config.json, the one *_rank<r>.engine file there is taken
    listing = ["gpt_fp16_tp1_rank0.engine", "a_rank1.engine", "b_rank1.engine"]
    names = engines.rank_file_names(_legacy(dtype="float16"), 2, listing)
    assert names == {0: "gpt_fp16_tp1_rank0.engine", 1: "rank1.engine"}


def _rank(fmt: str = "ftrt", size: int = 348, trt: str = "10.10.0.31") -> Facts:
    return {
        "engine.format": fact(fmt, "/e"),
        "engine.size_bytes": fact(size, "/e"),
        "engine.trt_version": fact(trt, "/e"),
    }


def test_ranks_and_agreement() -> None:
    log = {"build_log.serialized_ranks": fact([0], LOG)}
    ranks = {0: _rank(), 1: _rank(size=0, trt="10.9.0.34")}
    out = engines.derive(log, "/r/m/1", 3, None, ranks)
    items = out["engines.ranks"].value
    assert [(r["name"], r["present"], r["size"], r["serialized"]) for r in items] == [
        ("rank0.engine", True, 348, True),
        ("rank1.engine", True, 0, False),
        ("rank2.engine", False, None, False),
    ]
    assert out["engines.trt_versions"].value == ["10.10.0.31 (rank 0)", "10.9.0.34 (rank 1)"]
    assert out["engines.trt_versions_distinct"].value == 2
    assert all(r["serialized"] is None for r in engines.derive({}, "/d", 1)["engines.ranks"].value)


def test_missing_ranks_are_reported_before_empty_ones() -> None:
    facts = engines.derive({}, "/r/m/1", 3, None, {0: _rank(), 1: _rank(size=0)})
    failures = _failures("TLLM005", facts)
    assert [(f.message, f.location.path if f.location else "") for f in failures] == [
        ("m: rank2.engine is missing (world size 3 in config.json)", "/r/m/1/rank2.engine")
    ]
    facts = engines.derive({}, "/r/m/1", 2, None, {0: _rank(), 1: _rank(size=0)})
    [failure] = _failures("TLLM005", facts)
    assert failure.message == "m: rank1.engine is empty (0 bytes)"


def test_implausible_world_size_lists_no_rank() -> None:
    facts = {
        "engine_config.world_size_effective": fact(3_000_000, CONFIG, 36, 13),
        **engines.derive({}, "/r/m/1", 3_000_000),
    }
    assert "engines.ranks" not in facts
    [failure] = _failures("TLLM005", facts)
    assert failure.message == (
        "m: an implausible world size: over 4096 ranks are not checked one by one (world size "
        "3000000 in config.json)"
    )
    assert failure.location is not None and (failure.location.path, failure.location.line) == (
        CONFIG,
        None,
    )


def test_ranks_the_log_did_not_serialize_and_ranks_it_built_beyond_the_world_size() -> None:
    log = {
        **_log(started_engines=[{"path": "/w/rank1.engine", "rank": 1, "line": 83}]),
        "build_log.serialized_ranks": fact([0, 1, 2], LOG),
    }
    facts = {**log, **engines.derive(log, "/r/m/1", 1, None, {0: _rank()})}
    [failure] = _failures("TLLM007", facts)
    assert failure.message == (
        "m: the build log serialized rank1.engine, rank2.engine, beyond config.json's world size "
        "1: the log belongs to another build (another tp/pp layout)"
    )
    assert failure.location is not None and failure.location.line == 83
    unlogged = {**log, "build_log.serialized_ranks": fact([], LOG)}
    facts = {**unlogged, **engines.derive(unlogged, "/r/m/1", 1, None, {0: _rank()})}
    [failure] = _failures("TLLM007", facts)
    assert failure.message == (
        "m: rank0.engine: the build log does not show it serialized; it comes from another build "
        "or an interrupted one"
    )
