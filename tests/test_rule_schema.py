"""The rule grammar: built-in rules, and ok/fail examples with golden error text."""

from __future__ import annotations

from pathlib import Path

import pytest

from preflight import yamlmarks
from preflight.errors import RuleFileError
from preflight.rules.loader import builtin_rules_dir, load_rules, rule_files, schema_errors

SCHEMA_CASES = Path(__file__).parent / "schema"


def test_builtin_rules_validate_against_the_schema() -> None:
    for path in rule_files(builtin_rules_dir()):
        assert schema_errors(yamlmarks.load(path)) == [], path


def test_builtin_rules_are_well_formed() -> None:
    rules = load_rules([(builtin_rules_dir(), True)])
    assert len(rules) >= 8
    ids = [r.id for r in rules]
    names = [r.name for r in rules]
    assert len(set(ids)) == len(ids) and len(set(names)) == len(names)
    for r in rules:
        assert Path(r.source).stem == r.id
        assert r.remediation.endswith("."), r.id
        assert r.docs.startswith("https://"), r.id
        assert r.why, f"{r.id} has no why"


@pytest.mark.parametrize("path", sorted((SCHEMA_CASES / "ok").glob("*.yaml")), ids=lambda p: p.name)
def test_ok_examples_load(path: Path, tmp_path: Path) -> None:
    (tmp_path / path.name).write_text(path.read_text())
    assert len(load_rules([(tmp_path, True)])) == 1


@pytest.mark.parametrize(
    "path", sorted((SCHEMA_CASES / "fail").glob("*.yaml")), ids=lambda p: p.name
)
def test_fail_examples_give_golden_errors(path: Path, tmp_path: Path) -> None:
    (tmp_path / path.name).write_text(path.read_text())
    with pytest.raises(RuleFileError) as info:
        load_rules([(tmp_path, True)])
    got = [line.replace(f"{tmp_path}/", "") for line in info.value.lines]
    want = path.with_suffix(".err").read_text().splitlines()
    assert got == want
