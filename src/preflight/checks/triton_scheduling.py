"""Batching and instance groups as Triton validates them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..facts import value_of
from ..model import Facts, Problem
from . import check, problem
from ._model_config import config, is_tensorrt, resolved


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
        "preserve-ordering-delay",
        "response-cache-decoupled",
    ),
)
def batching_valid(facts: Facts, params: Mapping[str, Any]) -> list[Problem]:
    """max_batch_size >= 0; every preferred batch size in [1, max_batch_size]; priority levels
    in range; one priority level and no DELAY timeout action (in the default or a priority queue
    policy with a timeout) with preserve_ordering; no response cache on a decoupled model
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
        if db.preserve_ordering:
            policies = [("dynamic_batching.default_queue_policy", db.default_queue_policy)]
            policies += [
                ("dynamic_batching.priority_queue_policy", db.priority_queue_policy[level])
                for level in sorted(db.priority_queue_policy)
            ]
            for where_, policy in policies:
                # ModelQueuePolicy.DELAY is 1; a policy without a timeout never times out
                if policy.default_timeout_microseconds != 0 and policy.timeout_action == 1:
                    found.append(problem("preserve-ordering-delay", cfg.at(where_), **base))
                    break
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
        "gpu-not-on-target",
        "openvino-not-cpu",
    ),
)
def instance_groups_valid(facts: Facts, params: Mapping[str, Any]) -> list[Problem]:
    """Instance groups fit their kind and backend: no GPUs on KIND_CPU/KIND_MODEL, valid GPU
    ids and counts, optimization profiles (non-negative integers) only for TensorRT models,
    and no KIND_CPU for the TensorRT backend; with a target GPU count (``target.gpu_count``),
    every GPU id of a KIND_GPU group exists on it; OpenVINO models run on KIND_CPU only.
    Ensembles have none (triton.ensemble-config)."""
    cfg = config(facts)
    msg = cfg.message
    if msg.platform == "ensemble":
        return []
    found: list[Problem] = []
    trt = is_tensorrt(msg, facts)
    gpu_count = value_of(facts, "target.gpu_count")
    # OpenVINO's instances refuse any kind but CPU (openvino_backend ModelInstanceState)
    openvino = resolved(facts, msg)[1] == "openvino"
    # auto-complete gives backend "tensorrt" (or a model.plan) the platform tensorrt_plan
    plan = resolved(facts, msg)[0] == "tensorrt_plan"
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
            elif isinstance(gpu_count, int) and kind == "KIND_GPU" and gpu >= gpu_count:
                found.append(
                    problem("gpu-not-on-target", where, gpu=int(gpu), gpu_count=gpu_count, **fields)
                )
        if g.count < 0:
            found.append(problem("bad-count", where, count=int(g.count), **fields))
        if g.profile and not plan:
            found.append(problem("profile-not-tensorrt", where, **fields))
        for p in g.profile:
            if not p.isdigit():
                found.append(problem("bad-profile", where, profile=p, **fields))
        if openvino and kind in ("KIND_GPU", "KIND_MODEL"):
            found.append(problem("openvino-not-cpu", where, **fields))
        if trt and kind == "KIND_CPU":
            found.append(problem("tensorrt-on-cpu", where, **fields))
    return found
