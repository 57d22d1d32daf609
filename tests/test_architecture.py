"""The shape of the code, read with `ast` (nothing is imported): who may import whom, who raises
UsageError, and which module writes each fact namespace.

Sources parse, derivations join, checks judge, the evaluator runs rules, reporters render and
the Face (cli.py, commands.py) talks to the user. Every import counts, also one inside a
function or under `if TYPE_CHECKING:`; relative imports are resolved to absolute names.
"""

from __future__ import annotations

import ast
import re
import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src"
PACKAGE = SRC / "preflight"
DESIGN = ROOT / "docs" / "design.md"

FACE = ("preflight.cli", "preflight.commands")


@dataclass(frozen=True)
class Module:
    name: str  # preflight.sources.trtllm_log
    path: Path
    tree: ast.Module

    @property
    def package(self) -> str:
        """The package relative imports start from."""
        return self.name if self.path.name == "__init__.py" else self.name.rpartition(".")[0]

    @property
    def rel(self) -> str:
        return self.path.relative_to(PACKAGE).as_posix()


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


@cache
def modules() -> dict[str, Module]:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        name = _module_name(path)
        found[name] = Module(name, path, ast.parse(path.read_bytes(), filename=str(path)))
    return found


def _absolute(module: Module, node: ast.ImportFrom) -> str:
    if node.level == 0:
        return node.module or ""
    base = module.package.split(".")
    if node.level > 1:
        base = base[: len(base) - (node.level - 1)]
    return ".".join([*base, *([node.module] if node.module else [])])


