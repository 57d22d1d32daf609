"""Run the Triton rules without the rest of `preflight check`: the config.pbtxt and folder
sources, the auto-complete and ensemble derivations, then one rule (its check and its message templates) on one
model. For the tests of the Triton sources and checks."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from preflight.checks import registry
from preflight.derive import autocomplete, ensemble
from preflight.evaluator import evaluate_rule
from preflight.facts import merge
from preflight.model import Facts, Problem, Result, Rule, Status, Subject
from preflight.rules.loader import builtin_rules_dir, load_rules
from preflight.sources import triton_config, triton_layout


@cache
def rules() -> dict[str, Rule]:
    return {r.id: r for r in load_rules([(builtin_rules_dir(), False)])}


def model_facts(model_dir: Path) -> Facts:
    """One model folder's own facts: ``triton.*``, ``layout.*`` and ``autocomplete.*``."""
    facts: Facts = {}
    merge(facts, triton_config.extract(model_dir / "config.pbtxt"), triton_config.NAMESPACES)
    merge(facts, triton_layout.extract_model(model_dir, facts), triton_layout.NAMESPACES)
    merge(facts, autocomplete.derive(facts), autocomplete.NAMESPACES)
    return facts


def repo_facts(repo: Path) -> dict[str, Facts]:
    """Every model folder's facts, with ``ensemble.*`` joined in."""
    models = {d.name: model_facts(d) for d in triton_layout.model_dirs(repo)}
    for name, extra in ensemble.derive_repository(models).items():
        merge(models[name], extra, ensemble.NAMESPACES)
    return models


def run(facts: Facts, rule_id: str, name: str, path: Path) -> list[Result]:
    """One rule on one subject with these facts (``name`` "": the repository)."""
    kind = "repo" if not name else "triton-model"
    return evaluate_rule(rules()[rule_id], Subject(kind, name or ".", str(path), facts))


def problems(facts: Facts, rule_id: str) -> list[Problem]:
    """What the rule's named check returns on these facts (kinds and fields)."""
    rule = rules()[rule_id]
    found = registry()[rule.check]
    return found.function(facts, {**found.params, **rule.params, **rule.options})


def results(repo: Path, model: str, rule_id: str) -> list[Result]:
    """The results of one rule on one model of ``repo`` (``model=""``: the repository)."""
    if not model:
        return run(triton_layout.extract_repository(repo), rule_id, "", repo)
    return run(repo_facts(repo)[model], rule_id, model, repo / model)


def model_problems(repo: Path, model: str, rule_id: str) -> list[Problem]:
    return problems(repo_facts(repo)[model], rule_id)


def failures(repo: Path, model: str, rule_id: str) -> list[Result]:
    return [r for r in results(repo, model, rule_id) if r.status is Status.FAIL]


def texts(repo: Path, model: str, rule_id: str) -> list[str]:
    """The messages of the rule's failures on the model, without the leading ``model: ``."""
    prefix = f"{model}: " if model else ""
    return [r.message.removeprefix(prefix) for r in failures(repo, model, rule_id)]


def file_results(config: Path, rule_id: str) -> list[Result]:
    """One config.pbtxt rule on the file alone (``triton.*`` facts, subject ``m``)."""
    return run(triton_config.extract(config), rule_id, "m", config.parent)


def file_texts(config: Path, rule_id: str) -> list[str]:
    return [
        r.message.removeprefix("m: ")
        for r in file_results(config, rule_id)
        if r.status is Status.FAIL
    ]


def file_problems(config: Path, rule_id: str) -> list[Problem]:
    return problems(triton_config.extract(config), rule_id)
