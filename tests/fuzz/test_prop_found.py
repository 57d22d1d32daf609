"""What the properties found, kept as plain examples (each failed before its fix)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from prop_kit import TARGET, assert_contract, copy_example, run_cli

from preflight.errors import PreflightError, RuleFileError


@pytest.mark.parametrize(
    ("value", "where"),
    [("9" * 4500, "2:9"), ("2026-13-45", "2:9")],
    ids=["int-of-4500-digits", "impossible-date"],
)
def test_a_yaml_scalar_that_cannot_convert_is_one_line(
    tmp_path: Path, value: str, where: str
) -> None:
    # PyYAML raised ValueError (int-string limit, datetime) through yamlmarks.load
    from preflight import settings

    path = tmp_path / ".preflight.yaml"
    path.write_text(f"fail-on: error\ntarget: {value}\n")
    with pytest.raises(PreflightError) as caught:
        settings.load(path)
    assert caught.value.lines == (
        f"{path}:{where}: $: invalid YAML: a number or date that cannot be read; quote it",
    )


def test_a_rule_file_with_a_huge_integer_is_a_rule_file_error(tmp_path: Path) -> None:
    from preflight.rules.loader import load_rules

    (tmp_path / "TLLM999.yaml").write_text("id: " + "9" * 5000 + "\n")
    with pytest.raises(RuleFileError) as caught:
        load_rules([(tmp_path, True)])
    assert caught.value.lines[0].endswith(
        ":1:5: $: invalid YAML: a number or date that cannot be read; quote it"
    )


def test_settings_with_a_huge_integer_stop_the_cli_with_one_line(tmp_path: Path) -> None:
    repo = copy_example(tmp_path)
    (repo / ".preflight.yaml").write_text("target: {gpu_count: " + "9" * 4400 + "}\n")
    res = run_cli("check", str(repo), *TARGET)
    assert_contract(res, (2,))
    assert res.err.count("\n") == 1 and ".preflight.yaml:1:21:" in res.err


@pytest.mark.parametrize(
    "text",
    [
        'name: "' + "${x}" * 100_000 + '"',  # 400 KB: minutes before (quadratic per line)
        "name: " + "${x} " * 100_000,
        "max_batch_size: ${a}\n" * 30_000,
    ],
    ids=["in-a-string", "bare", "one-per-line"],
)
def test_a_placeholder_flood_is_read_in_bounded_time(tmp_path: Path, text: str) -> None:
    from preflight.pbtxt_locations import MAX_PLACEHOLDERS
    from preflight.sources import triton_config

    path = tmp_path / "config.pbtxt"
    path.write_text(text)
    start = time.perf_counter()
    facts = triton_config.extract(path)
    assert time.perf_counter() - start < 5
    placeholders = facts["triton.placeholders"].value
    assert len(placeholders) == MAX_PLACEHOLDERS  # the first ones, in order
    assert [p["line"] for p in placeholders] == sorted(p["line"] for p in placeholders)


def test_a_placeholder_flood_is_a_bounded_report(tmp_path: Path) -> None:
    repo = copy_example(tmp_path)
    (repo / "postprocessing" / "config.pbtxt").write_text("name: " + "${x} " * 100_000)
    res = run_cli("check", str(repo), *TARGET, "--color", "never", seconds=15)
    assert_contract(res, (1,))
    assert res.out.count(" TRITON003 error: ") <= 500


def test_a_link_loop_named_like_a_launch_script_is_skipped(tmp_path: Path) -> None:
    # launch.py: Path.resolve() raises RuntimeError on a loop (Python < 3.13)
    repo = copy_example(tmp_path)
    (repo / "run.sh").symlink_to("run.sh")
    (repo / "serve.yaml").symlink_to("serve.yml")
    (repo / "serve.yml").symlink_to("serve.yaml")
    assert_contract(run_cli("check", str(repo), *TARGET, "--color", "never"), (0, 1))


def test_a_folder_name_with_a_line_break_stays_on_the_finding_line(tmp_path: Path) -> None:
    # the text report printed the path with its line break: the finding became two lines
    repo = copy_example(tmp_path)
    model = repo / "new\nZQX injected"
    model.mkdir()
    (model / "config.pbtxt").write_text('name: "other"\n')
    res = run_cli("check", str(repo), *TARGET, "--color", "never")
    assert_contract(res, (1,))
    assert "new\\nZQX injected/config.pbtxt" in res.out


LONG = "a" * 5000  # longer than a file name may be: stat() raises ENAMETOOLONG


@pytest.mark.parametrize(
    ("relative", "edit"),
    [
        (
            "tensorrt_llm/config.pbtxt",
            'parameters { key: "gpt_model_path" value { string_value: "%s" } }',
        ),
        (
            "tensorrt_llm/config.pbtxt",
            'parameters { key: "encoder_model_path" value { string_value: "/models/%s" } }',
        ),
        (
            "preprocessing/config.pbtxt",
            'parameters { key: "tokenizer_dir" value { string_value: "%s" } }',
        ),
    ],
    ids=["gpt_model_path", "encoder_model_path", "tokenizer_dir"],
)
def test_a_path_too_long_to_look_up_is_a_finding_not_an_output_error(
    tmp_path: Path, relative: str, edit: str
) -> None:
    # the OSError reached the CLI as "cannot write the output: File name too long", status 2
    repo = copy_example(tmp_path)
    path = repo / relative
    text = path.read_text()
    for key in ("gpt_model_path", "encoder_model_path", "tokenizer_dir"):
        text = text.replace(f'key: "{key}"', f'key: "unused_{key}"')
    path.write_text(text + "\n" + edit % LONG + "\n")
    res = run_cli("check", str(repo), *TARGET, "--color", "never")
    assert_contract(res, (0, 1))


def test_a_legacy_engine_name_too_long_to_look_up_is_a_missing_rank(tmp_path: Path) -> None:
    # legacy config.json: the rank file name is built from builder_config.precision
    import json

    repo = copy_example(tmp_path)
    legacy = json.loads(
        (
            Path(__file__).parents[1] / "data" / "configs" / "legacy_v0.7_llama_tp2.config.json"
        ).read_text()
    )
    legacy["builder_config"]["precision"] = LONG
    (repo / "tensorrt_llm" / "1" / "config.json").write_text(json.dumps(legacy))
    res = run_cli("check", str(repo), *TARGET, "--color", "never")
    assert_contract(res, (1,))


def test_a_control_character_in_a_folder_name_is_escaped_in_the_github_report(
    tmp_path: Path,
) -> None:
    # the file= property of the workflow command carried the raw ESC and C1 characters
    repo = copy_example(tmp_path)
    model = repo / "\x1b[31m\x94red"
    model.mkdir()
    (model / "config.pbtxt").write_text('name: "other"\n')
    report = tmp_path / "report.github"
    res = run_cli("check", str(repo), *TARGET, "--format", f"github={report}")
    assert_contract(res, (1,), text=False)
    lines = report.read_text().splitlines()
    assert any("\\x1b[31m\\x94red" in line for line in lines)
    assert not any("\x1b" in line or "\x94" in line for line in lines)


def test_a_rule_file_with_an_integer_key_beside_unknown_keys_is_a_rule_file_error(
    tmp_path: Path,
) -> None:
    # sorting the unknown keys compared 1 with 'foo': TypeError
    from preflight.rules.loader import load_rules

    (tmp_path / "TLLM999.yaml").write_text("id: TLLM999\nname: x\n1: a\nfoo: b\n")
    with pytest.raises(RuleFileError) as caught:
        load_rules([(tmp_path, True)])
    assert caught.value.lines[0].endswith("TLLM999.yaml:3:1: $[1]: unknown key 1")


def test_a_line_break_in_a_configured_path_stays_on_the_note_line(tmp_path: Path) -> None:
    # the note naming the engine directory printed gpt_model_path with its line break
    repo = copy_example(tmp_path)
    config = repo / "tensorrt_llm" / "config.pbtxt"
    config.write_text(
        config.read_text().replace(
            "/models/tensorrt_llm/1", "/models/tensorrt_llm/1\\nZQX injected"
        )
    )
    res = run_cli("check", str(repo), *TARGET, "--color", "never")
    assert_contract(res, (1,))
    assert "/models/tensorrt_llm/1\\nZQX injected does not exist" in res.out
