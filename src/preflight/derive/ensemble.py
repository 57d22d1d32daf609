"""``ensemble.*``: what the steps of an ensemble meet in the rest of the repository.

Joins the ``triton.config`` and ``layout.version_folders`` facts of every model folder; the
checks in ``checks/triton_ensemble.py`` judge the result.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..facts import value_of
from ..model import Fact, Facts

NAMESPACES = ("ensemble",)


def _config(facts: Facts) -> dict[str, Any] | None:
    found = facts.get("triton.config")
    return found.value if found is not None and isinstance(found.value, dict) else None


def _step_models(config: dict[str, Any]) -> list[str]:
    steps = (config.get("ensemble_scheduling") or {}).get("step") or []
    return [str(step.get("model_name", "")) for step in steps if isinstance(step, dict)]


def _cycles(edges: dict[str, list[str]]) -> dict[str, list[str]]:
    """Ensemble name -> one dependency cycle through it (names, first repeated at the end).
    A depth-first walk with its own stack: a chain of thousands of ensembles is no recursion."""
    found: dict[str, list[str]] = {}
    done: set[str] = set()
    for start in sorted(edges):
        if start in done:
            continue
        trail = [start]
        on_trail = {start: 0}  # name -> its index in trail
        todo = [iter(edges.get(start, []))]
        while todo:
            nxt = next(todo[-1], None)
            if nxt is None:  # every step of trail[-1] seen
                todo.pop()
                node = trail.pop()
                del on_trail[node]
                done.add(node)
            elif nxt in on_trail:
                cycle = [*trail[on_trail[nxt] :], nxt]
                for member in cycle[:-1]:
                    found.setdefault(member, cycle)
            elif nxt in edges and nxt not in done:
                on_trail[nxt] = len(trail)
                trail.append(nxt)
                todo.append(iter(edges.get(nxt, [])))
    return found


def derive_repository(models: Mapping[str, Facts]) -> dict[str, Facts]:
    """``ensemble.*`` facts per ensemble, from every model folder's facts by folder name.

    For each model whose config parses with platform ``ensemble``:

    * ``ensemble.models``: each model its steps name that is a model folder of the
      repository, as ``{"config": its triton.config or None, "folders": [its version folder
      names], "completes_io": what its backend completes (``autocomplete.completes_io``)}``;
      a step model absent here is not in the repository;
    * ``ensemble.cycle``: one chain of ensembles leading back to this one (``[a, b, a]``), or
      ``[]``.
    """
    configs = {name: _config(facts) for name, facts in models.items()}
    edges = {
        name: _step_models(config)
        for name, config in configs.items()
        if config is not None and config.get("platform") == "ensemble"
    }
    cycles = _cycles(edges)
    out: dict[str, Facts] = {}
    for name, steps in edges.items():
        here = models[name]["triton.config"].location
        found: dict[str, Any] = {}
        for step in steps:
            if step not in models or step in found:
                continue
            folders = models[step].get("layout.version_folders")
            names = [f.get("name") for f in folders.value] if folders is not None else []
            completes = models[step].get("autocomplete.completes_io")
            found[step] = {
                "config": configs[step],
                "folders": names,
                # what the step model's backend fills in itself (autocomplete.completes_io)
                "completes_io": completes.value if completes is not None else "none",
                "backend": value_of(models[step], "autocomplete.backend") or "",
            }
        out[name] = {
            "ensemble.models": Fact(found, here),
            "ensemble.cycle": Fact(cycles.get(name, []), here),
        }
    return out