@cache
def imports_of(name: str) -> frozenset[str]:
    """Absolute names of the modules ``name`` imports (`from a import b` counts as `a.b` when
    that is a module of the package, else as `a`)."""
    module = modules()[name]
    known = modules()
    found: set[str] = set()
    for node in ast.walk(module.tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = _absolute(module, node)
            for alias in node.names:
                sub = f"{base}.{alias.name}" if base else alias.name
                found.add(sub if sub in known else base)
    return frozenset(found)


def _within(name: str, prefixes: tuple[str, ...]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def _offending(importers: tuple[str, ...], forbidden: tuple[str, ...]) -> list[str]:
    return sorted(
        f"{modules()[m].rel} imports {imp}"
        for m in modules()
        if _within(m, importers)
        for imp in imports_of(m)
        if _within(imp, forbidden)
    )


def test_the_package_is_read() -> None:
    assert {"preflight.cli", "preflight.model", "preflight.evaluator"} <= set(modules())
    assert "preflight.model" in imports_of("preflight.facts")
    # a relative import inside a subpackage resolves to the absolute name
    assert any(_within(i, ("preflight.model",)) for i in imports_of("preflight.evaluator.run"))
    # an import inside a function counts: the Face runs the evaluator lazily
    assert _offending(("preflight.commands",), ("preflight.evaluator",))


def _resolved(name: str, file: str, code: str) -> list[str]:
    tree = ast.parse(code)
    module = Module(name, PACKAGE / file, tree)
    return [_absolute(module, n) for n in tree.body if isinstance(n, ast.ImportFrom)]


def test_relative_imports_resolve() -> None:
    code = "from ..model import x\nfrom . import y\nfrom .operators import z\n"
    assert _resolved("preflight.evaluator.run", "evaluator/run.py", code) == [
        "preflight.model",
        "preflight.evaluator",
        "preflight.evaluator.operators",
    ]
    # in a package's __init__, `.` is the package itself
    assert _resolved("preflight.evaluator", "evaluator/__init__.py", code) == [
        "preflight.model",
        "preflight.evaluator",
        "preflight.evaluator.operators",
    ]
    assert _resolved("preflight.cli", "cli.py", "from .checks import x\nfrom . import y\n") == [
        "preflight.checks",
        "preflight",
    ]
    # `from package import submodule` counts as the submodule
    assert "preflight.model" in imports_of("preflight.reporters.json_report")


def test_sources_import_no_judge_and_no_face() -> None:
    forbidden = (
        "preflight.checks",
        "preflight.evaluator",
        "preflight.rules",
        "preflight.reporters",
        *FACE,
    )
    assert not _offending(("preflight.sources",), forbidden)


def test_reporters_import_only_model_facts_paths_reporters_and_stdlib() -> None:
    allowed = ("preflight.model", "preflight.facts", "preflight.paths", "preflight.reporters")
    bad = sorted(
        f"{modules()[m].rel} imports {imp}"
        for m in modules()
        if _within(m, ("preflight.reporters",))
        for imp in imports_of(m)
        if not _within(imp, allowed) and imp.partition(".")[0] not in sys.stdlib_module_names
    )
    assert not bad


def test_only_the_cli_imports_commands() -> None:
    bad = [
        line
        for line in _offending(("preflight",), ("preflight.commands",))
        if not line.startswith(("cli.py ", "commands.py ", "api.py "))  # api: preflight.check
    ]
    assert not bad


def test_the_evaluator_is_not_called_engine() -> None:
    engines = sorted(p.relative_to(PACKAGE).as_posix() for p in PACKAGE.rglob("engine.py"))
    assert not engines, "the evaluator lives in preflight/evaluator/, there is no engine.py"
    defined = sorted(
        f"{m.rel}: {node.name}"
        for m in modules().values()
        for node in ast.walk(m.tree)
        if isinstance(node, ast.FunctionDef)
        and node.name in ("evaluate", "evaluate_rule")
        and not _within(m.name, ("preflight.evaluator",))
    )
    assert not defined, "rules are evaluated only in preflight/evaluator/"


def test_checks_import_no_reading_code_evaluator_reporters_or_face() -> None:
    forbidden = ("preflight.sources", "preflight.evaluator", "preflight.reporters", *FACE)
    assert not _offending(("preflight.checks",), forbidden)


def test_derivations_import_no_checks_evaluator_reporters_or_face() -> None:
    forbidden = ("preflight.checks", "preflight.evaluator", "preflight.reporters", *FACE)
    assert not _offending(("preflight.derive",), forbidden)


def _raises_usage_error(node: ast.AST) -> bool:
    if not isinstance(node, ast.Raise) or node.exc is None:
        return False
    exc = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
    name = exc.attr if isinstance(exc, ast.Attribute) else getattr(exc, "id", None)
    return name == "UsageError"


def test_only_the_face_raises_usage_error() -> None:
    bad = sorted(
        f"{m.rel}:{node.lineno}"
        for m in modules().values()
        if m.name not in FACE
        for node in ast.walk(m.tree)
        if _raises_usage_error(node)
    )
    assert not bad, "UsageError is the Face's (cli.py, commands.py); raise another PreflightError"


def test_usage_error_detection() -> None:
    found = [
        _raises_usage_error(n)
        for n in ast.walk(
            ast.parse("raise UsageError('x')\nraise errors.UsageError\nraise ValueError()")
        )
        if isinstance(n, ast.Raise)
    ]
    assert found == [True, True, False]


# Fact namespaces: one writer each, declared as NAMESPACES and listed in docs/design.md.


def _writers() -> list[Module]:
    """Every source and derivation module (their packages' __init__ excluded)."""
    return [
        m
        for m in modules().values()
        if _within(m.name, ("preflight.sources", "preflight.derive"))
        and m.path.name != "__init__.py"
    ]


def namespaces_of(module: Module) -> tuple[str, ...] | None:
    """The module-level ``NAMESPACES`` literal, or None when the module has none."""
    for node in module.tree.body:
        target = node.targets[0] if isinstance(node, ast.Assign) else getattr(node, "target", None)
        value = getattr(node, "value", None)
        if isinstance(target, ast.Name) and target.id == "NAMESPACES" and value is not None:
            found = ast.literal_eval(value)
            assert isinstance(found, tuple) and all(isinstance(n, str) for n in found), (
                f"{module.rel}: NAMESPACES must be a tuple of str, not {found!r}"
            )
            return found
    return None


def test_every_source_and_derivation_declares_namespaces() -> None:
    assert _writers()
    missing = sorted(m.rel for m in _writers() if namespaces_of(m) is None)
    assert not missing, f"modules without NAMESPACES = (...): {missing}"


def test_no_two_modules_declare_the_same_namespace() -> None:
    owners: dict[str, list[str]] = {}
    for m in modules().values():
        for ns in namespaces_of(m) or ():
            owners.setdefault(ns, []).append(m.rel)
    shared = {ns: rels for ns, rels in owners.items() if len(rels) > 1}
    assert not shared, f"namespaces with more than one writer: {shared}"


_ROW = re.compile(r"^\|([^|]*)\|([^|]*)\|")


def namespace_table(text: str) -> dict[str, list[str]]:
    """Module path (relative to src/preflight) -> the namespaces a design table gives it.

    A row counts when its first cell holds only backticked prefixes such as `trtllm.*` and its
    second cell a backticked module path such as `derive/trtllm.py`.
    """
    table: dict[str, list[str]] = {}
    for line in text.splitlines():
        row = _ROW.match(line.strip())
        if not row:
            continue
        prefixes = re.findall(r"`([A-Za-z_][\w.]*)\.\*`", row[1])
        if not prefixes or re.sub(r"`[^`]*`|[,\s]", "", row[1]):
            continue
        module = re.search(r"`([\w/]+\.py)`", row[2])
        if module is None:
            continue
        path = re.sub(r"^(src/)?(preflight/)?", "", module[1])
        table.setdefault(path, []).extend(prefixes)
    return table


def test_namespace_table_parsing() -> None:
    text = """
| prefix | module | what |
|---|---|---|
| `trtllm.*` | `derive/trtllm.py` | joined facts |
| `layout.*`, `files.*` | `src/preflight/sources/triton_layout.py` (source) | folders |
| `repo` | repository | `repo.*` |
| `server.*` | server | no module path |
"""
    assert namespace_table(text) == {
        "derive/trtllm.py": ["trtllm"],
        "sources/triton_layout.py": ["layout", "files"],
    }


def test_design_namespace_table_matches_the_modules() -> None:
    table = namespace_table(DESIGN.read_text(encoding="utf-8"))
    assert table, f"{DESIGN.relative_to(ROOT)} has no namespace table (`prefix.*` | `module.py`)"
    by_rel = {m.rel: m for m in modules().values()}
    given = [ns for prefixes in table.values() for ns in prefixes]
    twice = sorted({ns for ns in given if given.count(ns) > 1})
    assert not twice, f"the design table gives these namespaces to more than one module: {twice}"
    problems = []
    for rel, prefixes in sorted(table.items()):
        module = by_rel.get(rel)
        if module is None:
            problems.append(f"{rel}: no such module")
            continue
        declared = namespaces_of(module)
        if declared is None or sorted(declared) != sorted(prefixes):
            problems.append(f"{rel}: NAMESPACES = {declared!r}, the table gives {prefixes}")
    for module in modules().values():
        if namespaces_of(module) and module.rel not in table:
            problems.append(
                f"{module.rel}: declares {namespaces_of(module)} but is not in the table"
            )
    assert not problems, "\n".join(problems)


# Path's own predicates raise on an entry of a folder that cannot be searched (EACCES), which a
# repository can hold; safe_files' answer False (tests/test_permission_errors.py).
_PATH_PREDICATES = {"is_file", "is_dir", "exists", "is_symlink"}
_PREDICATES_ALLOWED = {
    "preflight.safe_files",  # defines the safe ones
    "preflight.triton_proto",  # the installed tritonclient package, not a repository
}


def _predicate_calls(module: Module) -> list[str]:
    return [
        f"{module.rel}:{node.lineno} .{node.func.attr}()"
        for node in ast.walk(module.tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in _PATH_PREDICATES
        and not node.args
        and not node.keywords  # DirEntry.is_dir(follow_symlinks=False): no look, d_type
        and not (isinstance(node.func.value, ast.Name) and node.func.value.id == "safe_files")
    ]


def test_repository_paths_are_asked_about_through_safe_files() -> None:
    found = [
        call
        for name, module in modules().items()
        if name not in _PREDICATES_ALLOWED and not name.startswith("preflight.remote")
        for call in _predicate_calls(module)
    ]
    assert found == []


def test_predicate_detection() -> None:
    tree = ast.parse("p.is_file()\n(a / 'b').exists()\nsafe_files.is_dir(p)\nos.path.exists(p)\n")
    module = Module("preflight.x", PACKAGE / "x.py", tree)
    assert _predicate_calls(module) == ["x.py:1 .is_file()", "x.py:2 .exists()"]
