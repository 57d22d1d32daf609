"""Batching and instance groups as Triton validates them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..model import Facts, Problem
from . import check, problem
from ._model_config import config, is_tensorrt


@check(
    "triton.batching-valid",
    requires=("triton.config", "layout.folder_name"),
    kinds=(
        "negative-max-batch-size",
        "preferred-not-positive",
        "preferred-too-large",
        "default-priority",
        "queue-policy-priority",
        "preserve-ordering-priorities",
        "response-cache-decoupled",
    ),
)
def batching_valid(facts: Facts, params: Mapping[str, Any]) -> list[Problem]:
    """max_batch_size >= 0; every preferred batch size in [1, max_batch_size]; priority levels
    in range; one priority level with preserve_ordering; no response cache on a decoupled model
    (ValidateModelConfig; Triton's QA L0_response_cache expects that load to fail)."""
    cfg = config(facts)
    msg = cfg.message
    found: list[Problem] = []
    mbs = int(msg.max_batch_size)
    base = {"model": cfg.model, "max_batch_size": mbs}
    if mbs < 0:
        found.append(problem("negative-max-batch-size", cfg.at("max_batch_size"), **base))
    if msg.HasField("dynamic_batching"):
        db = msg.dynamic_batching
        where = cfg.at("dynamic_batching.preferred_batch_size")
        for size in db.preferred_batch_size:
            if size <= 0:
                found.append(problem("preferred-not-positive", where, size=int(size), **base))
            elif size > mbs:
                found.append(problem("preferred-too-large", where, size=int(size), **base))
        levels = int(db.priority_levels)
        if levels > 0:
            if not 1 <= db.default_priority_level <= levels:
                found.append(
                    problem(
                        "default-priority",
                        cfg.at("dynamic_batching.default_priority_level"),
                        levels=levels,
                        level=int(db.default_priority_level),
                        **base,
                    )
                )
            for level in db.priority_queue_policy:
                if not 1 <= level <= levels:
                    found.append(
                        problem(
                            "queue-policy-priority",
                            cfg.at("dynamic_batching.priority_queue_policy"),
                            levels=levels,
                            level=int(level),
                            **base,
                        )
                    )
        if db.preserve_ordering and levels > 1:
            found.append(
                problem(
                    "preserve-ordering-priorities",
                    cfg.at("dynamic_batching.preserve_ordering"),
                    levels=levels,
                    **base,
                )
            )
    if msg.response_cache.enable and msg.model_transaction_policy.decoupled:
        found.append(problem("response-cache-decoupled", cfg.at("response_cache.enable"), **base))
    return found


@check(
    "triton.instance-groups-valid",
    requires=("triton.config", "layout.folder_name"),
    kinds=(
        "gpus-on-cpu",
        "bad-gpu",
        "bad-count",
        "profile-not-tensorrt",
        "bad-profile",
        "tensorrt-on-cpu",
    ),
)
def instance_groups_valid(facts: Facts, params: Mapping[str, Any]) -> list[Problem]:
    """Instance groups fit their kind and backend: no GPUs on KIND_CPU/KIND_MODEL, valid GPU
    ids and counts, optimization profiles (non-negative integers) only for TensorRT models,
    and no KIND_CPU for the TensorRT backend. Ensembles have none (triton.ensemble-config)."""
    cfg = config(facts)
    msg = cfg.message
    if msg.platform == "ensemble":
        return []
    found: list[Problem] = []
    trt = is_tensorrt(msg)
    # autofill gives backend "tensorrt" the platform tensorrt_plan
    plan = msg.platform == "tensorrt_plan" or (not msg.platform and msg.backend == "tensorrt")
    for i, g in enumerate(msg.instance_group):
        try:
            kind = type(g).Kind.Name(g.kind)
        except ValueError:  # a number the schema has no name for
            kind = str(g.kind)
        where = cfg.at(f"instance_group[{i}]")
        fields = {"model": cfg.model, "group": g.name or f"{cfg.model}_{i}", "group_kind": kind}
        if g.gpus and kind in ("KIND_CPU", "KIND_MODEL"):
            found.append(problem("gpus-on-cpu", where, **fields))
        for gpu in g.gpus:
            if gpu < 0:
                found.append(problem("bad-gpu", where, gpu=int(gpu), **fields))
        if g.count < 0:
            found.append(problem("bad-count", where, count=int(g.count), **fields))
        if g.profile and not plan:
            found.append(problem("profile-not-tensorrt", where, **fields))
        for p in g.profile:
            if not p.isdigit():
                found.append(problem("bad-profile", where, profile=p, **fields))
        if trt and kind == "KIND_CPU":
            found.append(problem("tensorrt-on-cpu", where, **fields))
    return found
