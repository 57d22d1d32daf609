"""``engines.*``: the rank engines of one TensorRT-LLM model, joined with config.json and the log.

Facts, located at the engine directory:

- ``world_size``: config.json's world size (tp x pp x cp); ``rank_limit``: the most ranks that
  are looked at one by one (a larger world size gives no ``ranks``).
- ``ranks``: one item per rank, ``{rank, name, path, present, format, size, trt_version,
  build_compute_capability, serialized}``: the file the runtime opens for that rank, whether
  it is there, what its header says (None when unknown) and whether the build log shows it
  serialized (None without a log that lists serialized ranks).
- ``trt_versions`` / ``build_ccs``: each TensorRT version and build compute capability the
  rank headers give, with the ranks that have it (``10.10.0.31 (rank 0, 1)``);
  ``trt_versions_distinct`` / ``build_ccs_distinct``: how many there are.
"""

from __future__ import annotations

from typing import Any

from ..facts import value_of
from ..model import Fact, Facts, Location

NAMESPACES = ("engines",)

MAX_WORLD_SIZE = 4096  # ranks looked at one by one; a config.json claiming more is a finding


def rank_file_names(facts: Facts, world_size: int, listing: list[str]) -> dict[int, str]:
    """The file name the runtime opens for each rank of an engine directory.

    ``trtllm-build`` (config.json with a ``version``) writes ``rank<r>.engine``. The legacy
    per-model build scripts (config.json with ``builder_config`` and no ``version``) wrote
    ``<name>_<precision>_tp<tp>[_pp<pp>][_cp<cp>]_rank<r>.engine``, and the runtime still opens
    that name for such a config. When the legacy name cannot be read from config.json, the one
    ``*_rank<r>.engine`` file of ``listing`` (the directory's file names) is taken.
    """
    names = {rank: f"rank{rank}.engine" for rank in range(world_size)}
    if value_of(facts, "engine_config.format") != "legacy":
        return names
    name = value_of(facts, "engine_config.builder_name")
    precision = value_of(facts, "engine_config.dtype")
    tp = _or_one(facts, "tp_size")
    pp = _or_one(facts, "pp_size")
    cp = _or_one(facts, "cp_size")
    for rank in range(world_size):
        if isinstance(name, str) and isinstance(precision, str) and isinstance(tp, int):
            extra = (f"_pp{pp}" if isinstance(pp, int) and pp > 1 else "") + (
                f"_cp{cp}" if isinstance(cp, int) and cp > 1 else ""
            )
            names[rank] = f"{name}_{precision}_tp{tp}{extra}_rank{rank}.engine"
        else:
            found = sorted(n for n in listing if n.endswith(f"_rank{rank}.engine"))
            if len(found) == 1:
                names[rank] = found[0]
    return names


def _or_one(facts: Facts, key: str) -> Any:
    """A mapping size as written, 1 when config.json does not write it."""
    found = facts.get(f"engine_config.mapping.{key}")
    return 1 if found is None else found.value


def derive(
    facts: Facts,
    engine_dir: str,
    world_size: int,
    names: dict[int, str] | None = None,
    rank_facts: dict[int, Facts] | None = None,
) -> Facts:
    """``engines.*`` of one model: ``rank_facts`` holds the facts of each rank file that exists
    (``engine.*``), ``names`` each rank's file name; neither is looked at beyond the limit."""
    where = Location(engine_dir)
    out: Facts = {
        "engines.world_size": Fact(world_size, where),
        "engines.rank_limit": Fact(MAX_WORLD_SIZE, where),
    }
    if world_size > MAX_WORLD_SIZE:
        return out
    names = names or {}
    rank_facts = rank_facts or {}
    serialized = facts.get("build_log.serialized_ranks")
    logged = set(serialized.value) if serialized is not None else None
    ranks = []
    for rank in range(world_size):
        name = names.get(rank, f"rank{rank}.engine")
        own = rank_facts.get(rank)
        ranks.append(
            {
                "rank": rank,
                "name": name,
                "path": f"{engine_dir}/{name}",
                "present": own is not None,
                "format": value_of(own, "engine.format") if own else None,
                "size": value_of(own, "engine.size_bytes") if own else None,
                "trt_version": value_of(own, "engine.trt_version") if own else None,
                "build_compute_capability": (
                    value_of(own, "engine.build_compute_capability") if own else None
                ),
                "serialized": None if logged is None else rank in logged,
            }
        )
    out["engines.ranks"] = Fact(ranks, where)
    out.update(_agreement(ranks, where))
    return out


def _agreement(ranks: list[dict[str, Any]], where: Location) -> Facts:
    """Which TensorRT versions and build GPUs the rank headers give, with their ranks."""
    out: Facts = {}
    for key, label in (("trt_version", "trt_versions"), ("build_compute_capability", "build_ccs")):
        seen: dict[str, list[int]] = {}
        for item in ranks:
            if item["present"] and isinstance(item[key], str):
                seen.setdefault(item[key], []).append(item["rank"])
        if seen:
            shown = [f"{v} (rank {', '.join(map(str, r))})" for v, r in seen.items()]
            out[f"engines.{label}"] = Fact(shown, where)
            out[f"engines.{label}_distinct"] = Fact(len(seen), where)
    return out
